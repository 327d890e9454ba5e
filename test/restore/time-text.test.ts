import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { localIso, parseInstant, parseTargetTime, showInstant } from '../../src/engines/time-text.js';
import { describeTarget } from '../../src/engines/restore-target.js';
import { parseTarget } from '../../src/engines/mysql/restore/target.js';
import { snaplog } from '../support/cli.js';

const NY = 'America/New_York';
const at = (iso: string) => Date.parse(iso);

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('target times (strict ISO-8601, Temporal)', () => {
  it('with a zone: the instant it names, whatever the local zone', () => {
    for (const zone of ['UTC', NY, 'Asia/Kolkata']) {
      expect(parseInstant('2026-11-22T13:05:00Z', '--to', zone)).toBe(at('2026-11-22T13:05:00Z'));
      expect(parseInstant('2026-11-22T13:05:00.703Z', '--to', zone)).toBe(at('2026-11-22T13:05:00.703Z'));
      expect(parseInstant('2026-11-22T14:05:00+01:00', '--to', zone)).toBe(at('2026-11-22T13:05:00Z'));
      expect(parseInstant('2026-11-22T08:05:00-05:00[America/New_York]', '--to', zone)).toBe(at('2026-11-22T13:05:00Z'));
    }
  });

  it('without a zone: local wall-clock time of the given zone (a date alone is local midnight)', () => {
    expect(parseInstant('2026-11-22T08:05:00', '--to', NY)).toBe(at('2026-11-22T13:05:00Z'));
    expect(parseInstant('2026-11-22 08:05', '--to', NY)).toBe(at('2026-11-22T13:05:00Z'));
    expect(parseInstant('2026-07-01T08:05:00', '--to', NY)).toBe(at('2026-07-01T12:05:00Z'));
    expect(parseInstant('2026-11-22', '--to', NY)).toBe(at('2026-11-22T05:00:00Z'));
    expect(parseInstant('2026-11-22T13:05:00', '--to', 'UTC')).toBe(at('2026-11-22T13:05:00Z'));
  });

  it('refuses what is not a date, and dates that do not exist, with a HINT', () => {
    for (const text of ['1', 'yesterday', '13:05', '2026-11-31T10:00:00', '2026-02-29', '2026-11-22T25:00:00', '2026-11-22T13:05:00+25:00']) {
      const error = usageError(() => parseInstant(text, '--to', NY));
      expect(error.message, text).toMatch(/--to ".*" is not (an|a valid) ISO-8601 date and time/);
      expect(error.hint, text).toMatch(/2026-11-22T14:05:00 \(local time\)/);
    }
    expect(usageError(() => parseInstant('2026-11-31T10:00:00', '--to', NY)).message).toMatch(/Invalid day: 31/);
  });

  it('a local time shown twice (fall back) is an error naming both instants with their offsets', () => {
    const error = usageError(() => parseInstant('2026-11-01T01:30:00', '--to', NY));
    expect(error.message).toContain('happens twice in time zone America/New_York');
    expect(error.message).toContain('2026-11-01T01:30:00-04:00 (2026-11-01T05:30:00Z)');
    expect(error.message).toContain('2026-11-01T01:30:00-05:00 (2026-11-01T06:30:00Z)');
    expect(error.hint).toBe('add the offset to say which one, e.g. --to 2026-11-01T01:30:00-04:00 or --to 2026-11-01T01:30:00-05:00');
    // Either suggestion is accepted and names its instant.
    expect(parseInstant('2026-11-01T01:30:00-05:00', '--to', NY)).toBe(at('2026-11-01T06:30:00Z'));
  });

  it('a local time the clock skips (spring forward) is an error', () => {
    const error = usageError(() => parseInstant('2026-03-08T02:30:00', '--to', NY));
    expect(error.message).toMatch(/does not exist in time zone America\/New_York: the clocks skip/);
    expect(error.hint).toMatch(/with its offset or in UTC/);
  });

  it('a time printed by snaplog (UTC, or local with its offset) pasted back means the same instant', () => {
    const instant = at('2026-11-22T13:05:00.250Z');
    expect(localIso(instant, NY)).toBe('2026-11-22T08:05:00.250-05:00');
    expect(parseInstant(localIso(instant, NY), '--to', 'Asia/Tokyo')).toBe(instant);
    expect(parseInstant(new Date(instant).toISOString(), '--to', NY)).toBe(instant);
    expect(showInstant('2026-11-22T13:05:00.250Z', NY)).toBe('2026-11-22T13:05:00.250Z (local 2026-11-22T08:05:00.250-05:00 America/New_York)');
    expect(showInstant('2026-11-22T13:05:00.250Z', 'UTC')).toBe('2026-11-22T13:05:00.250Z');
  });

  it('targets round down to the second (commit stamps are whole seconds) and echo the exact time in UTC and local time', () => {
    expect(parseTargetTime('2026-11-22T13:05:00.999Z')).toBe(at('2026-11-22T13:05:00Z') / 1000);
    const target = parseTarget({ to: '2026-11-22T08:05:00.5' }, NY);
    expect(target).toEqual({ kind: 'time', time: at('2026-11-22T13:05:00Z') / 1000, text: '2026-11-22T08:05:00.5', instant: '2026-11-22T13:05:00.500Z' });
    expect(describeTarget(target, NY)).toEqual({
      kind: 'time',
      time: '2026-11-22T13:05:00.500Z',
      local: '2026-11-22T08:05:00.500-05:00',
      timeZone: NY,
      given: '2026-11-22T08:05:00.5',
    });
  });

  it('the CLI reads local times in the zone of TZ (a child process under TZ=America/New_York)', async () => {
    const env = { TZ: NY };
    const ambiguous = await snaplog(['plan', '--to', '2026-11-01T01:30:00'], { env });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('2026-11-01T01:30:00-04:00 (2026-11-01T05:30:00Z) and 2026-11-01T01:30:00-05:00 (2026-11-01T06:30:00Z)');
    expect(ambiguous.stderr).toMatch(/HINT: add the offset/);
    const invalid = await snaplog(['plan', '--to', '1'], { env });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/--to "1" is not an ISO-8601 date and time\nHINT: /);
    const gap = await snaplog(['plan', '--to', '2026-03-08T02:30:00'], { env });
    expect(gap.code).toBe(2);
    expect(gap.stderr).toMatch(/does not exist in time zone America\/New_York/);
  });
});
