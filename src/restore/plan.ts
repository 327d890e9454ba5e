import { lineageBreak } from '../archive/lineage.js';
import type { LogMetadata } from '../archive/metadata.js';
import type { SnapshotRecord } from '../archive/snapshot-record.js';
import { SnaplogError } from '../errors.js';
import type { RestoreTarget } from './target.js';
import { GtidSet, gtidIncluded, logMayHold, parseGtid } from './gtid.js';
import type { ParsedGtid } from './gtid.js';

/** A transaction boundary in a log (from the binlog reader's index). */
export interface TransactionBoundary {
  startPosition: number;
  endPosition: number;
  commitTime: number;
  /** MySQL 8.0.1+: the commit time in µs (the plan shows it; the stop is still chosen on whole seconds). */
  commitTimeMicros?: number;
  gtid?: string;
  /** An XA step (XA PREPARE, or the XA COMMIT / ROLLBACK of an earlier prepare). */
  xa?: { phase: 'prepare' | 'commit' | 'rollback'; xid: string };
}

/** An XA transaction prepared before the stop and committed or rolled back after it (or never). */
export interface PreparedXa {
  /** As `XA COMMIT` takes it: X'gtrid',X'bqual',formatID. */
  xid: string;
  gtid?: string;
  /** The log and the offset where its XA PREPARE transaction ends. */
  file: string;
  position: number;
}

/** One XA step of an archived log, from its metadata (`details.xa`, written at ship time). */
interface XaRecord {
  phase: 'prepare' | 'commit' | 'rollback';
  xid: string;
  gtid?: string;
  startPosition: number;
  endPosition: number;
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
  lastApplied?: { gtid?: string; commitTime?: string; endPosition: number; /** When it is in the log before `file`. */ file?: string };
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
  /** GTID position targets: the GTID state where replay of the boundary log starts (snapshot + the logs before it). */
  positionBefore?: string;
  /** The last transaction of the log before the boundary log (from its metadata), for a stop at the boundary log's start. */
  lastBeforeBoundary?: { file: string; gtid?: string; endPosition: number };
  /** XA transactions still prepared at the end of the logs before the last planned one (from their metadata). */
  xaPreparedBefore?: PreparedXa[];
  /** Logs whose XA steps the metadata may not list completely: more than the reader keeps, or MySQL compressed transactions. */
  xaIncomplete?: string[];
  restorable: RestorableWindow;
}

/**
 * How far a snapshot can be rolled forward. `to` is the later of the snapshot time and the last commit stamp
 * (so `--to <to>` replays everything); commit stamps are whole seconds, so when the last commits share the
 * snapshot's second, `to` equals `from` although there are transactions after the snapshot:
 * `transactionsAfterSnapshot`, `lastTransaction` and `lastCommit` say so.
 */
export interface RestorableWindow {
  from: string;
  to: string;
  /** Commit stamp (whole second) of the last archived transaction of the chain. */
  lastCommit?: string;
  /** GTID of the last archived transaction of the chain (log order). */
  lastTransaction?: string;
  /** Whether the chain holds transactions after the snapshot (undefined: the metadata cannot tell). */
  transactionsAfterSnapshot?: boolean;
  /** The GTID position at the end of the chain (MariaDB: as @@gtid_binlog_pos would say); a --to-gtid value. */
  lastPosition?: string;
}

export interface RestorePlan extends ChainPlan {
  stop: StopPoint;
  bytesToReplay: number;
  gaps: never[];
  /** Bytes of the boundary log the planner read to find the stop (less than its size when its index helped). */
  boundaryBytesScanned?: number;
  /**
   * XA transactions prepared before the stop whose XA COMMIT / XA ROLLBACK is after it: the restored server
   * holds them prepared (their locks too) until someone commits or rolls them back by XID.
   */
  preparedXa: PreparedXa[];
}

