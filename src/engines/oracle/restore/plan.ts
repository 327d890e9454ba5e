/**
 * Pure: which snapshot and which archived logs an Oracle point-in-time recovery needs, per redo thread.
 * Recovery from a snapshot taken in backup mode at SCN S needs, for every thread, the logs whose redo
 * reaches past S (NEXT_SCN > S) up to the first log that covers the target.
 */
import type { LogMetadata } from '../../../archive/metadata.js';
import type { SnapshotRecord } from '../../../archive/snapshot-record.js';
import { PlanError } from '../../chain-plan.js';

/** A sequence target includes that log of that thread (and, on other threads, the redo up to its end). */
export type OracleTarget =
  | { kind: 'time'; time: number; text: string }
  | { kind: 'scn'; scn: bigint }
  | { kind: 'sequence'; thread: number; sequence: number }
  | { kind: 'latest' };

/** Pure: `--to-sequence [THREAD:]SEQUENCE` (thread 1 when not given). */
export function parseSequenceTarget(text: string): { kind: 'sequence'; thread: number; sequence: number } | undefined {
  const match = /^(?:(\d+):)?(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const thread = Number(match[1] ?? 1);
  const sequence = Number(match[2]);
  return thread >= 1 && sequence >= 1 ? { kind: 'sequence', thread, sequence } : undefined;
}

interface RedoLog {
  meta: LogMetadata;
  thread: number;
  sequence: number;
  firstScn: bigint;
  nextScn: bigint;
  firstTime: number;
  nextTime: number;
}

export interface OraclePlan {
  snapshot: SnapshotRecord;
  snapshotScn: bigint;
  /** Per thread, in sequence order; fetched all together. */
  logs: LogMetadata[];
  threads: number[];
  /** What to recover to; --latest is resolved to the last SCN every thread's archived redo reaches. */
  target: Exclude<OracleTarget, { kind: 'latest' }>;
}

function redo(meta: LogMetadata): RedoLog | undefined {
  const details = meta.details as { thread?: number; sequence?: number; firstScn?: string; nextScn?: string } | undefined;
  if (!details?.thread || !details.firstScn || !details.nextScn || !meta.firstCommitTime || !meta.lastCommitTime) return undefined;
  return {
    meta,
    thread: details.thread,
    sequence: details.sequence ?? meta.sequence,
    firstScn: BigInt(details.firstScn),
    nextScn: BigInt(details.nextScn),
    firstTime: Date.parse(meta.firstCommitTime) / 1000,
    nextTime: Date.parse(meta.lastCommitTime) / 1000,
  };
}

const snapshotScn = (snapshot: SnapshotRecord): bigint | undefined =>
  snapshot.position?.gtid && /^\d+$/.test(snapshot.position.gtid) ? BigInt(snapshot.position.gtid) : undefined;

export function planOracleRecovery(input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: OracleTarget; snapshotId?: string }): OraclePlan {
  const usable = input.snapshots
    .filter((snapshot) => snapshot.engine === 'oracle' && snapshot.status === 'thawed' && snapshotScn(snapshot) !== undefined)
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const redoLogs = input.logs.flatMap((meta) => redo(meta) ?? []);
  const lastTime = Math.max(...redoLogs.map((log) => log.nextTime), 0);
  // biome-ignore lint/complexity/useMathMinMax: SCNs are bigints, which Math.max does not take
  const lastScn = redoLogs.reduce((max, log) => (log.nextScn > max ? log.nextScn : max), 0n);
  const window = `${usable[0]?.time ?? 'no usable snapshot'} .. ${lastTime ? new Date(lastTime * 1000).toISOString() : 'no archived redo'}`;
  // A sequence target is the SCN target "through the last change of that log" for planning.
  const through = input.target.kind === 'sequence' ? sequenceEnd(redoLogs, input.target, window) : undefined;
  const target: Exclude<OracleTarget, { kind: 'sequence' }> =
    through !== undefined ? { kind: 'scn', scn: through } : (input.target as Exclude<OracleTarget, { kind: 'sequence' }>);
  const before = (snapshot: SnapshotRecord): boolean =>
    target.kind === 'time' ? Date.parse(snapshot.time) / 1000 <= target.time : target.kind === 'scn' ? snapshotScn(snapshot)! <= target.scn : true;
  const snapshot = input.snapshotId ? usable.find((candidate) => candidate.id === input.snapshotId) : usable.filter(before).pop();
  if (!snapshot)
    throw new PlanError(
      input.snapshotId
        ? `snapshot ${input.snapshotId} is not a usable (thawed, backup-mode) Oracle snapshot`
        : `no snapshot before the target: restorable window ${window}`,
      'snaplog list shows the snapshots',
    );
  if (!before(snapshot)) throw new PlanError(`snapshot ${snapshot.id} was taken after the target`, `restorable window ${window}`);
  if (target.kind === 'time' && target.time > lastTime)
    throw new PlanError(
      `the target is after the last archived redo (${new Date(lastTime * 1000).toISOString()})`,
      `restorable window ${window}; run snaplog ship --once first if the database is still up`,
    );
  if (target.kind === 'scn' && target.scn >= lastScn)
    throw new PlanError(`SCN ${target.scn} is not below the last archived NEXT_CHANGE# (${lastScn})`, `restorable window ${window}`);
  const startScn = snapshotScn(snapshot)!;
  const incarnationLogs = sameIncarnation(redoLogs, snapshot);

  const { chosen, threads } = threadChains(incarnationLogs, {
    after: (log) => log.nextScn > startScn,
    reachesStart: (log) => log.firstScn <= startScn,
    start: `the snapshot's SCN ${startScn}`,
    covers: (log) => (target.kind === 'time' ? log.nextTime > target.time : target.kind === 'scn' ? log.nextScn > target.scn : false),
    window,
  });
  if (chosen.length === 0) throw new PlanError('no archived redo after the snapshot', `restorable window ${window}`);
  return {
    snapshot,
    snapshotScn: startScn,
    logs: chosen,
    threads,
    target: input.target.kind === 'latest' ? { kind: 'scn', scn: latestConsistentScn(chosen) } : input.target,
  };
}

