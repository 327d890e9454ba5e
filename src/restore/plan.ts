import type { LogMetadata } from '../archive/metadata.js';
import type { SnapshotRecord } from '../archive/snapshot-record.js';
import { SnaplogError } from '../errors.js';
import type { RestoreTarget } from './target.js';
import { gtidIncluded, gtidWithin, parseGtid } from './gtid.js';

/** A transaction boundary in a log (from the binlog reader's index). */
export interface TransactionBoundary {
  startPosition: number;
  endPosition: number;
  commitTime: number;
  gtid?: string;
}

export interface PlannedLog {
  name: string;
  sequence: number;
  size: number;
  sha256: string;
  storedName: string;
  compression: LogMetadata['compression'];
  /** Replay starts here in this log (the snapshot position in the first, the first event elsewhere). */
  from: number;
  /** Replay ends here (exclusive) in the last log; absent = to the end of the log. */
  to?: number;
}

export interface StopPoint {
  file: string;
  /** Offset where replay stops: everything before it is applied, nothing from it on. */
  position: number;
  /** The last transaction applied, and the first one left out (when known). */
  lastApplied?: { gtid?: string; commitTime?: string; endPosition: number };
  firstExcluded?: { gtid?: string; commitTime?: string; startPosition: number };
  /** Replay to the end of the chain (no transaction after the target exists in the archive). */
  endOfChain: boolean;
}

export interface ChainPlan {
  snapshot: SnapshotRecord;
  target: RestoreTarget;
  logs: PlannedLog[];
  /** The log in which the stop position must be found from its transaction index; absent for end-of-chain targets. */
  boundaryLog?: string;
  restorable: { from: string; to: string };
}

export interface RestorePlan extends ChainPlan {
  stop: StopPoint;
  bytesToReplay: number;
  gaps: never[];
  /** Bytes of the boundary log the planner read to find the stop (less than its size when its index helped). */
  boundaryBytesScanned?: number;
}

export class PlanError extends SnaplogError {
  constructor(message: string, hint: string, readonly restorable?: { from: string; to: string }) {
    super(message, { hint });
  }
}

const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString());
const unix = (time: string | undefined): number | undefined => (time === undefined ? undefined : Math.floor(Date.parse(time) / 1000));

function usableSnapshots(snapshots: SnapshotRecord[]): SnapshotRecord[] {
  return snapshots.filter((snapshot) => snapshot.status === 'thawed' && snapshot.position).sort((a, b) => a.time.localeCompare(b.time));
}

/** Orders positions in the log stream: by log sequence, then offset. */
function positionKey(logs: LogMetadata[], file: string, position: number): number | undefined {
  const log = logs.find((candidate) => candidate.name === file);
  return log ? log.sequence * 2 ** 32 + position : undefined;
}

/** The unbroken chain of archived logs starting at the snapshot's log; stops at the first gap. */
function chainFrom(snapshot: SnapshotRecord, logs: LogMetadata[]): { chain: LogMetadata[]; brokenBefore?: LogMetadata } {
  const startIndex = logs.findIndex((log) => log.name === snapshot.position!.file);
  if (startIndex < 0) return { chain: [] };
  const chain: LogMetadata[] = [logs[startIndex]!];
  for (let i = startIndex + 1; i < logs.length; i++) {
    const log = logs[i]!;
    if (log.sequence !== chain[chain.length - 1]!.sequence + 1) return { chain, brokenBefore: log };
    chain.push(log);
  }
  return { chain };
}

function lastCommitOf(chain: LogMetadata[], snapshot: SnapshotRecord): string {
  for (let i = chain.length - 1; i >= 0; i--) if (chain[i]!.lastCommitTime) return chain[i]!.lastCommitTime!;
  return snapshot.time;
}

function windowOf(snapshot: SnapshotRecord, logs: LogMetadata[]): { from: string; to: string } {
  const { chain } = chainFrom(snapshot, logs);
  const to = lastCommitOf(chain, snapshot);
  return { from: snapshot.time, to: to > snapshot.time ? to : snapshot.time };
}

function describeWindows(snapshots: SnapshotRecord[], logs: LogMetadata[]): string {
  if (snapshots.length === 0) return 'no usable snapshot is recorded (run snaplog freeze with each snapshot)';
  return snapshots.map((snapshot) => `${snapshot.id}: ${windowOf(snapshot, logs).from} .. ${windowOf(snapshot, logs).to}`).join('; ');
}