export class PlanError extends SnaplogError {
  constructor(
    message: string,
    hint: string,
    readonly restorable?: { from: string; to: string },
    /** Logs shipped before per-domain GTID ranges were recorded: read them, add their ranges, and plan again. */
    readonly unindexedLogs?: string[],
    /** --latest refused at a break in the chain: the exact end it can reach (a --to-position target). */
    readonly reachableEnd?: { file: string; position: number },
  ) {
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
/** Why snaplog's reader could not read a log to its end (recorded at ship time); undefined when it could. */
function unreadable(log: LogMetadata): string | undefined {
  const from = log.details?.['unreadableFrom'];
  if (typeof from !== 'number') return undefined;
  const problems = (log.details?.['problems'] ?? []) as { position: number; problem: string }[];
  const problem = problems.find((entry) => entry.position === from)?.problem ?? 'unreadable';
  return `snaplog could not read ${log.name} from byte ${from} (${problem})`;
}

interface ChainBreak {
  reason: string;
  hint: string;
}

function chainFrom(snapshot: SnapshotRecord, logs: LogMetadata[]): { chain: LogMetadata[]; brokenBefore?: LogMetadata; lineage?: ChainBreak } {
  const startIndex = logs.findIndex((log) => log.name === snapshot.position!.file);
  if (startIndex < 0) return { chain: [] };
  const first = logs[startIndex]!;
  const firstUnreadable = unreadable(first);
  if (firstUnreadable) return { chain: [], lineage: { reason: firstUnreadable, hint: 'run snaplog verify; restore from another snapshot (snaplog list)' } };
  const chain: LogMetadata[] = [first];
  for (let i = startIndex + 1; i < logs.length; i++) {
    const log = logs[i]!;
    const previous = chain[chain.length - 1]!;
    if (log.sequence !== previous.sequence + 1) return { chain, brokenBefore: log };
    // Numbers that follow each other are not enough: the log must continue the same server's history,
    // and snaplog must be able to read it whole (a stop is found only in what was read).
    const foreign = lineageBreak(previous, log);
    if (foreign) {
      const hint = `the logs from ${log.name} on come from another server or history (a clone, or a restored or failed-over server shipping into the same system folder): run snaplog verify, and give each server its own [archive] system_id`;
      return { chain, brokenBefore: log, lineage: { reason: foreign, hint } };
    }
    const unread = unreadable(log);
    if (unread) return { chain, brokenBefore: log, lineage: { reason: unread, hint: `run snaplog verify; ${log.name} is in a format or state snaplog cannot replay exactly` } };
    chain.push(log);
  }
  return { chain };
}

/**
 * Pure: the restorable window of a snapshot over the unbroken chain from its position. Whether there are
 * transactions after the snapshot: from the GTIDs (the chain's per-stream ranges against the snapshot's GTID
 * position), else from transactions in logs after the snapshot's own.
 */
export function restorableWindow(snapshot: SnapshotRecord, logs: LogMetadata[]): RestorableWindow {
  const { chain } = chainFrom(snapshot, [...logs].sort((a, b) => a.sequence - b.sequence));
  let lastCommit: string | undefined;
  let lastTransaction: string | undefined;
  for (let i = chain.length - 1; i >= 0 && (!lastCommit || !lastTransaction); i--) {
    lastCommit ??= chain[i]!.lastCommitTime;
    if (chain[i]!.transactionCount !== 0) lastTransaction ??= chain[i]!.lastTransaction;
  }
  const window: RestorableWindow = { from: snapshot.time, to: lastCommit && lastCommit > snapshot.time ? lastCommit : snapshot.time };
  if (lastCommit) window.lastCommit = lastCommit;
  if (lastTransaction) window.lastTransaction = lastTransaction;
  const after = transactionsAfter(snapshot, chain);
  if (after !== undefined) window.transactionsAfterSnapshot = after;
  const lastPosition = positionAtEnd(snapshot, chain);
  if (lastPosition) window.lastPosition = lastPosition;
  return window;
}

/** The snapshot's GTID position plus every archived transaction of the chain, when the metadata tells (MariaDB high-water marks; MySQL contiguous ranges). */
function positionAtEnd(snapshot: SnapshotRecord, chain: LogMetadata[]): string | undefined {
  if (!snapshot.position?.gtid || chain.some((log) => log.transactionCount !== 0 && !log.gtidRanges)) return undefined;
  try {
    const position = GtidSet.parse(snapshot.position.gtid);
    for (const log of chain) {
      for (const [stream, range] of Object.entries(log.gtidRanges ?? {})) {
        if (stream.includes('-') && range.count !== range.last - range.first + 1) return undefined;
        position.addRange(stream, range);
      }
    }
    return position.format();
  } catch {
    return undefined;
  }
}

function transactionsAfter(snapshot: SnapshotRecord, chain: LogMetadata[]): boolean | undefined {
  if (chain.slice(1).some((log) => (log.transactionCount ?? (log.lastCommitTime ? 1 : 0)) > 0)) return true;
  const first = chain[0];
  if (!first || first.transactionCount === 0) return first ? false : undefined;
  if (!snapshot.position?.gtid || !first.gtidRanges) return undefined;
  let position: GtidSet;
  try {
    position = GtidSet.parse(snapshot.position.gtid);
  } catch {
    return undefined;
  }
  return Object.entries(first.gtidRanges).some(([stream, range]) => !position.includes({ stream, seq: range.last }));
}

function describeWindows(snapshots: SnapshotRecord[], logs: LogMetadata[]): string {
  if (snapshots.length === 0) return 'no usable snapshot is recorded (run snaplog freeze with each snapshot)';
  return snapshots.map((snapshot) => `${snapshot.id}: ${windowText(restorableWindow(snapshot, logs))}`).join('; ');
}

/**
 * One line for a window: `from .. to`, and what lies after the snapshot — the last transaction, and its commit
 * stamp when `to` cannot show it (stamps are whole seconds: commits in the snapshot's second leave to = from).
 */
export function windowText(window: RestorableWindow): string {
  const range = `${window.from} .. ${window.to}`;
  if (window.transactionsAfterSnapshot === false) return `${range} (no transaction after the snapshot yet)`;
  if (window.transactionsAfterSnapshot && window.to === window.from) {
    const last = window.lastTransaction ? `the last, ${window.lastTransaction},` : 'the last';
    return `${range} (transactions after the snapshot, none stamped after its second; ${last} is stamped ${window.lastCommit ?? '?'})`;
  }
  return window.lastTransaction ? `${range} (last ${window.lastTransaction})` : range;
}

function positionsOf(snapshots: SnapshotRecord[]): string {
  const positions = snapshots.map((candidate) => `${candidate.id}: ${candidate.position?.gtid ?? '?'}`).join('; ');
  return `a GTID position must contain the snapshot's own (${positions}), every domain included`;
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
    case 'gtid-position':
      try {
        return GtidSet.parse(target.position).covers(GtidSet.parse(position.gtid));
      } catch {
        return false;
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

/** Where the stop must be looked for: the log (undefined = replay the whole chain) and, for GTID positions, the state before it. */
interface Boundary {
  log?: string;
  positionBefore?: string;
}

/** Which log of the chain holds the stop position. */
function boundaryFor(target: RestoreTarget, chain: LogMetadata[], snapshot: SnapshotRecord, window: RestorableWindow): Boundary {
  switch (target.kind) {
    case 'latest':
      return {};
    case 'time': {
      // The stop lies before the first transaction committed after the target time.
      const log = chain.find((candidate) => candidate.lastCommitTime !== undefined && unix(candidate.lastCommitTime)! > target.time);
      if (log) return { log: log.name };
      // No archived transaction is stamped after TIME: commits stamped up to TIME may still be in a log not shipped yet.
      throw new PlanError(
        `--to ${target.instant ?? iso(target.time)} is at or after the last archived commit (stamped ${window.lastCommit ?? window.to}): ` +
          'the archive cannot show that every transaction up to it was shipped',
        'ship the newer logs (snaplog ship --once on the server) and plan again; to apply everything archived, use --latest' +
          `${window.lastPosition ? ` or --to-gtid ${window.lastPosition}` : ''}; the restorable window of snapshot ${snapshot.id} is ${windowText(window)}`,
        window,
      );
    }
    case 'gtid':
    case 'before-gtid':
      return { log: logHolding(parseGtid(target.gtid)!, target.gtid, chain, snapshot, window) };
    case 'gtid-position':
      return positionBoundary(target.position, chain, snapshot, window);
    case 'position': {
      const log = chain.find((candidate) => candidate.name === target.file);
      if (log) return { log: log.name };
      throw new PlanError(`${target.file} is not in the archived chain after snapshot ${snapshot.id}`, `the chain is ${chain[0]?.name} .. ${chain[chain.length - 1]?.name}`, window);
    }
  }
}

/**
 * The log that holds one GTID, by that GTID's own stream range in each log (a log's first and last
 * transactions may be of other domains). Logs shipped before the ranges were recorded answer by the old
 * first/last check when it is conclusive; otherwise they are read (PlanError.unindexedLogs, see loadPlan).
 */
function logHolding(gtid: ParsedGtid, text: string, chain: LogMetadata[], snapshot: SnapshotRecord, window: RestorableWindow): string {
  const answers = chain.map((log) => ({ log, holds: logMayHold(log, gtid) }));
  const found = answers.find((answer) => answer.holds === 'yes');
  if (found) return found.log.name;
  const unknown = answers.filter((answer) => answer.holds === 'unknown').map((answer) => answer.log.name);
  if (unknown.length) {
    throw new PlanError(`the archived metadata of ${unknown.join(', ')} does not say which GTIDs they hold`, 'read them to find out', window, unknown);
  }
  throw new PlanError(
    `GTID ${text} is in none of the archived logs after snapshot ${snapshot.id}`,
    `check the GTID (snaplog find --query … prints them); snapshot ${snapshot.id} is at ${snapshot.position?.gtid ?? '?'}; ` +
      `the restorable window is ${windowText(window)}`,
    window,
  );
}

/**
 * A GTID position target: walks the chain's per-stream ranges from the snapshot's GTID state. Logs whose every
 * transaction is in the position are replayed whole; the first log that may hold a transaction outside the
 * position, or in which the position is reached, is the boundary: its transaction index decides (locateStop).
 */
function positionBoundary(text: string, chain: LogMetadata[], snapshot: SnapshotRecord, window: RestorableWindow): Boundary {
  const goal = GtidSet.parse(text);
  const state = GtidSet.parse(snapshot.position?.gtid);
  for (const log of chain) {
    if (state.covers(goal)) break;
    if (log.transactionCount === 0) continue;
    if (!log.gtidRanges) {
      throw new PlanError(`the archived metadata of ${log.name} does not say which GTIDs it holds`, 'read it to find out', window, [log.name]);
    }
    const before = state.format();
    let whollyIncluded = true;
    for (const [stream, range] of Object.entries(log.gtidRanges)) {
      const contiguous = range.count === range.last - range.first + 1;
      const included = stream.includes('-')
        ? contiguous && goal.covers(GtidSet.parse(`${stream}:${range.first}-${range.last}`))
        : goal.includes({ stream, seq: range.last });
      if (!included) whollyIncluded = false;
      state.addRange(stream, range);
    }
    if (!whollyIncluded || state.covers(goal)) return { log: log.name, positionBefore: before };
  }
  if (state.covers(goal)) return { log: chain[0]!.name, positionBefore: snapshot.position?.gtid ?? '' };
  const missing = goal.streamNames
    .filter((stream) => state.highest(stream) < goal.highest(stream))
    .map((stream) => (stream.includes('-') ? stream : `domain ${stream}`));
  throw new PlanError(
    `GTID position ${text} goes beyond the archived logs after snapshot ${snapshot.id}: they reach ${state.format() || 'nothing'}` +
      `${missing.length ? ` (short in ${missing.join(', ')})` : ''}`,
    `ship the newer logs (snaplog ship --once on the server), or pick a position inside the window ${windowText(window)}`,
    window,
  );
}

/**
 * Phase one of planning, from archive metadata alone: the newest usable snapshot before the target
 * (or the one asked for), the unbroken chain of logs from its position, and the log that holds the stop.
 * A gap before the target is an error that names the window that is restorable.
 */
export function planChain(input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: RestoreTarget; snapshotId?: string }): ChainPlan {
  const logs = [...input.logs].sort((a, b) => a.sequence - b.sequence);
  const usable = usableSnapshots(input.snapshots);
  const target = input.target;
  if (target.kind === 'position' && !logs.some((log) => log.name === target.file)) {
    // Not "before the oldest snapshot": the position cannot be placed at all.
    const archived = logs.length ? `the archive holds ${logs[0]!.name} .. ${logs[logs.length - 1]!.name}` : 'the archive holds no log';
    throw new PlanError(`${target.file} is not in the archive`, `${archived}; ship it first (snaplog ship --once on the server) or pick a position in an archived log`);
  }
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
        `restorable windows: ${describeWindows(usable, logs)}${input.target.kind === 'gtid-position' ? `; ${positionsOf(usable)}` : ''}`,
      );
    }
  }
  const { chain, brokenBefore, lineage } = chainFrom(snapshot, logs);
  if (chain.length === 0 && lineage) throw new PlanError(`${lineage.reason}: snapshot ${snapshot.id}, which stands in it, cannot be rolled forward exactly`, lineage.hint);
  if (chain.length === 0) throw new PlanError(`log ${snapshot.position!.file}, where snapshot ${snapshot.id} stands, is not in the archive`, 'run snaplog verify; the snapshot cannot be rolled forward without it');
  const window = restorableWindow(snapshot, logs);
  if (input.target.kind === 'latest' && brokenBefore) {
    // "The latest" would silently be the last log before the break, not the archive's latest: say so instead.
    const last = chain[chain.length - 1]!;
    const end = last.lastCompleteTransactionEnd ?? last.size;
    throw new PlanError(
      lineage
        ? `--latest cannot reach the archive's newest logs: the chain from snapshot ${snapshot.id} ends after ${last.name} (${lineage.reason})`
        : `--latest cannot reach the archive's newest logs: the archive has a gap after ${last.name} (next archived: ${brokenBefore.name})`,
      `to restore everything up to the break, give --to-position ${last.name}:${end}; restorable window: ${windowText(window)}`,
      window,
      undefined,
      { file: last.name, position: end },
    );
  }
  let boundary: Boundary;
  try {
    boundary = boundaryFor(input.target, chain, snapshot, window);
  } catch (error) {
    if (brokenBefore && lineage && error instanceof PlanError && !error.unindexedLogs) {
      throw new PlanError(
        `the archived chain ends after ${chain[chain.length - 1]!.name}: ${lineage.reason}; the target cannot be reached from snapshot ${snapshot.id}`,
        `${lineage.hint}; a target inside ${windowText(window)} can be restored`,
        window,
      );
    }
    if (brokenBefore && error instanceof PlanError && !error.unindexedLogs) {
      throw new PlanError(
        `the archive has a gap after ${chain[chain.length - 1]!.name} (next archived: ${brokenBefore.name}): the target cannot be reached from snapshot ${snapshot.id}`,
        `restorable window: ${windowText(window)}; a newer snapshot after the gap may reach the target (snaplog list)`,
        window,
      );
    }
    throw error;
  }
  const boundaryLog = boundary.log;
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
  const positionBefore = boundary.positionBefore !== undefined ? { positionBefore: boundary.positionBefore } : {};
  const previous = last > 0 ? chain[last - 1]! : undefined;
  const lastBeforeBoundary = previous?.lastTransaction
    ? { lastBeforeBoundary: { file: previous.name, gtid: previous.lastTransaction, endPosition: previous.lastCompleteTransactionEnd ?? previous.size } }
    : {};
  const xa = xaStateBefore([...historyBefore(chain[0]!, logs), ...chain.slice(0, last)]);
  return {
    snapshot,
    target: input.target,
    logs: planned,
    boundaryLog,
    ...positionBefore,
    ...lastBeforeBoundary,
    xaPreparedBefore: xa.prepared,
    xaIncomplete: xa.incomplete,
    restorable: window,
  };
}

