import { describe, expect, it } from 'vitest';
import { locateStop, planChain, PlanError } from '../../src/engines/mysql/restore/plan.js';
import type { TransactionBoundary } from '../../src/engines/mysql/restore/plan.js';
import { parseTargetTime } from '../../src/engines/restore-target.js';
import { parseTarget } from '../../src/engines/mysql/restore/target.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';

const T0 = Date.parse('2026-11-22T10:00:00Z') / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function log(sequence: number, firstSeq: number, lastSeq: number, firstCommit: number, lastCommit: number): LogMetadata {
  return {
    formatVersion: 1,
    name: `mysql-bin.${String(sequence).padStart(6, '0')}`,
    engine: 'mysql',
    sequence,
    size: 10_000,
    sha256: 'x',
    headSha256: 'y',
    compression: 'none',
    storedName: `mysql-bin.${String(sequence).padStart(6, '0')}`,
    storedSize: 10_000,
    firstCommitTime: iso(firstCommit),
    lastCommitTime: iso(lastCommit),
    startPosition: 256,
    lastCompleteTransactionEnd: 10_000,
    firstTransaction: `0-1-${firstSeq}`,
    lastTransaction: `0-1-${lastSeq}`,
    shippedAt: iso(lastCommit),
    shippedBy: 'test',
  };
}

function snapshot(id: string, time: number, file: string, position: number, gtidSeq: number, status: SnapshotRecord['status'] = 'thawed'): SnapshotRecord {
  return { formatVersion: 1, id, systemId: 's', engine: 'mysql', time: iso(time), status, position: { file, position, gtid: `0-1-${gtidSeq}` }, host: 'h' };
}

// Logs 1..4: transactions 1-10, 11-20, 21-30, 31-40, ten seconds apart per log.
const logs = [log(1, 1, 10, T0, T0 + 9), log(2, 11, 20, T0 + 10, T0 + 19), log(3, 21, 30, T0 + 20, T0 + 29), log(4, 31, 40, T0 + 30, T0 + 39)];
const snapshots = [snapshot('early', T0 + 5, 'mysql-bin.000001', 500, 5), snapshot('late', T0 + 15, 'mysql-bin.000002', 700, 15)];

/** Transactions 21..30 of log 3: each 100 bytes, starting at 256, commit time T0+20+i — with one out-of-order stamp. */
const index3: TransactionBoundary[] = Array.from({ length: 10 }, (_, i) => ({
  startPosition: 256 + i * 100,
  endPosition: 356 + i * 100,
  commitTime: T0 + 20 + i,
  gtid: `0-1-${21 + i}`,
}));