/** Is the target at or after the snapshot's position (so replay from the snapshot can reach it)? */
function snapshotPrecedes(snapshot: SnapshotRecord, target: RestoreTarget, logs: LogMetadata[]): boolean {
  const position = snapshot.position!;
  switch (target.kind) {
    case 'time':
      return unix(snapshot.time)! <= target.time;
    case 'gtid':
    case 'before-gtid': {
      const gtid = parseGtid(target.gtid);
      return gtid !== undefined && !gtidIncluded(position.gtid, gtid);
    }
    case 'position': {
      const at = positionKey(logs, position.file, position.position);
      const goal = positionKey(logs, target.file, target.position);
      return at !== undefined && goal !== undefined && at <= goal;
    }
    case 'latest':
      return true;
  }
}

/** Which log of the chain holds the stop position; undefined = replay the whole chain. */
function boundaryLogFor(target: RestoreTarget, chain: LogMetadata[], snapshot: SnapshotRecord, window: { from: string; to: string }): string | undefined {
  switch (target.kind) {
    case 'latest':
      return undefined;
    case 'time': {
      // The stop lies before the first transaction committed after the target time.
      const log = chain.find((candidate) => candidate.lastCommitTime !== undefined && unix(candidate.lastCommitTime)! > target.time);
      if (log) return log.name;
      throw new PlanError(
        `--to ${iso(target.time)} is after the last archived commit (${window.to})`,
        `the restorable window of snapshot ${snapshot.id} is ${window.from} .. ${window.to}; ship the newer logs (snaplog ship --once on the server) or pick a time inside the window`,
        window,
      );
    }
    case 'gtid':
    case 'before-gtid': {
      const gtid = parseGtid(target.gtid)!;
      const log = chain.find((candidate) => gtidWithin(gtid, candidate.firstTransaction, candidate.lastTransaction));
      if (log) return log.name;
      throw new PlanError(`GTID ${target.gtid} is in none of the archived logs after snapshot ${snapshot.id}`, `check the GTID (snaplog find --query … prints them); the restorable window is ${window.from} .. ${window.to}`, window);
    }
    case 'position': {
      const log = chain.find((candidate) => candidate.name === target.file);
      if (log) return log.name;
      throw new PlanError(`${target.file} is not in the archived chain after snapshot ${snapshot.id}`, `the chain is ${chain[0]?.name} .. ${chain[chain.length - 1]?.name}`, window);
    }
  }
}

/**
 * Phase one of planning, from archive metadata alone: the newest usable snapshot before the target
 * (or the one asked for), the unbroken chain of logs from its position, and the log that holds the stop.
 * A gap before the target is an error that names the window that is restorable.
 */
export function planChain(input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: RestoreTarget; snapshotId?: string }): ChainPlan {
  const logs = [...input.logs].sort((a, b) => a.sequence - b.sequence);
  const usable = usableSnapshots(input.snapshots);
  let snapshot: SnapshotRecord | undefined;
  if (input.snapshotId) {
    snapshot = input.snapshots.find((candidate) => candidate.id === input.snapshotId);
    if (!snapshot) throw new PlanError(`no snapshot ${input.snapshotId} in the archive`, `snapshots: ${describeWindows(usable, logs)}`);
    if (!usable.includes(snapshot)) throw new PlanError(`snapshot ${snapshot.id} is ${snapshot.status}: not application-consistent, not usable for point-in-time restore`, `usable snapshots: ${describeWindows(usable, logs)}`);
    if (!snapshotPrecedes(snapshot, input.target, logs)) throw new PlanError(`the target is before snapshot ${snapshot.id}`, `pick an older snapshot; windows: ${describeWindows(usable, logs)}`);
  } else {
    snapshot = [...usable].reverse().find((candidate) => snapshotPrecedes(candidate, input.target, logs));
    if (!snapshot) {
      throw new PlanError(
        usable.length ? 'the target is before the oldest usable snapshot' : 'no usable snapshot in the archive',
        `restorable windows: ${describeWindows(usable, logs)}`,
      );
    }
  }
  const { chain, brokenBefore } = chainFrom(snapshot, logs);
  if (chain.length === 0) throw new PlanError(`log ${snapshot.position!.file}, where snapshot ${snapshot.id} stands, is not in the archive`, 'run snaplog verify; the snapshot cannot be rolled forward without it');
  const window = windowOf(snapshot, logs);
  let boundaryLog: string | undefined;
  try {
    boundaryLog = boundaryLogFor(input.target, chain, snapshot, window);
  } catch (error) {
    if (brokenBefore && error instanceof PlanError) {
      throw new PlanError(
        `the archive has a gap after ${chain[chain.length - 1]!.name} (next archived: ${brokenBefore.name}): the target cannot be reached from snapshot ${snapshot.id}`,
        `restorable window: ${window.from} .. ${window.to}; a newer snapshot after the gap may reach the target (snaplog list)`,
        window,
      );
    }
    throw error;
  }
  const last = boundaryLog ? chain.findIndex((log) => log.name === boundaryLog) : chain.length - 1;
  const planned = chain.slice(0, last + 1).map((log, i) => ({
    name: log.name,
    sequence: log.sequence,
    size: log.size,
    sha256: log.sha256,
    storedName: log.storedName,
    compression: log.compression,
    from: i === 0 ? snapshot.position!.position : (log.startPosition ?? 4),
  }));
  return { snapshot, target: input.target, logs: planned, boundaryLog, restorable: window };
}

