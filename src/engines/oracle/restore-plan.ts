/**
 * Pure: which snapshot and which archived logs an Oracle point-in-time recovery needs, per redo thread.
 * Recovery from a snapshot taken in backup mode at SCN S needs, for every thread, the logs whose redo
 * reaches past S (NEXT_SCN > S) up to the first log that covers the target.
 */
import type { LogMetadata } from '../../archive/metadata.js';
import type { SnapshotRecord } from '../../archive/snapshot-record.js';
import { PlanError } from '../../restore/plan.js';

export type OracleTarget = { kind: 'time'; time: number; text: string } | { kind: 'scn'; scn: bigint } | { kind: 'latest' };

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
  target: OracleTarget;
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

const snapshotScn = (snapshot: SnapshotRecord): bigint | undefined => (snapshot.position?.gtid && /^\d+$/.test(snapshot.position.gtid) ? BigInt(snapshot.position.gtid) : undefined);

export function planOracleRecovery(input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: OracleTarget; snapshotId?: string }): OraclePlan {
  const usable = input.snapshots
    .filter((snapshot) => snapshot.engine === 'oracle' && snapshot.status === 'thawed' && snapshotScn(snapshot) !== undefined)
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const redoLogs = input.logs.flatMap((meta) => redo(meta) ?? []);
  const lastTime = Math.max(...redoLogs.map((log) => log.nextTime), 0);
  const lastScn = redoLogs.reduce((max, log) => (log.nextScn > max ? log.nextScn : max), 0n);
  const window = `${usable[0]?.time ?? 'no usable snapshot'} .. ${lastTime ? new Date(lastTime * 1000).toISOString() : 'no archived redo'}`;
  const { target } = input;
  const before = (snapshot: SnapshotRecord): boolean =>
    target.kind === 'time' ? Date.parse(snapshot.time) / 1000 <= target.time : target.kind === 'scn' ? snapshotScn(snapshot)! <= target.scn : true;
  const snapshot = input.snapshotId ? usable.find((candidate) => candidate.id === input.snapshotId) : usable.filter(before).pop();
  if (!snapshot) throw new PlanError(input.snapshotId ? `snapshot ${input.snapshotId} is not a usable (thawed, backup-mode) Oracle snapshot` : `no snapshot before the target: restorable window ${window}`, 'snaplog list shows the snapshots');
  if (!before(snapshot)) throw new PlanError(`snapshot ${snapshot.id} was taken after the target`, `restorable window ${window}`);
  if (target.kind === 'time' && target.time > lastTime) throw new PlanError(`the target is after the last archived redo (${new Date(lastTime * 1000).toISOString()})`, `restorable window ${window}; run snaplog ship --once first if the database is still up`);
  if (target.kind === 'scn' && target.scn >= lastScn) throw new PlanError(`SCN ${target.scn} is not below the last archived NEXT_CHANGE# (${lastScn})`, `restorable window ${window}`);
  const startScn = snapshotScn(snapshot)!;

  const threads = [...new Set(redoLogs.map((log) => log.thread))].sort((a, b) => a - b);
  const chosen: LogMetadata[] = [];
  for (const thread of threads) {
    const own = redoLogs.filter((log) => log.thread === thread && log.nextScn > startScn).sort((a, b) => a.sequence - b.sequence);
    const needed: RedoLog[] = [];
    for (const log of own) {
      needed.push(log);
      const covers = target.kind === 'time' ? log.nextTime > target.time : target.kind === 'scn' ? log.nextScn > target.scn : false;
      if (covers) break;
    }
    const first = needed[0];
    if (first && first.firstScn > startScn) {
      throw new PlanError(`thread ${thread} has no archived redo from the snapshot's SCN ${startScn}: its first log after it, ${first.meta.name}, starts at SCN ${first.firstScn}`, `the log before ${first.meta.name} is missing from the archive; restorable window ${window}`);
    }
    for (let index = 1; index < needed.length; index++) {
      if (needed[index]!.sequence !== needed[index - 1]!.sequence + 1) {
        throw new PlanError(`thread ${thread} misses sequence ${needed[index - 1]!.sequence + 1}${needed[index]!.sequence - needed[index - 1]!.sequence > 2 ? `..${needed[index]!.sequence - 1}` : ''} between ${needed[index - 1]!.meta.name} and ${needed[index]!.meta.name}`, `recovery cannot pass the gap; restorable window ${window}`);
      }
    }
    chosen.push(...needed.map((log) => log.meta));
  }
  if (chosen.length === 0) throw new PlanError('no archived redo after the snapshot', `restorable window ${window}`);
  return { snapshot, snapshotScn: startScn, logs: chosen, threads, target };
}
