import { describe, expect, it } from 'vitest';
import { defaultMaxLag, evaluateStatus, serviceReport } from '../../src/status/evaluate.js';
import type { StatusInputs } from '../../src/status/evaluate.js';
import { isoInZone, showInstant, showSeconds } from '../../src/cli/instant-display.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    now: NOW,
    systemId: 'db1',
    server: { openLog: 'mysql-bin.000008', unshipped: ['mysql-bin.000008'] },
    archive: {
      location: '/mnt/nfs/snaplog',
      logCount: 7,
      lastLog: { name: 'mysql-bin.000007' },
      lastCommit: '2026-11-30T11:58:00.000Z',
      gaps: [],
      snapshotCount: 1,
    },
    service: { heartbeat: { pid: 42, startedAt: '2026-11-30T08:00:00Z', heartbeatAt: '2026-11-30T11:59:55Z', quietSeconds: 10 }, alive: true },
    maxLagSeconds: 400,
    maxLagSource: 'test',
    ...overrides,
  };
}

describe('status evaluation (pure)', () => {
  it('caught up: RPO and lag 0, ok, the last shipped log and commit come from the archive', () => {
    const report = evaluateStatus(inputs());
    expect(report).toMatchObject({
      ok: true,
      lagSeconds: 0,
      rpoSeconds: 0,
      lastShipped: { name: 'mysql-bin.000007', time: '2026-11-30T11:58:00.000Z' },
      service: { state: 'running' },
    });
  });

  it('newer commits on the server: RPO = now − last shipped commit, lag = age of the oldest unshipped one', () => {
    const report = evaluateStatus(inputs({ server: { openLog: 'mysql-bin.000008', unshipped: ['mysql-bin.000008'], oldestUnshippedAgeSeconds: 30 } }));
    expect(report).toMatchObject({ ok: true, rpoSeconds: 120, lagSeconds: 30 });
  });

  it('stale beyond --max-lag, a dead and a stopped service are problems', () => {
    const stale = evaluateStatus(inputs({ server: { unshipped: ['mysql-bin.000008'], oldestUnshippedAgeSeconds: 401 } }));
    expect(stale.ok).toBe(false);
    expect(stale.problems.join('\n')).toMatch(/shipping is stale: the oldest commit not in the archive is 401 s old, more than --max-lag 400 s/);
    const dead = evaluateStatus(inputs({ service: { heartbeat: inputs().service.heartbeat, alive: false } }));
    expect(dead.service.state).toBe('dead');
    expect(dead.problems.join('\n')).toMatch(/pid 42\) is not running/);
    const stopped = evaluateStatus(inputs({ service: { heartbeat: { ...inputs().service.heartbeat!, stoppedAt: '2026-11-30T11:59:56Z' }, alive: false } }));
    expect(stopped.service.state).toBe('stopped');
    expect(stopped.ok).toBe(false);
  });

  it('a service that has not beaten for long is stalled; one that never ran (ship --once by cron) is not a problem by itself', () => {
    expect(serviceReport({ heartbeat: { ...inputs().service.heartbeat!, heartbeatAt: '2026-11-30T11:57:00Z' }, alive: true }, NOW).state).toBe('stalled');
    const once = evaluateStatus(inputs({ service: { alive: false } }));
    expect(once.service.state).toBe('never-ran');
    expect(once.ok).toBe(true);
  });

  it('after a failed run the archive still names the last shipped log; the failure is a problem', () => {
    const report = evaluateStatus(
      inputs({
        ship: {
          updatedAt: '2026-11-30T11:59:00Z',
          pid: 7,
          mode: 'once',
          pending: [],
          lagSeconds: 0,
          gaps: [],
          consecutiveFailures: 1,
          lastError: { time: '2026-11-30T11:59:00Z', kind: 'X', message: 'cannot connect\nHINT: x' },
        },
      }),
    );
    expect(report.lastShipped?.name).toBe('mysql-bin.000007');
    expect(report.problems).toContain('the last ship round failed (1× in a row): cannot connect');
  });

  it('an unreachable server or archive makes lag and RPO unknown, not 0', () => {
    const report = evaluateStatus(inputs({ server: { error: 'cannot connect', unshipped: [] } }));
    expect(report).toMatchObject({ ok: false, lagSeconds: null, rpoSeconds: null });
  });

  it('the default --max-lag is max_log_age plus a margin, 1 h without it', () => {
    expect(defaultMaxLag({ maxLogAgeSeconds: 300, rescanIntervalSeconds: 10 }).seconds).toBe(380);
    expect(defaultMaxLag({ rescanIntervalSeconds: 10 }).seconds).toBe(3600);
  });
});

describe('times shown to a person', () => {
  it('UTC, then local time with its offset: both name the same instant', () => {
    const shown = showInstant('2026-11-30T01:23:08.000Z', 'America/New_York');
    expect(shown).toBe('2026-11-30T01:23:08Z (local 2026-11-29T20:23:08-05:00)');
    const local = /local (\S+)\)/.exec(shown)![1]!;
    expect(Date.parse(local)).toBe(Date.parse('2026-11-30T01:23:08Z'));
    expect(isoInZone(new Date('2026-07-01T12:00:00.250Z'), 'Asia/Kolkata')).toBe('2026-07-01T17:30:00.250+05:30');
    expect(showInstant('2026-11-30T01:23:08.000Z', 'UTC')).toBe('2026-11-30T01:23:08Z');
  });

  it('durations in seconds, with minutes and hours when long', () => {
    expect(showSeconds(42)).toBe('42 s');
    expect(showSeconds(135)).toBe('135 s (2 min 15 s)');
    expect(showSeconds(7260)).toBe('7260 s (2 h 1 min)');
  });
});
