import { describe, expect, it } from 'vitest';
import { classifyStatement } from '../../src/engines/mysql/binlog/events.js';
import type { StatementKind } from '../../src/engines/mysql/binlog/events.js';

/** The string-building classifier the byte reader replaced: the oracle for the comparison below. */
function classifyByString(body: Buffer, textAt: number): StatementKind {
  const length = Math.min(body.length - textAt, 24);
  if (length < 5) return 'other';
  let head = '';
  for (let i = 0; i < length; i++) {
    const c = body[textAt + i]!;
    head += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  head = head.trimStart();
  const word = (text: string) => head.startsWith(text) && (head.length === text.length || !/[A-Z0-9_]/.test(head[text.length]!));
  const whole = body.length - textAt <= 24 ? head.trimEnd() : undefined;
  if (whole === 'BEGIN' || word('XA START') || word('XA BEGIN')) return 'begin';
  if (whole === 'COMMIT') return 'commit';
  if (whole === 'ROLLBACK') return 'rollback';
  if (word('XA END')) return 'xa-end';
  if (word('XA COMMIT') || word('XA ROLLBACK')) return 'xa-finish';
  return 'other';
}

const PIECES = [
  'XA END',
  'xa end ',
  'XA START',
  'XA COMMIT',
  'xa rollback',
  'BEGIN',
  'begin',
  'Commit',
  'COMMIT',
  'ROLLBACK',
  'rollback to sp1',
  'XA',
  'xa',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  'START',
  'start',
  'BEGIN',
  'END',
  'end',
  'COMMIT',
  'ROLLBACK',
  "'x1'",
  'x',
  '_',
  '1',
  ';',
  'INSERT INTO t VALUES (1)',
  'UPDATE',
  '\u00e9',
  'ONE PHASE',
];

/** A deterministic pseudo-random sequence (no flaky inputs). */
function* numbers(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2147483648;
    yield state / 2147483648;
  }
}

describe('classifyStatement reads the statement head in place', () => {
  it('classifies the boundary statements and refuses look-alikes', () => {
    const kind = (text: string, prefix = 3): StatementKind => classifyStatement(Buffer.concat([Buffer.alloc(prefix), Buffer.from(text, 'latin1')]), prefix);
    expect(kind('BEGIN')).toBe('begin');
    expect(kind('  begin\n')).toBe('begin');
    expect(kind('COMMIT')).toBe('commit');
    expect(kind('ROLLBACK')).toBe('rollback');
    expect(kind('ROLLBACK TO SAVEPOINT a')).toBe('other');
    expect(kind("XA START 'x'")).toBe('begin');
    expect(kind("xa end 'x'")).toBe('xa-end');
    expect(kind("XA COMMIT 'x' ONE PHASE")).toBe('xa-finish');
    expect(kind("XA ROLLBACK 'x'")).toBe('xa-finish');
    expect(kind('XA STARTED')).toBe('other');
    expect(kind('BEGIN WORK, then much more text after it')).toBe('other');
    expect(kind('BEGI')).toBe('other');
  });

  it('answers exactly as the string-building classifier on 20 000 generated statements', () => {
    const random = numbers(42);
    const next = (): number => random.next().value as number;
    const differences: string[] = [];
    const seen = new Map<StatementKind, number>();
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const parts = 1 + Math.floor(next() * 6);
      for (let p = 0; p < parts; p++) text += PIECES[Math.floor(next() * PIECES.length)];
      const prefix = Math.floor(next() * 4);
      const body = Buffer.concat([Buffer.alloc(prefix, 7), Buffer.from(text, 'latin1')]);
      const got = classifyStatement(body, prefix);
      const want = classifyByString(body, prefix);
      if (got !== want) differences.push(`${JSON.stringify(text)}: ${got} != ${want}`);
      seen.set(want, (seen.get(want) ?? 0) + 1);
    }
    expect(differences.slice(0, 5)).toEqual([]);
    // The generated statements reach every kind, so the comparison covers every branch.
    for (const kind of ['begin', 'commit', 'rollback', 'xa-end', 'xa-finish', 'other'] as const) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(20);
  });
});