/**
 * Per thread, the unbroken run of logs from the one holding the start up to the first that covers the
 * target (all of them for --latest).
 */
function threadChains(
  logs: RedoLog[],
  rule: { after: (log: RedoLog) => boolean; reachesStart: (log: RedoLog) => boolean; start: string; covers: (log: RedoLog) => boolean; window: string },
): { chosen: LogMetadata[]; threads: number[] } {
  const threads = [...new Set(logs.map((log) => log.thread))].sort((a, b) => a - b);
  const chosen: LogMetadata[] = [];
  for (const thread of threads) {
    const own = logs.filter((log) => log.thread === thread && rule.after(log)).sort((a, b) => a.sequence - b.sequence);
    const needed: RedoLog[] = [];
    for (const log of own) {
      needed.push(log);
      if (rule.covers(log)) break;
    }
    const first = needed[0];
    if (first && !rule.reachesStart(first)) {
      throw new PlanError(
        `thread ${thread} has no archived redo from ${rule.start}: its first log after it, ${first.meta.name}, starts at SCN ${first.firstScn} (${first.meta.firstCommitTime})`,
        `the log before ${first.meta.name} is missing from the archive; restorable window ${rule.window}`,
      );
    }
    for (let index = 1; index < needed.length; index++) {
      if (needed[index]!.sequence !== needed[index - 1]!.sequence + 1) {
        throw new PlanError(
          `thread ${thread} misses sequence ${needed[index - 1]!.sequence + 1}${needed[index]!.sequence - needed[index - 1]!.sequence > 2 ? `..${needed[index]!.sequence - 1}` : ''} between ${needed[index - 1]!.meta.name} and ${needed[index]!.meta.name}`,
          `recovery cannot pass the gap; restorable window ${rule.window}`,
        );
      }
    }
    chosen.push(...needed.map((log) => log.meta));
  }
  return { chosen, threads };
}

export interface StorageSnapshotPlan {
  snapshotTime: number;
  targetTime: number;
  logs: LogMetadata[];
  threads: number[];
}

