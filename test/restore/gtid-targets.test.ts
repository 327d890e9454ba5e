import { describe, expect, it } from 'vitest';
import { locateStop, planChain, PlanError, restorableWindow, windowText } from '../../src/engines/mysql/restore/plan.js';
import type { TransactionBoundary } from '../../src/engines/mysql/restore/plan.js';
import { GtidSet, logMayHold, parseGtid } from '../../src/engines/mysql/restore/gtid.js';
import { parseTarget } from '../../src/engines/mysql/restore/target.js';
import { GtidRangeRecorder } from '../../src/engines/mysql/binlog/gtid.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';

const T0 = Date.parse('2026-11-22T10:00:00Z') / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const name = (sequence: number) => `mysql-bin.${String(sequence).padStart(6, '0')}`;

/** A log whose transactions (100 bytes each from offset 256) carry these GTIDs, committed one second apart from `t`. */
function log(sequence: number, gtids: string[], t: number, options: { ranges?: boolean } = {}): { meta: LogMetadata; index: TransactionBoundary[] } {
  const index = gtids.map((gtid, i) => ({ startPosition: 256 + i * 100, endPosition: 356 + i * 100, commitTime: t + i, gtid }));
  const recorder = new GtidRangeRecorder();
  for (const gtid of gtids) recorder.addText(gtid);
  const meta: LogMetadata = {
    formatVersion: 1,
    name: name(sequence),
    engine: 'mysql',
    sequence,
    size: 256 + gtids.length * 100 + 40,
    sha256: 'x',
    headSha256: 'y',
    compression: 'none',
    storedName: name(sequence),
    storedSize: 0,
    startPosition: 256,
    lastCompleteTransactionEnd: 256 + gtids.length * 100 + 40,
    transactionCount: gtids.length,
    shippedAt: iso(t),
    shippedBy: 'test',
    ...(gtids.length
      ? { firstCommitTime: iso(t), lastCommitTime: iso(t + gtids.length - 1), firstTransaction: gtids[0], lastTransaction: gtids[gtids.length - 1] }
      : {}),
    ...(options.ranges === false ? {} : { gtidRanges: recorder.result() }),
  };
  return { meta, index };
}

function snapshot(id: string, time: string, file: string, gtid: string): SnapshotRecord {
  return { formatVersion: 1, id, systemId: 's', engine: 'mysql', time, status: 'thawed', position: { file, position: 256, gtid }, host: 'h' };
}

// The repro, then more: log 2 starts with the snapshot; its first and last transactions are of domain 7.
const log1 = log(1, ['0-1-1', '0-1-2', '0-1-3'], T0);
const log2 = log(2, ['7-1-1', '0-1-4', '0-1-5', '0-1-6', '7-1-2'], T0 + 10);
const log3 = log(3, ['0-1-7', '7-1-3', '0-1-8', '7-1-4'], T0 + 20);
const log4 = log(4, ['0-1-9', '7-1-5'], T0 + 30);
const logs = [log1, log2, log3, log4];
const indexes = new Map(logs.map((entry) => [entry.meta.name, entry.index]));
const first = snapshot('first', iso(T0 + 5), name(2), '0-1-3');

function plan(target: string | { before: string }, snapshots = [first], metas = logs.map((entry) => entry.meta), snapshotId?: string) {
  const parsed = typeof target === 'string' ? parseTarget({ toGtid: target }) : parseTarget({ beforeGtid: target.before });
  const chain = planChain({ snapshots, logs: metas, target: parsed, snapshotId });
  return locateStop(chain, indexes.get(chain.logs[chain.logs.length - 1]!.name)!);
}

function planError(run: () => unknown): PlanError {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanError) return error;
    throw error;
  }
  throw new Error('expected a PlanError');
}

describe('GTID targets by each domain’s own range (pure)', () => {
  it('the issue’s repro: a domain-0 GTID inside a log whose first and last transactions are of domain 7', () => {
    expect(plan('0-1-6').stop).toMatchObject({ file: name(2), position: 656, lastApplied: { gtid: '0-1-6' }, firstExcluded: { gtid: '7-1-2' } });
    expect(plan({ before: '0-1-6' }).stop).toMatchObject({ file: name(2), position: 556, lastApplied: { gtid: '0-1-5' }, firstExcluded: { gtid: '0-1-6' } });
    expect(plan('0-1-4').stop.position).toBe(456);
    expect(plan({ before: '7-1-2' }).stop.position).toBe(656);
    expect(plan('0-1-8').stop).toMatchObject({ file: name(3), position: 556 });
    expect(plan({ before: '7-1-3' }).stop).toMatchObject({ file: name(3), position: 356 });
    // A stop at the start of a log: the last applied transaction is the previous log's last.
    expect(plan({ before: '0-1-7' }).stop).toMatchObject({ file: name(3), position: 256, lastApplied: { file: name(2), gtid: '7-1-2' } });
  });

  it('a GTID with another server id than the archived one is refused with the right one', () => {
    expect(() => plan('0-2-5')).toThrow(/0-1-5 is \(same domain and sequence number, another server id\)/);
  });

  it('logs shipped before the ranges existed: the old first/last check where it is conclusive, else the planner asks to read them', () => {
    const old = logs.map(
      (entry) =>
        log(
          entry.meta.sequence,
          entry.index.map((t) => t.gtid!),
          entry.index[0]!.commitTime,
          { ranges: false },
        ).meta,
    );
    expect(plan({ before: '7-1-2' }, [first], old).stop.position).toBe(656);
    const error = planError(() => plan('0-1-6', [first], old));
    expect(error.unindexedLogs).toEqual([name(2), name(3), name(4)]);
    expect(logMayHold(old[1]!, parseGtid('0-1-6')!)).toBe('unknown');
    expect(logMayHold(logs[1]!.meta, parseGtid('0-1-6')!)).toBe('yes');
    expect(logMayHold(logs[2]!.meta, parseGtid('0-1-6')!)).toBe('no');
  });
});

