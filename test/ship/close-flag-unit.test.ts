import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binlogCloseMarker, IN_USE_FLAG_OFFSET } from '../../src/engines/mysql/binlog-close-flag.js';
import { MarkerDigester } from '../../src/archive/close-marker-digest.js';
import { parseBinlogIndex, resolveIndexEntry } from '../../src/engines/mysql/binlog-index.js';
import { openSourceFile, SourceFileRefusedError } from '../../src/source-file.js';
import { planRound } from '../../src/ship/round-plan.js';
import { ArchiveDuplicateError } from '../../src/archive/errors.js';

/** A binlog-shaped buffer: magic, then a header whose flags word sits at bytes 21–22, then filler. */
function fakeBinlog(size: number, inUse: boolean): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) & 0xff;
  bytes.set([0xfe, 0x62, 0x69, 0x6e], 0);
  bytes.writeUInt16LE(inUse ? 0x0001 : 0x0000, IN_USE_FLAG_OFFSET);
  return bytes;
}

function digestsInChunks(bytes: Buffer, chunkSize: number) {
  const digester = new MarkerDigester(binlogCloseMarker);
  for (let at = 0; at < bytes.length; at += chunkSize) digester.update(bytes.subarray(at, at + chunkSize));
  return digester.digests();
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('binlog close marker (pure)', () => {
  it('reads and sets LOG_EVENT_BINLOG_IN_USE_F without touching the other flag bits', () => {
    expect(binlogCloseMarker.saysOpen(Buffer.from([0x01, 0x00]))).toBe(true);
    expect(binlogCloseMarker.saysOpen(Buffer.from([0x08, 0x00]))).toBe(false);
    expect(binlogCloseMarker.asClosed(Buffer.from([0x09, 0x00]))).toEqual(Buffer.from([0x08, 0x00]));
    expect(binlogCloseMarker.asOpen(Buffer.from([0x08, 0x00]))).toEqual(Buffer.from([0x09, 0x00]));
    expect(binlogCloseMarker.saysOpen(Buffer.from([0x01]))).toBe(false);
  });

  it('two copies that differ only in the in-use flag agree once both are read as closed, however the bytes are chunked', () => {
    const open = fakeBinlog(5000, true);
    const closed = fakeBinlog(5000, false);
    for (const chunkSize of [1, 2, 21, 22, 23, 4096, 100_000]) {
      const a = digestsInChunks(open, chunkSize);
      const b = digestsInChunks(closed, chunkSize);
      expect(a.actual).toBe(sha256(open));
      expect(b.actual).toBe(sha256(closed));
      expect(a.actual).not.toBe(b.actual);
      expect(a.asClosed).toBe(b.actual);
      expect(b.asOpen).toBe(a.actual);
      expect(a.saysOpen).toBe(true);
      expect(b.saysOpen).toBe(false);
    }
  });

  it('a copy that differs in any other byte, even next to the flag, is not the same log', () => {
    const open = fakeBinlog(300, true);
    for (const at of [0, 20, 22, 23, 299]) {
      const other = fakeBinlog(300, false);
      other[at]! ^= 0x40;
      expect(digestsInChunks(open, 7).asClosed).not.toBe(digestsInChunks(other, 5).asClosed);
    }
    // Another bit of the flags word is another byte's worth of difference too.
    const otherFlag = fakeBinlog(300, false);
    otherFlag.writeUInt16LE(0x0008, IN_USE_FLAG_OFFSET);
    expect(digestsInChunks(open, 7).asClosed).not.toBe(digestsInChunks(otherFlag, 7).asClosed);
  });

  it('a log too short to hold the flag has no marker', () => {
    const digests = digestsInChunks(Buffer.from([0xfe, 0x62]), 1);
    expect(digests.saysOpen).toBeUndefined();
    expect(digests.asClosed).toBe(digests.actual);
  });

  it('the duplicate-name HINT tells a flag-only difference from another log under the same name', () => {
    const flagOnly = new ArchiveDuplicateError('mysql-bin.000006', 'x', 'close-marker-only');
    const different = new ArchiveDuplicateError('mysql-bin.000006', 'x');
    expect(flagOnly.hint).toMatch(/replaces the archived copy by itself/);
    expect(flagOnly.hint).toMatch(/Do not change \[archive\] system_id/);
    expect(different.hint).toMatch(/failed-over/);
    expect(different.hint).toMatch(/its own \[archive\] system_id/);
  });
});

describe('binlog index entries (pure)', () => {
  const dir = '/var/lib/mysql';
  it('accepts relative and absolute entries directly in the binlog folder', () => {
    expect(resolveIndexEntry('./mysql-bin.000001', dir, dir)).toEqual({
      entry: './mysql-bin.000001',
      name: 'mysql-bin.000001',
      path: '/var/lib/mysql/mysql-bin.000001',
    });
    expect(resolveIndexEntry('/var/lib/mysql/mysql-bin.000002', dir, dir).refused).toBeUndefined();
    expect(resolveIndexEntry('mysql-bin.000003', '/var/lib/mysql/', '/var/lib/mysql/').refused).toBeUndefined();
  });

  it.each([
    ['/etc/shadow', /not a file directly in the binlog folder/],
    ['../../etc/shadow.000001', /'\.\.'/],
    ['./sub/../mysql-bin.000001', /'\.\.'/],
    ['./sub/mysql-bin.000001', /not a file directly/],
    ['/var/lib/mysql-other/mysql-bin.000001', /not a file directly/],
    ['/var/lib/mysql/shadow', /not a binlog name/],
    ['./.hidden.000001', /not a binlog name/],
  ])('refuses %s', (entry, reason) => {
    const resolved = resolveIndexEntry(entry, dir, dir);
    expect(resolved.refused).toMatch(reason);
    expect(resolved.refused).toContain(JSON.stringify(entry));
  });

  it('parses an index: refused entries keep their place, so the newest entry is still the open log', () => {
    const entries = parseBinlogIndex('./mysql-bin.000001\n/etc/shadow\n\n./mysql-bin.000003\n', '/var/lib/mysql/mysql-bin.index', dir);
    expect(entries.map((entry) => [entry.name, Boolean(entry.refused)])).toEqual([
      ['mysql-bin.000001', false],
      ['shadow', true],
      ['mysql-bin.000003', false],
    ]);
  });

  it('planRound never ships a refused log, and reports no gap for it', () => {
    const source = [
      { name: 'mysql-bin.000001', path: '/b/mysql-bin.000001', sequence: 1, closed: true },
      { name: 'mysql-bin.000002', path: '/b/mysql-bin.000002', sequence: 2, closed: true, refused: 'a symlink' },
      { name: 'mysql-bin.000003', path: '/b/mysql-bin.000003', sequence: 3, closed: true },
      { name: 'mysql-bin.000004', path: '/b/mysql-bin.000004', sequence: 4, closed: false },
    ];
    const plan = planRound(source, [{ name: 'mysql-bin.000001', sequence: 1, size: 1, headSha256: 'x' }]);
    expect(plan.toShip.map((log) => log.name)).toEqual(['mysql-bin.000003']);
    expect(plan.refused.map((log) => log.name)).toEqual(['mysql-bin.000002']);
    expect(plan.gaps).toEqual([]);
  });
});

describe('opening a source log', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snaplog-test-source-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file, refuses a symlink to one and a FIFO', async () => {
    await writeFile(join(dir, 'secret'), 'not a binlog');
    const handle = await openSourceFile(join(dir, 'secret'));
    await handle.close();
    await symlink(join(dir, 'secret'), join(dir, 'mysql-bin.000002'));
    await expect(openSourceFile(join(dir, 'mysql-bin.000002'))).rejects.toThrow(SourceFileRefusedError);
    await expect(openSourceFile(join(dir, 'mysql-bin.000002'))).rejects.toThrow(/symbolic link/);
    execFileSync('mkfifo', [join(dir, 'mysql-bin.000003')]);
    await expect(openSourceFile(join(dir, 'mysql-bin.000003'))).rejects.toThrow(/not a regular file/);
  });
});