describe('restore plan (pure)', () => {
  it('--to TIME picks the newest snapshot before it and stops before the first transaction committed after it', () => {
    const chain = planChain({ snapshots, logs, target: { kind: 'time', time: T0 + 24, text: '' } });
    expect(chain.snapshot.id).toBe('late');
    expect(chain.logs.map((entry) => entry.name)).toEqual(['mysql-bin.000002', 'mysql-bin.000003']);
    expect(chain.logs[0]!.from).toBe(700);
    expect(chain.boundaryLog).toBe('mysql-bin.000003');
    const plan = locateStop(chain, index3);
    expect(plan.stop.position).toBe(756);
    expect(plan.stop.lastApplied?.gtid).toBe('0-1-25');
    expect(plan.stop.firstExcluded?.gtid).toBe('0-1-26');
    expect(plan.bytesToReplay).toBe(10_000 - 700 + 756 - 256);
  });

  it('--to-gtid includes the transaction; --before-gtid stops just before it', () => {
    const chain = planChain({ snapshots, logs, target: parseTarget({ toGtid: '0-1-23' }) });
    expect(locateStop(chain, index3).stop.position).toBe(556);
    const before = planChain({ snapshots, logs, target: parseTarget({ beforeGtid: '0-1-23' }) });
    expect(locateStop(before, index3).stop.position).toBe(456);
  });

  it('a GTID already inside the newest snapshot makes the plan fall back to an older snapshot', () => {
    const chain = planChain({ snapshots, logs, target: parseTarget({ beforeGtid: '0-1-12' }) });
    expect(chain.snapshot.id).toBe('early');
  });

  it('--to-position must be a transaction boundary', () => {
    const chain = planChain({ snapshots, logs, target: parseTarget({ toPosition: 'mysql-bin.000003:656' }) });
    expect(locateStop(chain, index3).stop.position).toBe(656);
    const bad = planChain({ snapshots, logs, target: parseTarget({ toPosition: 'mysql-bin.000003:650' }) });
    expect(() => locateStop(bad, index3)).toThrow(/not the end of a transaction/);
    // A log that is not archived (yet) is named as such, not as "before the oldest snapshot".
    expect(() => planChain({ snapshots, logs, target: parseTarget({ toPosition: 'mysql-bin.000099:4' }) })).toThrow(/mysql-bin\.000099 is not in the archive/);
  });

  it('a target before the oldest snapshot is an error that lists the restorable windows', () => {
    expect(() => planChain({ snapshots, logs, target: { kind: 'time', time: T0 + 1, text: '' } })).toThrow(/before the oldest usable snapshot/);
  });

  it('a target after the last archived commit is an error with the window', () => {
    try {
      planChain({ snapshots, logs, target: { kind: 'time', time: T0 + 100, text: '' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      expect((error as PlanError).message).toMatch(/after the last archived commit/);
      const window = { from: iso(T0 + 15), to: iso(T0 + 39), lastTransaction: '0-1-40', transactionsAfterSnapshot: true };
      expect((error as PlanError).restorable).toMatchObject(window);
    }
  });

  it('a missing log in the chain is an error that names the gap and the window that is restorable', () => {
    const gapped = logs.filter((entry) => entry.sequence !== 3);
    expect(() => planChain({ snapshots, logs: gapped, target: { kind: 'time', time: T0 + 35, text: '' } })).toThrow(/gap after mysql-bin\.000002/);
  });

  it('timed-out and failed snapshots are never chosen', () => {
    const bad = [snapshot('late', T0 + 15, 'mysql-bin.000002', 700, 15, 'timed-out'), snapshots[0]!];
    expect(planChain({ snapshots: bad, logs, target: { kind: 'time', time: T0 + 24, text: '' } }).snapshot.id).toBe('early');
  });

  it('parses local and zoned times and refuses several targets at once', () => {
    expect(parseTargetTime('2026-11-22T10:00:00Z')).toBe(T0);
    expect(parseTargetTime('2026-11-22T11:00:00+01:00')).toBe(T0);
    expect(parseTargetTime('2026-11-22T10:00:00')).toBe(new Date(2026, 10, 22, 10, 0, 0).getTime() / 1000);
    expect(() => parseTarget({ to: 'yesterday' })).toThrow(/ISO-8601/);
    expect(() => parseTarget({ to: '2026-11-22', toGtid: '0-1-2' })).toThrow(/exactly one target/);
    expect(() => parseTarget({ toGtid: '0-1' })).toThrow(/neither a GTID nor a GTID position/);
    expect(() => parseTarget({ beforeGtid: '0-1-2,7-1-3' })).toThrow(/not a single GTID/);
  });
});

describe('a log snaplog could not read whole ends the chain (pure)', () => {
  const unreadableAt = (entry: LogMetadata, at: number): LogMetadata => ({
    ...entry,
    details: { unreadableFrom: at, problems: [{ position: at, problem: 'a MySQL encrypted binlog: reading it needs the keyring' }] },
  });

  it('a target beyond it is refused with the reason; --latest stops before it', () => {
    const damaged = [logs[0]!, logs[1]!, unreadableAt(logs[2]!, 4), logs[3]!];
    expect(() => planChain({ snapshots, logs: damaged, target: { kind: 'time', time: T0 + 35, text: '' } })).toThrow(
      /chain ends after mysql-bin\.000002: snaplog could not read mysql-bin\.000003 from byte 4 \(a MySQL encrypted binlog/,
    );
    // "Latest" would silently stop at the break: refused, with the explicit target that restores up to it.
    expect(() => planChain({ snapshots, logs: damaged, target: { kind: 'latest' } })).toThrow(/--latest cannot reach the archive's newest logs/);
    const upToBreak = planChain({ snapshots, logs: damaged, target: parseTarget({ toPosition: 'mysql-bin.000002:10000' }) });
    expect(upToBreak.logs.map((entry) => entry.name)).toEqual(['mysql-bin.000002']);
  });

  it('the snapshot’s own log unreadable: no plan from that snapshot', () => {
    const damaged = [logs[0]!, unreadableAt(logs[1]!, 4), logs[2]!, logs[3]!];
    expect(() => planChain({ snapshots, logs: damaged, snapshotId: 'late', target: { kind: 'latest' } })).toThrow(
      /could not read mysql-bin\.000002 .*cannot be rolled forward exactly/,
    );
  });
});