/** The XA steps a log's metadata lists, malformed entries dropped (archive metadata is input, not trusted). */
function xaRecordsOf(log: Pick<LogMetadata, 'details'> | undefined): XaRecord[] | undefined {
  const listed = log?.details?.['xa'];
  if (!Array.isArray(listed)) return undefined;
  return listed.filter(
    (record): record is XaRecord =>
      typeof record === 'object' && record !== null &&
      ['prepare', 'commit', 'rollback'].includes((record as XaRecord).phase) &&
      typeof (record as XaRecord).xid === 'string' &&
      Number.isSafeInteger((record as XaRecord).endPosition) &&
      ((record as XaRecord).gtid === undefined || typeof (record as XaRecord).gtid === 'string'),
  );
}

/** Applies XA steps in log order: a prepare opens its XID, a commit or rollback closes it. */
function applyXa(state: Map<string, PreparedXa>, file: string, steps: Iterable<{ phase: string; xid: string; gtid?: string; endPosition: number }>): void {
  for (const step of steps) {
    if (step.phase === 'prepare') state.set(step.xid, { xid: step.xid, ...(step.gtid ? { gtid: step.gtid } : {}), file, position: step.endPosition });
    else state.delete(step.xid);
  }
}

/** XA steps the metadata cannot list: over the reader's limit, or inside MySQL compressed transactions (not decompressed). */
function xaHidden(log: Pick<LogMetadata, 'details'> | undefined): boolean {
  return Boolean(log?.details?.['xaOverflow']) || Number(log?.details?.['compressedTransactions'] ?? 0) > 0;
}