describe('--to-gtid with a GTID position list (pure)', () => {
  it('parses a list into a position target; one GTID stays a single-transaction target', () => {
    expect(parseTarget({ toGtid: ' 0-1-3712, 7-1-97 ' })).toEqual({ kind: 'gtid-position', position: '0-1-3712,7-1-97' });
    expect(parseTarget({ toGtid: '0-1-3712' })).toEqual({ kind: 'gtid', gtid: '0-1-3712' });
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(parseTarget({ toGtid: `${uuid.toUpperCase()}:1-40:42,\n${uuid}:43` })).toEqual({ kind: 'gtid-position', position: `${uuid}:1-40:42-43` });
    expect(() => parseTarget({ toGtid: '0-1-5,banana' })).toThrow(/neither a GTID nor a GTID position/);
  });

  it('a position that is a point of the log order: stop right after the transaction that completes it', () => {
    expect(plan('0-1-5,7-1-1').stop).toMatchObject({ file: name(2), position: 556, lastApplied: { gtid: '0-1-5' }, firstExcluded: { gtid: '0-1-6' } });
    expect(plan('0-1-6,7-1-2').stop).toMatchObject({ file: name(2), position: 756, lastApplied: { gtid: '7-1-2' } });
    expect(plan('0-1-7,7-1-2').stop).toMatchObject({ file: name(3), position: 356, lastApplied: { gtid: '0-1-7' } });
    // Several logs replayed whole on the ranges alone, the stop in the last.
    const far = plan('0-1-9,7-1-4');
    expect(far.logs.map((entry) => entry.name)).toEqual([name(2), name(3), name(4)]);
    expect(far.stop).toMatchObject({ file: name(4), position: 356, lastApplied: { gtid: '0-1-9' }, firstExcluded: { gtid: '7-1-5' } });
  });

  it('a position that is not a point of the log order is refused with the nearest exact positions', () => {
    // 7-1-3 comes before 0-1-8: "0-1-8 with domain 7 at 2" cannot be replayed.
    const inLog = planError(() => plan('0-1-8,7-1-2'));
    expect(inLog.message).toMatch(/not a point in the log order: 7-1-3 \(mysql-bin\.000003:356\) is not in it/);
    expect(inLog.hint).toContain('--to-gtid 0-1-7,7-1-2 (stops before 7-1-3)');
    expect(inLog.hint).toContain('--to-gtid 0-1-8,7-1-3 (stops after 0-1-8; also applies 1 transaction outside your position: 7-1-3)');
    // Found from the ranges of log 3 while the position is completed only in log 4.
    const later = planError(() => plan('0-1-9,7-1-2'));
    expect(later.message).toMatch(/7-1-3/);
    expect(later.hint).toContain('--to-gtid 0-1-7,7-1-2');
    expect(later.hint).toMatch(/a single --to-gtid of the last transaction you need/);
  });

  it('a position beyond the archive, and a GTID not archived at all, are refused', () => {
    expect(planError(() => plan('0-1-99,7-1-5')).message).toMatch(/goes beyond the archived logs .*reach 0-1-9,7-1-5 \(short in domain 0\)/);
    expect(planError(() => plan('0-1-99')).message).toMatch(/GTID 0-1-99 is in none of the archived logs/);
  });

  it('snapshot selection: the newest snapshot whose own position is inside the target, in every domain', () => {
    const second = snapshot('second', iso(T0 + 15), name(3), '0-1-6,7-1-2');
    expect(plan('0-1-7,7-1-2', [first, second]).snapshot.id).toBe('second');
    // Domain 7 of the newer snapshot is past the target: the older one, from which the position is reachable.
    expect(plan('0-1-5,7-1-1', [first, second]).snapshot.id).toBe('first');
    expect(planError(() => plan('0-1-6,7-1-1', [first, second], undefined, 'second')).message).toMatch(/before snapshot second/);
    // The position of the snapshot itself: nothing to replay.
    const same = plan('0-1-6,7-1-2', [first, second]);
    expect(same.snapshot.id).toBe('second');
    expect(same.stop).toMatchObject({ file: name(3), position: 256 });
    expect(same.stop.lastApplied).toBeUndefined();
    expect(same.bytesToReplay).toBe(0);
    // A position that leaves out a domain of every snapshot cannot be reached.
    const metas = logs.map((entry) => entry.meta);
    const zeroOnly = planError(() => planChain({ snapshots: [second], logs: metas, target: { kind: 'gtid-position', position: '0-1-9' } }));
    expect(zeroOnly.message).toMatch(/before the oldest usable snapshot/);
    expect(zeroOnly.hint).toMatch(/must contain the snapshot's own \(second: 0-1-6,7-1-2\)/);
  });
});

describe('GtidSet (pure)', () => {
  it('MariaDB positions are per-domain high-water marks; MySQL sets are intervals', () => {
    const position = GtidSet.parse('0-1-10,7-2-5,0-3-4');
    expect(position.format()).toBe('0-1-10,7-2-5');
    expect(position.includes(parseGtid('0-9-10')!)).toBe(true);
    expect(position.includes(parseGtid('7-2-6')!)).toBe(false);
    expect(position.includes(parseGtid('3-1-1')!)).toBe(false);
    expect(position.covers(GtidSet.parse('0-1-9'))).toBe(true);
    expect(position.covers(GtidSet.parse('0-1-9,3-1-1'))).toBe(false);
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const set = GtidSet.parse(`${uuid}:1-40:42`);
    expect(set.includes({ stream: uuid, seq: 41 })).toBe(false);
    expect(set.includes({ stream: uuid, seq: 42 })).toBe(true);
    set.add({ stream: uuid, seq: 41 });
    expect(set.format()).toBe(`${uuid}:1-42`);
    expect(set.covers(GtidSet.parse(`${uuid}:5-42`))).toBe(true);
    expect(() => GtidSet.parse(`${uuid}:9-3`)).toThrow(/runs backwards/);
  });

  it('GtidRangeRecorder: lowest/highest number, count and the server of the highest per domain; out-of-order marked', () => {
    const recorder = new GtidRangeRecorder();
    for (const gtid of ['7-1-1', '0-1-4', '0-2-5', '7-1-2', '0-1-3']) recorder.addText(gtid);
    recorder.add('3e11fa47-71ca-11e1-9e33-c80aa9429562', 12);
    expect(recorder.result()).toEqual({
      '7': { first: 1, last: 2, count: 2, server: 1 },
      '0': { first: 3, last: 5, count: 3, server: 2, outOfOrder: true },
      '3e11fa47-71ca-11e1-9e33-c80aa9429562': { first: 12, last: 12, count: 1 },
    });
  });
});

describe('restorable window display (pure)', () => {
  const sameSecond = log(5, ['0-1-10', '0-1-11'], T0 + 100);
  it('commits in the snapshot’s own second: the window says there are transactions after the snapshot', () => {
    // The snapshot at …:40.703; both commits stamped …:40 (whole seconds), one of them after the snapshot.
    const meta = { ...sameSecond.meta, lastCommitTime: iso(T0 + 100), firstCommitTime: iso(T0 + 100) };
    const taken = snapshot('s', new Date((T0 + 100) * 1000 + 703).toISOString(), name(5), '0-1-10');
    const window = restorableWindow(taken, [meta]);
    expect(window).toEqual({
      from: taken.time,
      to: taken.time,
      lastCommit: iso(T0 + 100),
      lastTransaction: '0-1-11',
      transactionsAfterSnapshot: true,
      lastPosition: '0-1-11',
    });
    expect(windowText(window)).toBe(
      `${taken.time} .. ${taken.time} (transactions after the snapshot, none stamped after its second; the last, 0-1-11, is stamped ${iso(T0 + 100)})`,
    );
    // Nothing after the snapshot yet.
    const idle = restorableWindow(snapshot('s', taken.time, name(5), '0-1-11'), [meta]);
    expect(idle.transactionsAfterSnapshot).toBe(false);
    expect(windowText(idle)).toMatch(/no transaction after the snapshot yet/);
    // Later commits: the usual window with the last transaction.
    const whole = restorableWindow(
      first,
      logs.map((entry) => entry.meta),
    );
    expect(windowText(whole)).toBe(`${first.time} .. ${iso(T0 + 31)} (last 7-1-5)`);
    // The position at the end of the archive is a --to-gtid value that restores everything.
    expect(whole.lastPosition).toBe('0-1-9,7-1-5');
    expect(plan(whole.lastPosition!).stop).toMatchObject({ file: name(4), position: 456, lastApplied: { gtid: '7-1-5' } });
  });
});
