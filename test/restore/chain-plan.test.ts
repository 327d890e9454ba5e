import { describe, expect, it } from 'vitest';
import { chainPlanOf, planArchiveChain, PlanError, restorableWindow, timeChainRules } from '../../src/engines/chain-plan.js';
import type { ChainRules } from '../../src/engines/chain-plan.js';
import { mysqlChainRules } from '../../src/engines/mysql/restore/plan.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';

const T0 = Date.parse('2026-11-22T10:00:00Z') / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** An engine-neutral log: no GTIDs, only commit times. */
function log(sequence: number, firstCommit: number, lastCommit: number, extra: Partial<LogMetadata> = {}): LogMetadata {
  const name = `j.${String(sequence).padStart(3, '0')}`;
  return {
    formatVersion: 1,
    name,
    engine: 'toy',
    sequence,
    size: 1000,
    sha256: 'x',
    headSha256: 'y',
    compression: 'none',
    storedName: name,
    storedSize: 1000,
    firstCommitTime: iso(firstCommit),
    lastCommitTime: iso(lastCommit),
    startPosition: 0,
    shippedAt: iso(lastCommit),
    shippedBy: 'test',
    ...extra,
  };
}

const snapshot = (id: string, time: number, file: string, gtid?: string): SnapshotRecord => ({
  formatVersion: 1,
  id,
  systemId: 's',
  engine: 'toy',
  time: iso(time),
  status: 'thawed',
  position: { file, position: 100, ...(gtid ? { gtid } : {}) },
  host: 'h',
});

const logs = [log(1, T0, T0 + 9), log(2, T0 + 10, T0 + 19), log(3, T0 + 20, T0 + 29)];
const snapshots = [snapshot('s1', T0 + 5, 'j.001'), snapshot('s2', T0 + 15, 'j.002')];

describe('the shared chain planner (pure), with the rules an engine passes in', () => {
  it('time rules: the newest snapshot before the target, the chain from its position, the log that holds the stop', () => {
    const plan = chainPlanOf(planArchiveChain({ snapshots, logs, target: { kind: 'time', time: T0 + 21, text: '' } }, timeChainRules));
    expect(plan.snapshot.id).toBe('s2');
    expect(plan.logs.map((entry) => [entry.name, entry.from])).toEqual([
      ['j.002', 100],
      ['j.003', 0],
    ]);
    expect(plan.boundaryLog).toBe('j.003');
    expect(Object.keys(plan).sort()).toEqual(['boundaryLog', 'logs', 'restorable', 'snapshot', 'target']);
  });

  it('time rules: --latest takes the whole chain; a GTID target has no meaning and is refused', () => {
    expect(planArchiveChain({ snapshots, logs, target: { kind: 'latest' } }).logs.map((entry) => entry.name)).toEqual(['j.002', 'j.003']);
    expect(() => planArchiveChain({ snapshots, logs, target: { kind: 'gtid', gtid: '0-1-5' }, snapshotId: 's1' })).toThrow(PlanError);
  });

  it("an engine's rules decide which snapshot precedes a target and where the stop is", () => {
    const firstSnapshotOnly: ChainRules = { precedes: (candidate) => candidate.id === 's1', boundary: () => ({ log: 'j.002' }) };
    const plan = planArchiveChain({ snapshots, logs, target: { kind: 'latest' } }, firstSnapshotOnly);
    expect([plan.snapshot.id, plan.boundaryLog, plan.logs.length]).toEqual(['s1', 'j.002', 2]);
  });

  it('the window: generic facts from the logs; MySQL rules add what the GTIDs tell', () => {
    const gtidLogs = [log(1, T0, T0 + 9, { transactionCount: 3, lastTransaction: '0-1-3', gtidRanges: { '0': { first: 1, last: 3, count: 3 } } })];
    const atGtid = snapshot('g', T0 + 9, 'j.001', '0-1-2');
    const generic = restorableWindow(atGtid, gtidLogs);
    expect(generic.transactionsAfterSnapshot).toBeUndefined();
    expect(generic.lastPosition).toBeUndefined();
    const mysql = restorableWindow(atGtid, gtidLogs, mysqlChainRules);
    expect(mysql).toMatchObject({ transactionsAfterSnapshot: true, lastPosition: '0-1-3', lastTransaction: '0-1-3' });
  });
});