/**
 * The archived logs right before `first` that continue into it (numbers in a row, the same history): an XA
 * transaction prepared in them and not finished is still prepared in a snapshot taken in `first`.
 */
function historyBefore(first: LogMetadata, logs: LogMetadata[]): LogMetadata[] {
  const history: LogMetadata[] = [];
  let next = first;
  for (let i = logs.indexOf(first) - 1; i >= 0; i--) {
    const log = logs[i]!;
    if (log.sequence !== next.sequence - 1 || lineageBreak(log, next)) break;
    history.unshift(log);
    next = log;
  }
  return history;
}

/** Pure: the XA transactions left prepared at the end of these logs (the history before the last planned log, in order). */
export function xaStateBefore(logs: LogMetadata[]): { prepared: PreparedXa[]; incomplete: string[] } {
  const state = new Map<string, PreparedXa>();
  const incomplete: string[] = [];
  for (const log of [...logs].sort((a, b) => a.sequence - b.sequence)) {
    applyXa(state, log.name, xaRecordsOf(log) ?? []);
    if (xaHidden(log)) incomplete.push(log.name);
  }
  return { prepared: [...state.values()], incomplete };
}

/**
 * Phase two: the exact stop offset from the boundary log's transaction index — never a time cut
 * (mysqlbinlog's --stop-datetime stops at the first event stamped later, which cuts early).
 */
