/**
 * Phase one of every engine's restore plan, from archive metadata alone: the newest usable snapshot before
 * the target (or the one asked for), the unbroken chain of archived logs from its position, and the log that
 * holds the stop. What a target means (a time, a GTID, an SCN …) is the engine's: it passes its ChainRules in.
 * Pure.
 */
import { lineageBreak } from '../archive/lineage.js';
import type { LogMetadata } from '../archive/metadata.js';
import type { SnapshotRecord } from '../archive/snapshot-record.js';
import { plannedLog } from '../archive/fetch.js';
import type { PlannedLog } from '../archive/fetch.js';
import { SnaplogError } from '../errors.js';
import type { RestoreTarget } from './restore-target.js';
import { localIso, localTimeZone } from './time-text.js';

export type { PlannedLog } from '../archive/fetch.js';

export interface ChainPlan {
  snapshot: SnapshotRecord;
  target: RestoreTarget;
  logs: PlannedLog[];
  /** The log in which the stop position must be found from its transaction index; absent for end-of-chain targets. */
  boundaryLog?: string;
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

/** Where the stop must be looked for: the log (undefined = replay the whole chain) and engine facts about it. */
export interface Boundary {
  log?: string;
  /** GTID position targets: the GTID state where replay of the boundary log starts. */
  positionBefore?: string;
}

/** What an engine's targets mean for the chain; `time` and `latest` are answered by `timeChainRules`. */
export interface ChainRules {
  /** Refuses a target that cannot be placed at all, before a snapshot is chosen. */
  check?(target: RestoreTarget, logs: LogMetadata[]): void;
  /** Whether replay from the snapshot can reach the target (the target is at or after the snapshot). */
  precedes(snapshot: SnapshotRecord, target: RestoreTarget, logs: LogMetadata[]): boolean;
  /** Which log of the chain holds the stop. */
  boundary(target: RestoreTarget, chain: LogMetadata[], snapshot: SnapshotRecord, window: RestorableWindow): Boundary;
  /** Adds what the engine knows about the window (MySQL: the GTID position at the end of the chain). */
  window?(snapshot: SnapshotRecord, chain: LogMetadata[], window: RestorableWindow): RestorableWindow;
  /** More words for "no snapshot precedes the target". */
  noSnapshotHint?(usable: SnapshotRecord[], target: RestoreTarget): string;
}

const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString());
const unixSeconds = (time: string | undefined): number | undefined => (time === undefined ? undefined : Math.floor(Date.parse(time) / 1000));

function usableSnapshots(snapshots: SnapshotRecord[]): SnapshotRecord[] {
  return snapshots.filter((snapshot) => snapshot.status === 'thawed' && snapshot.position).sort((a, b) => a.time.localeCompare(b.time));
}

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

/** The unbroken chain of archived logs starting at the snapshot's log; stops at the first gap. */
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
    if (unread)
      return {
        chain,
        brokenBefore: log,
        lineage: { reason: unread, hint: `run snaplog verify; ${log.name} is in a format or state snaplog cannot replay exactly` },
      };
    chain.push(log);
  }
  return { chain };
}

/**
 * Pure: the restorable window of a snapshot over the unbroken chain from its position. Whether there are
 * transactions after the snapshot: from transactions in logs after the snapshot's own, else from what the
 * engine's rules know (MySQL: the GTIDs).
 */
export function restorableWindow(snapshot: SnapshotRecord, logs: LogMetadata[], rules?: Pick<ChainRules, 'window'>): RestorableWindow {
  const { chain } = chainFrom(
    snapshot,
    [...logs].sort((a, b) => a.sequence - b.sequence),
  );
  let lastCommit: string | undefined;
  let lastTransaction: string | undefined;
  for (let i = chain.length - 1; i >= 0 && (!lastCommit || !lastTransaction); i--) {
    lastCommit ??= chain[i]!.lastCommitTime;
    if (chain[i]!.transactionCount !== 0) lastTransaction ??= chain[i]!.lastTransaction;
  }
  const window: RestorableWindow = { from: snapshot.time, to: lastCommit && lastCommit > snapshot.time ? lastCommit : snapshot.time };
  if (lastCommit) window.lastCommit = lastCommit;
  if (lastTransaction) window.lastTransaction = lastTransaction;
  const after = transactionsAfter(chain);
  if (after !== undefined) window.transactionsAfterSnapshot = after;
  return rules?.window ? rules.window(snapshot, chain, window) : window;
}

/** From the logs alone: true when a later log holds transactions, false when the chain holds none; else undefined. */
function transactionsAfter(chain: LogMetadata[]): boolean | undefined {
  if (chain.slice(1).some((log) => (log.transactionCount ?? (log.lastCommitTime ? 1 : 0)) > 0)) return true;
  const first = chain[0];
  if (!first || first.transactionCount === 0) return first ? false : undefined;
  return undefined;
}

