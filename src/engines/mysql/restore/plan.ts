/**
 * MySQL/MariaDB restore planning: the chain rules of the GTID and position targets (given to the shared
 * chain planner), the XA state along the chain, and phase two, the exact stop from the boundary log's
 * transaction index. Pure.
 */
import { lineageBreak } from '../../../archive/lineage.js';
import type { LogMetadata } from '../../../archive/metadata.js';
import type { SnapshotRecord } from '../../../archive/snapshot-record.js';
import { PlanError, planArchiveChain, restorableWindow as chainWindow, timeChainRules, windowText } from '../../chain-plan.js';
import type { Boundary, ChainPlan as SharedChainPlan, ChainRules, RestorableWindow } from '../../chain-plan.js';
import type { RestoreTarget } from '../../restore-target.js';
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

export { PlanError, windowText } from '../../chain-plan.js';
export type { PlannedLog, RestorableWindow } from '../../chain-plan.js';

export interface StopPoint {
  file: string;
  /** Offset where replay stops: everything before it is applied, nothing from it on. */
  position: number;
  /** The last transaction applied, and the first one left out (when known). */
  lastApplied?: { gtid?: string; commitTime?: string; endPosition: number /** When it is in the log before `file`. */; file?: string };
  firstExcluded?: { gtid?: string; commitTime?: string; startPosition: number };
  /** Replay to the end of the chain (no transaction after the target exists in the archive). */
  endOfChain: boolean;
}

export interface ChainPlan extends SharedChainPlan {
  /** GTID position targets: the GTID state where replay of the boundary log starts (snapshot + the logs before it). */
  positionBefore?: string;
  /** The last transaction of the log before the boundary log (from its metadata), for a stop at the boundary log's start. */
  lastBeforeBoundary?: { file: string; gtid?: string; endPosition: number };
  /** XA transactions still prepared at the end of the logs before the last planned one (from their metadata). */
  xaPreparedBefore?: PreparedXa[];
  /** Logs whose XA steps the metadata may not list completely: more than the reader keeps, or MySQL compressed transactions. */
  xaIncomplete?: string[];
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

const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString());

/** Orders positions in the log stream: by log sequence, then offset. */
function positionKey(logs: LogMetadata[], file: string, position: number): number | undefined {
  const log = logs.find((candidate) => candidate.name === file);
  return log ? log.sequence * 2 ** 32 + position : undefined;
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

/** Whether the snapshot's own log holds transactions after it, by the GTIDs (when the logs alone cannot tell). */
function transactionsAfterByGtid(snapshot: SnapshotRecord, chain: LogMetadata[]): boolean | undefined {
  const first = chain[0];
  if (!first || first.transactionCount === 0) return undefined;
  if (!snapshot.position?.gtid || !first.gtidRanges) return undefined;
  let position: GtidSet;
  try {
    position = GtidSet.parse(snapshot.position.gtid);
  } catch {
    return undefined;
  }
  return Object.entries(first.gtidRanges).some(([stream, range]) => !position.includes({ stream, seq: range.last }));
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
    case 'latest':
      return timeChainRules.precedes(snapshot, target, logs);
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
  }
}