/**
 * Phase two: the exact stop offset from the boundary log's transaction index — never a time cut
 * (mysqlbinlog's --stop-datetime stops at the first event stamped later, which cuts early).
 */
export function locateStop(chain: ChainPlan, index: TransactionBoundary[], boundaryLogMeta?: Pick<LogMetadata, 'lastCompleteTransactionEnd' | 'size'>): RestorePlan {
  const lastLog = chain.logs[chain.logs.length - 1]!;
  const from = lastLog.from;
  const transactions = index.filter((transaction) => transaction.startPosition >= from);
  const target = chain.target;
  const endOfLog = boundaryLogMeta?.lastCompleteTransactionEnd ?? lastLog.size;
  let stop: StopPoint;
  const describe = (transaction: TransactionBoundary | undefined) => transaction && { gtid: transaction.gtid, commitTime: iso(transaction.commitTime) };

  const stopBefore = (i: number): StopPoint => {
    const excluded = transactions[i]!;
    const applied = transactions[i - 1];
    return {
      file: lastLog.name,
      position: excluded.startPosition,
      firstExcluded: { ...describe(excluded), startPosition: excluded.startPosition },
      ...(applied ? { lastApplied: { ...describe(applied), endPosition: applied.endPosition } } : {}),
      endOfChain: false,
    };
  };
  const stopAfter = (i: number): StopPoint => {
    const applied = transactions[i]!;
    const excluded = transactions[i + 1];
    return {
      file: lastLog.name,
      position: applied.endPosition,
      lastApplied: { ...describe(applied), endPosition: applied.endPosition },
      ...(excluded ? { firstExcluded: { ...describe(excluded), startPosition: excluded.startPosition } } : {}),
      endOfChain: false,
    };
  };

  switch (target.kind) {
    case 'latest':
      stop = { file: lastLog.name, position: endOfLog, endOfChain: true };
      break;
    case 'time': {
      const i = transactions.findIndex((transaction) => transaction.commitTime > target.time);
      if (i < 0) throw new PlanError(`no transaction after ${iso(target.time)} in ${lastLog.name}, although its metadata says so`, 'run snaplog verify: the metadata and the log disagree');
      stop = stopBefore(i);
      break;
    }
    case 'gtid':
    case 'before-gtid': {
      const i = transactions.findIndex((transaction) => transaction.gtid === target.gtid);
      if (i < 0) throw new PlanError(`GTID ${target.gtid} is not a transaction of ${lastLog.name} after the snapshot position`, 'check the GTID with snaplog find');
      stop = target.kind === 'gtid' ? stopAfter(i) : stopBefore(i);
      break;
    }
    case 'position': {
      const i = transactions.findIndex((transaction) => transaction.endPosition === target.position);
      if (i < 0) {
        const near = transactions.filter((transaction) => Math.abs(transaction.endPosition - target.position) < 1 << 20).slice(0, 3).map((transaction) => transaction.endPosition);
        throw new PlanError(`${target.file}:${target.position} is not the end of a transaction`, `replay stops only between transactions; nearby boundaries: ${near.join(', ') || 'none'}`);
      }
      stop = stopAfter(i);
      break;
    }
  }
  const logs = chain.logs.map((log, i) => (i === chain.logs.length - 1 ? { ...log, to: stop.position } : log));
  const bytesToReplay = logs.reduce((sum, log) => sum + Math.max(0, (log.to ?? log.size) - log.from), 0);
  return { ...chain, logs, stop, bytesToReplay, gaps: [] };
}