function describeWindows(snapshots: SnapshotRecord[], logs: LogMetadata[], rules: ChainRules): string {
  if (snapshots.length === 0) return 'no usable snapshot is recorded (run snaplog freeze with each snapshot)';
  return snapshots.map((snapshot) => `${snapshot.id}: ${windowText(restorableWindow(snapshot, logs, rules))}`).join('; ');
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

/** The window line(s): UTC, then the same two instants in local time. */
export function windowLines(window: RestorableWindow, timeZone = localTimeZone()): string[] {
  const lines = [`window   ${windowText(window)}`];
  if (timeZone !== 'UTC') {
    lines.push(`         local ${localIso(Date.parse(window.from), timeZone)} .. ${localIso(Date.parse(window.to), timeZone)} ${timeZone}`);
  }
  return lines;
}

/** The rules of the targets every engine shares: `--to TIME` and `--latest`. */
export const timeChainRules: ChainRules = {
  precedes(snapshot, target) {
    if (target.kind === 'time') return unixSeconds(snapshot.time)! <= target.time;
    return target.kind === 'latest';
  },
  boundary(target, chain, snapshot, window) {
    if (target.kind === 'latest') return {};
    if (target.kind !== 'time') throw new PlanError(`a ${target.kind} target has no meaning for these logs`, 'use --to TIME or --latest');
    // The stop lies before the first transaction committed after the target time.
    const log = chain.find((candidate) => candidate.lastCommitTime !== undefined && unixSeconds(candidate.lastCommitTime)! > target.time);
    if (log) return { log: log.name };
    // No archived transaction is stamped after TIME: commits stamped up to TIME may still be in a log not shipped yet.
    throw new PlanError(
      `--to ${target.instant ?? iso(target.time)} is at or after the last archived commit (stamped ${window.lastCommit ?? window.to}): ` +
        'the archive cannot show that every transaction up to it was shipped',
      'ship the newer logs (snaplog ship --once on the server) and plan again; to apply everything archived, use --latest' +
        `${window.lastPosition ? ` or --to-gtid ${window.lastPosition}` : ''}; the restorable window of snapshot ${snapshot.id} is ${windowText(window)}`,
      window,
    );
  },
};

/** The chain as planned, with what the engine's rules need to finish the plan. */
export interface PlannedChain extends ChainPlan {
  /** The archived logs of the chain up to the boundary (or all of it), and the full sorted list. */
  chainLogs: LogMetadata[];
  sortedLogs: LogMetadata[];
  positionBefore?: string;
}

/**
 * Phase one of planning, from archive metadata alone: the newest usable snapshot before the target
 * (or the one asked for), the unbroken chain of logs from its position, and the log that holds the stop.
 * A gap before the target is an error that names the window that is restorable.
 */
export function planArchiveChain(
  input: { snapshots: SnapshotRecord[]; logs: LogMetadata[]; target: RestoreTarget; snapshotId?: string },
  rules: ChainRules = timeChainRules,
): PlannedChain {
  const logs = [...input.logs].sort((a, b) => a.sequence - b.sequence);
  const usable = usableSnapshots(input.snapshots);
  rules.check?.(input.target, logs);
  let snapshot: SnapshotRecord | undefined;
  if (input.snapshotId) {
    snapshot = input.snapshots.find((candidate) => candidate.id === input.snapshotId);
    if (!snapshot) throw new PlanError(`no snapshot ${input.snapshotId} in the archive`, `snapshots: ${describeWindows(usable, logs, rules)}`);
    if (!usable.includes(snapshot))
      throw new PlanError(
        `snapshot ${snapshot.id} is ${snapshot.status}: not application-consistent, not usable for point-in-time restore`,
        `usable snapshots: ${describeWindows(usable, logs, rules)}`,
      );
    if (!rules.precedes(snapshot, input.target, logs))
      throw new PlanError(`the target is before snapshot ${snapshot.id}`, `pick an older snapshot; windows: ${describeWindows(usable, logs, rules)}`);
  } else {
    snapshot = [...usable].reverse().find((candidate) => rules.precedes(candidate, input.target, logs));
    if (!snapshot) {
      const more = rules.noSnapshotHint?.(usable, input.target);
      throw new PlanError(
        usable.length ? 'the target is before the oldest usable snapshot' : 'no usable snapshot in the archive',
        `restorable windows: ${describeWindows(usable, logs, rules)}${more ? `; ${more}` : ''}`,
      );
    }
  }
  const { chain, brokenBefore, lineage } = chainFrom(snapshot, logs);
  if (chain.length === 0 && lineage)
    throw new PlanError(`${lineage.reason}: snapshot ${snapshot.id}, which stands in it, cannot be rolled forward exactly`, lineage.hint);
  if (chain.length === 0)
    throw new PlanError(
      `log ${snapshot.position!.file}, where snapshot ${snapshot.id} stands, is not in the archive`,
      'run snaplog verify; the snapshot cannot be rolled forward without it',
    );
  const window = restorableWindow(snapshot, logs, rules);
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
    boundary = rules.boundary(input.target, chain, snapshot, window);
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
  const planned = chain.slice(0, last + 1).map((log, i) => plannedLog(log, i === 0 ? snapshot.position!.position : (log.startPosition ?? 4)));
  return {
    snapshot,
    target: input.target,
    logs: planned,
    boundaryLog,
    ...(boundary.positionBefore !== undefined ? { positionBefore: boundary.positionBefore } : {}),
    restorable: window,
    chainLogs: chain.slice(0, last + 1),
    sortedLogs: logs,
  };
}

/** The plan without the planner's working lists. */
export function chainPlanOf(planned: PlannedChain): ChainPlan {
  const { snapshot, target, logs, boundaryLog, restorable } = planned;
  return { snapshot, target, logs, boundaryLog, restorable };
}