export function locateStop(
  chain: ChainPlan,
  index: TransactionBoundary[],
  boundaryLogMeta?: Pick<LogMetadata, 'lastCompleteTransactionEnd' | 'size' | 'details'>,
): RestorePlan {
  const lastLog = chain.logs[chain.logs.length - 1]!;
  const from = lastLog.from;
  const transactions = index.filter((transaction) => transaction.startPosition >= from);
  const target = chain.target;
  const endOfLog = boundaryLogMeta?.lastCompleteTransactionEnd ?? lastLog.size;
  let stop: StopPoint;
  const describe = (transaction: TransactionBoundary | undefined) =>
    transaction && {
      gtid: transaction.gtid,
      commitTime: transaction.commitTimeMicros !== undefined ? isoMicros(transaction.commitTimeMicros) : iso(transaction.commitTime),
    };

  const stopBefore = (i: number): StopPoint => {
    const excluded = transactions[i]!;
    const applied = transactions[i - 1];
    const before = i === 0 && chain.logs.length > 1 ? chain.lastBeforeBoundary : undefined;
    return {
      file: lastLog.name,
      position: excluded.startPosition,
      firstExcluded: { ...describe(excluded), startPosition: excluded.startPosition },
      ...(applied ? { lastApplied: { ...describe(applied), endPosition: applied.endPosition } } : before ? { lastApplied: before } : {}),
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
      const i = transactionIndexOf(transactions, target.gtid, lastLog.name);
      stop = target.kind === 'gtid' ? stopAfter(i) : stopBefore(i);
      break;
    }
    case 'gtid-position':
      stop = positionStop(target.position, chain.positionBefore, transactions, lastLog.name, from, stopAfter);
      break;
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
  const xaIncomplete = [...(chain.xaIncomplete ?? []), ...(xaHidden(boundaryLogMeta) ? [lastLog.name] : [])];
  return { ...chain, logs, stop, bytesToReplay, gaps: [], preparedXa: preparedAtStop(chain, index, stop, boundaryLogMeta), xaIncomplete };
}

/**
 * The XA transactions prepared at the stop: those still prepared before the last planned log, then that
 * log's XA steps up to the stop — from its metadata (every step of the whole log), or for a log shipped
 * before the metadata listed them, from the transaction index the planner read.
 */
function preparedAtStop(chain: ChainPlan, index: TransactionBoundary[], stop: StopPoint, meta?: Pick<LogMetadata, 'details'>): PreparedXa[] {
  const state = new Map((chain.xaPreparedBefore ?? []).map((prepared) => [prepared.xid, prepared]));
  const listed = xaRecordsOf(meta);
  const fromIndex = () =>
    index.flatMap((transaction) => (transaction.xa ? [{ ...transaction.xa, gtid: transaction.gtid, endPosition: transaction.endPosition }] : []));
  const steps = listed ?? fromIndex();
  applyXa(state, stop.file, steps.filter((step) => step.endPosition <= stop.position));
  return [...state.values()];
}

/** `2026-11-30T02:00:40.123456Z` from µs since the epoch. */
function isoMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/**
 * The transaction with this GTID, matched by stream and number: a MySQL uuid and tag in any letter case;
 * a MariaDB GTID whose server id differs is an error that names the real one.
 */
function transactionIndexOf(transactions: TransactionBoundary[], text: string, log: string): number {
  const exact = transactions.findIndex((transaction) => transaction.gtid === text);
  if (exact >= 0) return exact;
  const wanted = parseGtid(text);
  const same = wanted ? transactions.findIndex((transaction) => {
    const gtid = transaction.gtid ? parseGtid(transaction.gtid) : undefined;
    return gtid?.stream === wanted.stream && gtid.seq === wanted.seq;
  }) : -1;
  if (same >= 0 && wanted!.stream.includes('-')) return same;
  if (same >= 0) {
    const real = transactions[same]!.gtid;
    throw new PlanError(`GTID ${text} is not in ${log}: ${real} is (same domain and sequence number, another server id)`, `use ${real}`);
  }
  throw new PlanError(`GTID ${text} is not a transaction of ${log} after the snapshot position`, 'check the GTID with snaplog find');
}

/**
 * A GTID position target in its boundary log: replay is linear in log order, so the stop is right after the
 * transaction that completes the position, and every transaction before it must be in the position. One that
 * is not means the position is not a point of the log order: refused, with the nearest exact positions.
 */
function positionStop(
  text: string,
  positionBefore: string | undefined,
  transactions: TransactionBoundary[],
  log: string,
  from: number,
  stopAfter: (i: number) => StopPoint,
): StopPoint {
  const goal = GtidSet.parse(text);
  const state = GtidSet.parse(positionBefore);
  if (state.covers(goal)) return { file: log, position: from, endOfChain: false };
  for (let i = 0; i < transactions.length; i++) {
    const transaction = transactions[i]!;
    const gtid = transaction.gtid ? parseGtid(transaction.gtid) : undefined;
    if (!gtid) {
      const where = `${log}:${transaction.startPosition}`;
      throw new PlanError(`the transaction at ${where} has no GTID: a GTID position cannot be placed in this log`, 'use --to-position FILE:POS or --to TIME');
    }
    if (!goal.includes(gtid)) throw notAPrefix(text, goal, state, transactions, i, log);
    state.add(gtid);
    if (state.covers(goal)) return stopAfter(i);
  }
  throw new PlanError(
    `GTID position ${text} is not complete at the end of ${log}, although its metadata says it is`,
    'run snaplog verify: the metadata and the log disagree',
  );
}

function notAPrefix(text: string, goal: GtidSet, state: GtidSet, transactions: TransactionBoundary[], i: number, log: string): PlanError {
  const outsider = transactions[i]!;
  const below = state.format();
  // Keep going in this log, applying everything, until the position is complete: the nearest exact position above.
  const above = state.clone();
  const extra: string[] = [];
  let reached: TransactionBoundary | undefined;
  for (let j = i; j < transactions.length && !reached; j++) {
    const gtid = parseGtid(transactions[j]!.gtid ?? '');
    if (!gtid) break;
    if (!goal.includes(gtid)) extra.push(transactions[j]!.gtid!);
    above.add(gtid);
    if (above.covers(goal)) reached = transactions[j];
  }
  const options = [
    `--to-gtid ${below || '(the snapshot itself)'} (stops before ${outsider.gtid})`,
    reached
      ? `--to-gtid ${above.format()} (stops after ${reached.gtid}; also applies ${extra.length} transaction${extra.length === 1 ? '' : 's'} ` +
        `outside your position: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''})`
      : 'a single --to-gtid of the last transaction you need ' +
        `(replay stops right after it and applies everything before it in log order, ${outsider.gtid} included)`,
  ];
  return new PlanError(
    `GTID position ${text} is not a point in the log order: ${outsider.gtid} (${log}:${outsider.startPosition}) is not in it ` +
      'but comes before the position is complete',
    `replay applies transactions in log order and cannot skip one; the nearest exact positions: ${options.join(', or ')}`,
  );
}