/**
 * A storage snapshot taken without backup mode (crash-consistent, Oracle 18c+ SNAPSHOT TIME): per thread,
 * the logs from the one being written at the snapshot time up to the target time.
 */
export function planStorageSnapshotRecovery(input: { logs: LogMetadata[]; snapshotTime: number; targetTime: number }): StorageSnapshotPlan {
  const redoLogs = input.logs.flatMap((meta) => redo(meta) ?? []);
  const lastTime = Math.max(...redoLogs.map((log) => log.nextTime), 0);
  const window = `${new Date(input.snapshotTime * 1000).toISOString()} .. ${lastTime ? new Date(lastTime * 1000).toISOString() : 'no archived redo'}`;
  if (input.targetTime < input.snapshotTime) throw new PlanError('the target is before the snapshot time', `restorable window ${window}`);
  if (input.targetTime > lastTime)
    throw new PlanError(`the target is after the last archived redo (${new Date(lastTime * 1000).toISOString()})`, `restorable window ${window}`);
  const incarnationLogs = sameIncarnation(redoLogs, { time: new Date(input.snapshotTime * 1000).toISOString() } as SnapshotRecord);
  const { chosen, threads } = threadChains(incarnationLogs, {
    after: (log) => log.nextTime > input.snapshotTime,
    reachesStart: (log) => log.firstTime <= input.snapshotTime,
    start: `the snapshot time ${new Date(input.snapshotTime * 1000).toISOString()}`,
    covers: (log) => log.nextTime > input.targetTime,
    window,
  });
  if (chosen.length === 0) throw new PlanError('no archived redo after the snapshot time', `restorable window ${window}`);
  return { snapshotTime: input.snapshotTime, targetTime: input.targetTime, logs: chosen, threads };
}

/**
 * The logs of the snapshot's incarnation (after an OPEN RESETLOGS sequences restart at 1 and SCNs of the
 * abandoned branch overlap the new one): the incarnation of the archived log the snapshot record names.
 */
function sameIncarnation(logs: RedoLog[], snapshot: SnapshotRecord): RedoLog[] {
  // Records without a log name: the incarnation whose redo was being written at the snapshot's time.
  const time = Date.parse(snapshot.time) / 1000;
  const named =
    logs.find((log) => log.meta.name === snapshot.position?.file) ??
    logs
      .filter((log) => log.firstTime <= time && time <= log.nextTime)
      .sort((a, b) => a.nextTime - b.nextTime)
      .pop();
  const resetlogs = (named?.meta.details as { resetlogsId?: string } | undefined)?.resetlogsId;
  return resetlogs ? logs.filter((log) => (log.meta.details as { resetlogsId?: string }).resetlogsId === resetlogs) : logs;
}

/**
 * --latest: the last SCN every thread's archived redo reaches (the smallest of the threads' last
 * NEXT_CHANGE#, minus one). Recovery past it would need a thread's online redo, which a restored
 * snapshot does not have.
 */
function latestConsistentScn(logs: LogMetadata[]): bigint {
  const lastPerThread = new Map<number, bigint>();
  for (const log of logs.flatMap((meta) => redo(meta) ?? [])) {
    if (log.nextScn > (lastPerThread.get(log.thread) ?? 0n)) lastPerThread.set(log.thread, log.nextScn);
  }
  // biome-ignore lint/complexity/useMathMinMax: SCNs are bigints, which Math.min does not take
  return [...lastPerThread.values()].reduce((min, scn) => (scn < min ? scn : min)) - 1n;
}

/** The last SCN in the archived log a sequence target names (its NEXT_CHANGE# - 1). */
function sequenceEnd(logs: RedoLog[], target: { thread: number; sequence: number }, window: string): bigint {
  // The same thread and sequence exist in every incarnation: the newest one is meant.
  const log = logs
    .filter((candidate) => candidate.thread === target.thread && candidate.sequence === target.sequence)
    .sort((a, b) => a.nextTime - b.nextTime)
    .pop();
  if (!log)
    throw new PlanError(
      `thread ${target.thread} sequence ${target.sequence} is not in the archive`,
      `restorable window ${window}; snaplog list shows the archived logs`,
    );
  return log.nextScn - 1n;
}