/** Which log of the chain holds the stop position. */
function boundaryFor(target: RestoreTarget, chain: LogMetadata[], snapshot: SnapshotRecord, window: RestorableWindow): Boundary {
  switch (target.kind) {
    case 'latest':
    case 'time':
      return timeChainRules.boundary(target, chain, snapshot, window);
    case 'gtid':
    case 'before-gtid':
      return { log: logHolding(parseGtid(target.gtid)!, target.gtid, chain, snapshot, window) };
    case 'gtid-position':
      return positionBoundary(target.position, chain, snapshot, window);
    case 'position': {
      const log = chain.find((candidate) => candidate.name === target.file);
      if (log) return { log: log.name };
      throw new PlanError(
        `${target.file} is not in the archived chain after snapshot ${snapshot.id}`,
        `the chain is ${chain[0]?.name} .. ${chain[chain.length - 1]?.name}`,
        window,
      );
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

/** The chain rules of the MySQL/MariaDB targets: time and latest as every engine, GTIDs and binlog positions. */
export const mysqlChainRules: ChainRules = {
  check(target, logs) {
    if (target.kind === 'position' && !logs.some((log) => log.name === target.file)) {
      // Not "before the oldest snapshot": the position cannot be placed at all.
      const archived = logs.length ? `the archive holds ${logs[0]!.name} .. ${logs[logs.length - 1]!.name}` : 'the archive holds no log';
      throw new PlanError(
        `${target.file} is not in the archive`,
        `${archived}; ship it first (snaplog ship --once on the server) or pick a position in an archived log`,
      );
    }
  },
  precedes: snapshotPrecedes,
  boundary: boundaryFor,
  window(snapshot, chain, window) {
    const widened = { ...window };
    if (widened.transactionsAfterSnapshot === undefined) {
      const after = transactionsAfterByGtid(snapshot, chain);
      if (after !== undefined) widened.transactionsAfterSnapshot = after;
    }
    const lastPosition = positionAtEnd(snapshot, chain);
    if (lastPosition) widened.lastPosition = lastPosition;
    return widened;
  },
  noSnapshotHint: (usable, target) => (target.kind === 'gtid-position' ? positionsOf(usable) : ''),
};

/** Pure: the restorable window of a snapshot, with what the GTIDs tell. */
export function restorableWindow(snapshot: SnapshotRecord, logs: LogMetadata[]): RestorableWindow {
  return chainWindow(snapshot, logs, mysqlChainRules);
}

/**
 * Phase one of planning, from archive metadata alone: the shared chain planner with the MySQL target rules,
 * then what replay needs to know about the logs before the stop (the last transaction, the XA state).
 */
export function planChain(input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: RestoreTarget; snapshotId?: string }): ChainPlan {
  const { chainLogs, sortedLogs, positionBefore, ...plan } = planArchiveChain(input, mysqlChainRules);
  const last = chainLogs.length - 1;
  const previous = last > 0 ? chainLogs[last - 1]! : undefined;
  const lastBeforeBoundary = previous?.lastTransaction
    ? { lastBeforeBoundary: { file: previous.name, gtid: previous.lastTransaction, endPosition: previous.lastCompleteTransactionEnd ?? previous.size } }
    : {};
  const xa = xaStateBefore([...historyBefore(chainLogs[0]!, sortedLogs), ...chainLogs.slice(0, last)]);
  const { restorable, ...rest } = plan;
  return {
    ...rest,
    ...(positionBefore !== undefined ? { positionBefore } : {}),
    ...lastBeforeBoundary,
    xaPreparedBefore: xa.prepared,
    xaIncomplete: xa.incomplete,
    restorable,
  };
}

/** The XA steps a log's metadata lists, malformed entries dropped (archive metadata is input, not trusted). */
function xaRecordsOf(log: Pick<LogMetadata, 'details'> | undefined): XaRecord[] | undefined {
  const listed = log?.details?.['xa'];
  if (!Array.isArray(listed)) return undefined;
  return listed.filter(
    (record): record is XaRecord =>
      typeof record === 'object' &&
      record !== null &&
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
      if (i < 0)
        throw new PlanError(
          `no transaction after ${iso(target.time)} in ${lastLog.name}, although its metadata says so`,
          'run snaplog verify: the metadata and the log disagree',
        );
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
        const near = transactions
          .filter((transaction) => Math.abs(transaction.endPosition - target.position) < 1 << 20)
          .slice(0, 3)
          .map((transaction) => transaction.endPosition);
        throw new PlanError(
          `${target.file}:${target.position} is not the end of a transaction`,
          `replay stops only between transactions; nearby boundaries: ${near.join(', ') || 'none'}`,
        );
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
  applyXa(
    state,
    stop.file,
    steps.filter((step) => step.endPosition <= stop.position),
  );
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
  const same = wanted
    ? transactions.findIndex((transaction) => {
        const gtid = transaction.gtid ? parseGtid(transaction.gtid) : undefined;
        return gtid?.stream === wanted.stream && gtid.seq === wanted.seq;
      })
    : -1;
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
