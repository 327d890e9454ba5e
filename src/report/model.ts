import type { ArchivedLog } from '../archive/archive.js';
import { buildCatalog, snapshotWindows } from '../archive/catalog.js';
import type { Catalog, CatalogGap } from '../archive/catalog.js';
import type { LogMetadata } from '../archive/metadata.js';
import type { LogPosition, SnapshotRecord, SnapshotStatus } from '../archive/snapshot-record.js';
import { PlanError, planArchiveChain } from '../engines/chain-plan.js';
import type { ChainRules } from '../engines/chain-plan.js';
import { restoreCommands, TIME_PLACEHOLDER } from './commands.js';
import type { RestoreCommands } from './commands.js';
import { durationInWords, utcInWords } from './words.js';

/** What one system's folder of the archive holds, as read (see load.ts). */
export interface SystemArchive {
  systemId: string;
  logs: ArchivedLog[];
  snapshots: SnapshotRecord[];
  /** The snapshot records could not be read (an unreadable record): the rest of the system is still shown. */
  snapshotsError?: string;
  /** The engine that wrote it, as the registry describes it (load.ts); absent: unknown, plain catalog windows. */
  engine?: SystemEngine;
}

/** What the report needs of a system's engine: plain data and the planner's chain rules. */
export interface SystemEngine {
  name: string;
  /** What a snapshot's `position.gtid` is: 'GTID', 'SCN', 'journal offset'. */
  positionLabel?: string;
  /** What a restore command needs beside the target (MySQL: --datadir …). */
  restoreInto: readonly string[];
  /** The planner's rules: windows as `snaplog plan` computes them; absent: the catalog's windows (several log streams). */
  chainRules?: ChainRules;
}

export interface TimelineOptions {
  /** Now, in unix ms: the right edge of the timeline and the reference of the RPO. */
  now: number;
  /** How many days the timeline shows. */
  days: number;
  /** Further behind than this, shipping is called failing (default: 15 min, three times ship's default max_log_age). */
  staleAfterSeconds?: number;
  /** A last snapshot older than this is a warning (default: 26 h, a daily snapshot plus slack). */
  snapshotDueSeconds?: number;
}

export type SnapshotKind = 'consistent' | 'crash-consistent' | 'failed' | 'timed-out';

export interface TimelineSnapshot {
  id: string;
  time: string;
  status: SnapshotStatus;
  kind: SnapshotKind;
  /** How long the database was held. */
  frozenMs?: number;
  position?: LogPosition;
  /** What `position.gtid` is for this engine: GTID, SCN or journal offset. */
  positionLabel: string;
  product?: string;
  host?: string;
  error?: string;
  /** Where replay from this snapshot can go, as `snaplog plan` computes it; absent when it cannot be rolled forward. */
  window?: { from: string; to: string };
  /** The logs of that window: the snapshot's log up to the end of its unbroken chain. */
  windowLogs?: { first: string; last: string; count: number };
  problem?: string;
  /** Reach the end of the window from this snapshot. */
  commands?: RestoreCommands;
  /** The same for a time inside the window: TIME_PLACEHOLDER stands for the time. */
  commandsAt?: RestoreCommands;
}

export interface CoverageBar {
  stream?: string;
  first: string;
  last: string;
  count: number;
  from: string;
  to: string;
}

export interface TimelineGap {
  stream?: string;
  after: string;
  before: string;
  missingSequences: string;
  missingCount: number;
  /** Names of the missing logs when the naming allows it (at most MAX_MISSING_NAMES). */
  missingNames: string[];
  /** From the last commit before the gap to the first commit after it. */
  from: string;
  to: string;
}

export interface RestorableWindow {
  snapshotId: string;
  from: string;
  to: string;
  whole: { from: string; to: string };
  logs?: { first: string; last: string; count: number };
  commands: RestoreCommands;
  commandsAt: RestoreCommands;
}

export type HealthLevel = 'critical' | 'warning' | 'ok';

export interface Rpo {
  /** The recovery point: the last archived commit. */
  recoveryPoint?: { time: string; log: string };
  secondsBehind?: number;
  stale: boolean;
  /** "3 s behind", "2 h 10 min behind — no log shipped since …" */
  words: string;
  lastShippedAt?: string;
}

export interface SystemTimeline {
  systemId: string;
  engine?: string;
  now: string;
  view: { from: string; to: string; days: number };
  rpo: Rpo;
  /** Every snapshot of the view, oldest first. */
  snapshots: TimelineSnapshot[];
  /** Archived log coverage in the view: continuous ranges, clipped to the view. */
  coverage: CoverageBar[];
  gaps: TimelineGap[];
  /**
   * Restorable stretches in the view, one per usable snapshot: from it to the end of its window or to the
   * next usable snapshot (`whole` is the snapshot's whole window). Together: every moment that can be restored.
   */
  windows: RestorableWindow[];
  lastSnapshot?: TimelineSnapshot;
  totals: { logs: number; snapshots: number; gaps: number; incomplete: number; unreadableMetadata: number };
  level: HealthLevel;
  /** Worst first; problems[0] is the "last error" of the fleet table. */
  problems: string[];
}

const DAY_MS = 86_400_000;
const MAX_MISSING_NAMES = 20;
const DEFAULT_STALE_AFTER_S = 900;
const DEFAULT_SNAPSHOT_DUE_S = 26 * 3600;

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

export function snapshotKind(status: SnapshotStatus): SnapshotKind {
  switch (status) {
    case 'thawed':
      return 'consistent';
    case 'failed':
      return 'failed';
    case 'timed-out':
      return 'timed-out';
    default:
      // Frozen or freezing with no thaw recorded: the disk is a crash image at best.
      return 'crash-consistent';
  }
}

function startOf(log: LogMetadata): string | undefined {
  return log.firstCommitTime ?? log.firstEventTime ?? log.lastCommitTime ?? log.lastEventTime;
}

function endOf(log: LogMetadata): string | undefined {
  return log.lastCommitTime ?? log.lastEventTime ?? log.firstCommitTime ?? log.firstEventTime;
}

/** Names of the logs a gap misses, when the logs are named `<prefix><number>` after their sequence (binlogs, redo). */
export function missingLogNames(after: LogMetadata, missingCount: number): string[] {
  const match = /^(.*?)(\d+)$/.exec(after.name);
  if (!match || Number(match[2]) !== after.sequence) return [];
  const width = match[2]!.length;
  return Array.from({ length: Math.min(missingCount, MAX_MISSING_NAMES) }, (_, i) => `${match[1]}${String(after.sequence + 1 + i).padStart(width, '0')}`);
}

function timelineGap(gap: CatalogGap, byName: Map<string, LogMetadata>): TimelineGap | undefined {
  const after = byName.get(gap.after);
  const before = byName.get(gap.before);
  if (!after || !before) return undefined;
  const from = endOf(after) ?? after.shippedAt;
  const to = startOf(before) ?? before.shippedAt;
  const missingCount = Math.max(0, before.sequence - after.sequence - 1);
  return {
    ...(gap.stream ? { stream: gap.stream } : {}),
    after: gap.after,
    before: gap.before,
    missingSequences: gap.missingSequences,
    missingCount,
    missingNames: missingLogNames(after, missingCount),
    from,
    to: ms(to) >= ms(from) ? to : from,
  };
}

/** Restorable windows the way `snaplog plan` computes them (the engine's chain rules); the catalog's where it has none. */
interface SnapshotWindow {
  window?: { from: string; to: string };
  /** The chain ends at a break (a gap, a foreign or unreadable log): the window's end as an exact position, for the command. */
  endPosition?: string;
  problem?: string;
}

function windowsOf(snapshots: SnapshotRecord[], catalog: Catalog, rules: ChainRules | undefined): Map<string, SnapshotWindow> {
  const result = new Map<string, SnapshotWindow>();
  if (!rules) {
    for (const { snapshot, restorable, problem } of snapshotWindows(snapshots, catalog))
      result.set(snapshot.id, { ...(restorable && !problem ? { window: restorable } : {}), ...(problem ? { problem } : {}) });
    return result;
  }
  for (const snapshot of snapshots) {
    try {
      result.set(snapshot.id, {
        window: planArchiveChain({ snapshots, logs: catalog.logs, target: { kind: 'latest' }, snapshotId: snapshot.id }, rules).restorable,
      });
    } catch (error) {
      // --latest is refused when the chain breaks before the archive's newest log: the window still stands, up to the break.
      const reachable =
        error instanceof PlanError && error.restorable && error.reachableEnd ? { window: error.restorable, end: error.reachableEnd } : undefined;
      result.set(
        snapshot.id,
        reachable ? { window: reachable.window, endPosition: `${reachable.end.file}:${reachable.end.position}` } : { problem: (error as Error).message },
      );
    }
  }
  return result;
}

/** First and last log of the unbroken chain from the snapshot's log up to the window's end. */
function windowLogsOf(
  snapshot: SnapshotRecord,
  logs: LogMetadata[],
  indexByName: Map<string, number>,
): { first: string; last: string; count: number } | undefined {
  const start = snapshot.position ? indexByName.get(snapshot.position.file) : undefined;
  if (start === undefined) return undefined;
  let end = start;
  while (end + 1 < logs.length && logs[end + 1]!.sequence === logs[end]!.sequence + 1 && (logs[end + 1]!.stream ?? '') === (logs[start]!.stream ?? '')) end++;
  return { first: logs[start]!.name, last: logs[end]!.name, count: end - start + 1 };
}

function rpoOf(catalog: Catalog, now: number, staleAfterSeconds: number): Rpo {
  let recoveryPoint: { time: string; log: string } | undefined;
  let lastShippedAt: string | undefined;
  for (const log of catalog.logs) {
    // Logs come in sequence order: on a tie (commit times are whole seconds) the later log holds the point.
    if (log.lastCommitTime && (!recoveryPoint || log.lastCommitTime >= recoveryPoint.time)) recoveryPoint = { time: log.lastCommitTime, log: log.name };
    if (log.shippedAt && (!lastShippedAt || log.shippedAt > lastShippedAt)) lastShippedAt = log.shippedAt;
  }
  if (!recoveryPoint)
    return { stale: true, words: catalog.logs.length ? 'no archived commit yet' : 'no log archived yet', ...(lastShippedAt ? { lastShippedAt } : {}) };
  const secondsBehind = Math.max(0, Math.round((now - ms(recoveryPoint.time)) / 1000));
  const stale = secondsBehind > staleAfterSeconds;
  const behind = `${durationInWords(secondsBehind)} behind`;
  const words = stale
    ? `${behind} — no log shipped since ${utcInWords(lastShippedAt ?? recoveryPoint.time)}: shipping is failing, or the database is idle`
    : behind;
  return { recoveryPoint, secondsBehind, stale, words, ...(lastShippedAt ? { lastShippedAt } : {}) };
}

function overlaps(from: string, to: string, viewFrom: number, viewTo: number): boolean {
  return ms(to) >= viewFrom && ms(from) <= viewTo;
}

function clip(from: string, to: string, viewFrom: number, viewTo: number): { from: string; to: string } {
  return { from: new Date(Math.max(ms(from), viewFrom)).toISOString(), to: new Date(Math.min(ms(to), viewTo)).toISOString() };
}

/**
 * Pure: one system's archive metadata → what its timeline shows. Windows come from the restore planner,
 * ranges and gaps from the catalog: the report says exactly what `plan` and `list` would.
 */
export function buildSystemTimeline(system: SystemArchive, options: TimelineOptions): SystemTimeline {
  const now = options.now;
  const viewFrom = now - options.days * DAY_MS;
  const catalog = buildCatalog(system.logs);
  const engine = catalog.logs[0]?.engine ?? system.snapshots[0]?.engine;
  const restoreInto = system.engine?.restoreInto ?? [];
  const byName = new Map(catalog.logs.map((log) => [log.name, log]));
  const indexByName = new Map(catalog.logs.map((log, i) => [log.name, i]));
  const snapshots = [...system.snapshots].sort((a, b) => a.time.localeCompare(b.time));
  const windows = windowsOf(snapshots, catalog, system.engine?.chainRules);

  const timelineSnapshots: TimelineSnapshot[] = snapshots.map((snapshot) => {
    const { window, endPosition, problem } = windows.get(snapshot.id) ?? {};
    const windowLogs = window ? windowLogsOf(snapshot, catalog.logs, indexByName) : undefined;
    return {
      id: snapshot.id,
      time: snapshot.time,
      status: snapshot.status,
      kind: snapshotKind(snapshot.status),
      ...(snapshot.frozenMs !== undefined ? { frozenMs: snapshot.frozenMs } : {}),
      ...(snapshot.position ? { position: snapshot.position } : {}),
      positionLabel: system.engine?.positionLabel ?? 'position',
      ...(snapshot.product ? { product: snapshot.product } : {}),
      ...(snapshot.host ? { host: snapshot.host } : {}),
      ...(snapshot.error ? { error: snapshot.error } : {}),
      ...(window ? { window } : {}),
      ...(windowLogs ? { windowLogs } : {}),
      ...(problem ? { problem } : {}),
      ...(window
        ? {
            commands: restoreCommands({ systemId: system.systemId, snapshotId: snapshot.id, restoreInto, ...(endPosition ? { toPosition: endPosition } : {}) }),
            commandsAt: restoreCommands({ systemId: system.systemId, snapshotId: snapshot.id, restoreInto, to: TIME_PLACEHOLDER }),
          }
        : {}),
    };
  });

  const coverage: CoverageBar[] = [];
  for (const range of catalog.ranges) {
    const from = range.from ?? startOf(byName.get(range.first)!);
    const to = range.to ?? endOf(byName.get(range.last)!);
    if (from === undefined || to === undefined || !overlaps(from, to, viewFrom, now)) continue;
    coverage.push({
      ...(range.stream ? { stream: range.stream } : {}),
      first: range.first,
      last: range.last,
      count: range.count,
      ...clip(from, to, viewFrom, now),
    });
  }
  const allGaps = catalog.gaps.flatMap((gap) => timelineGap(gap, byName) ?? []);
  const viewGaps = allGaps.filter((gap) => overlaps(gap.from, gap.to, viewFrom, now));
  const viewSnapshots = timelineSnapshots.filter((snapshot) => ms(snapshot.time) >= viewFrom && ms(snapshot.time) <= now);
  // Each usable snapshot's part of the timeline: from it to the end of its window or to the next usable
  // snapshot, whichever comes first (the snapshot `plan` picks by default for a time in that stretch).
  const usable = timelineSnapshots.filter((snapshot) => snapshot.window && snapshot.commands && snapshot.commandsAt);
  const viewWindows: RestorableWindow[] = usable.flatMap(({ id, window, windowLogs, commands, commandsAt }, i) => {
    const next = usable[i + 1];
    const to = next && next.time < window!.to ? next.time : window!.to;
    if (!overlaps(window!.from, to, viewFrom, now)) return [];
    return [
      {
        snapshotId: id,
        ...clip(window!.from, to, viewFrom, now),
        whole: window!,
        ...(windowLogs ? { logs: windowLogs } : {}),
        commands: commands!,
        commandsAt: commandsAt!,
      },
    ];
  });

  const rpo = rpoOf(catalog, now, options.staleAfterSeconds ?? DEFAULT_STALE_AFTER_S);
  const lastSnapshot = timelineSnapshots[timelineSnapshots.length - 1];
  const unreadableMetadata = system.logs.filter((log) => log.metadataError !== undefined).length;
  const { level, problems } = healthOf({
    rpo,
    snapshots: timelineSnapshots,
    gaps: allGaps,
    incomplete: catalog.incomplete,
    unreadableMetadata,
    snapshotsError: system.snapshotsError,
    now,
    snapshotDueSeconds: options.snapshotDueSeconds ?? DEFAULT_SNAPSHOT_DUE_S,
  });
  return {
    systemId: system.systemId,
    ...(engine ? { engine } : {}),
    now: new Date(now).toISOString(),
    view: { from: new Date(viewFrom).toISOString(), to: new Date(now).toISOString(), days: options.days },
    rpo,
    snapshots: viewSnapshots,
    coverage,
    gaps: viewGaps,
    windows: viewWindows,
    ...(lastSnapshot ? { lastSnapshot } : {}),
    totals: { logs: catalog.logs.length, snapshots: timelineSnapshots.length, gaps: allGaps.length, incomplete: catalog.incomplete.length, unreadableMetadata },
    level,
    problems,
  };
}

function healthOf(input: {
  rpo: Rpo;
  snapshots: TimelineSnapshot[];
  gaps: TimelineGap[];
  incomplete: string[];
  unreadableMetadata: number;
  snapshotsError?: string;
  now: number;
  snapshotDueSeconds: number;
}): { level: HealthLevel; problems: string[] } {
  const critical: string[] = [];
  const warning: string[] = [];
  const { rpo } = input;
  if (input.snapshotsError) critical.push(`snapshot records unreadable: ${input.snapshotsError}`);
  if (!rpo.recoveryPoint) critical.push(rpo.words);
  else if (rpo.stale) critical.push(`recovery point ${rpo.words}`);
  const usable = input.snapshots.filter((snapshot) => snapshot.window);
  const reachesRecoveryPoint = rpo.recoveryPoint !== undefined && usable.some((snapshot) => snapshot.window!.to >= rpo.recoveryPoint!.time);
  if (usable.length === 0) critical.push('no snapshot can be rolled forward (none consistent with its log archived): nothing is restorable');
  else if (rpo.recoveryPoint && !reachesRecoveryPoint) {
    const newest = usable[usable.length - 1]!;
    critical.push(
      `the recovery point cannot be reached: replay from the newest usable snapshot ${newest.id} stops at ${utcInWords(newest.window!.to)} (a gap)`,
    );
  }
  const last = input.snapshots[input.snapshots.length - 1];
  if (last && last.kind !== 'consistent') warning.push(`last snapshot ${last.id} is ${last.kind}${last.error ? `: ${last.error}` : ''}`);
  if (last && (input.now - ms(last.time)) / 1000 > input.snapshotDueSeconds)
    warning.push(`no snapshot for ${durationInWords((input.now - ms(last.time)) / 1000)}`);
  for (const gap of [...input.gaps].reverse()) warning.push(`gap: ${gap.missingCount} log(s) missing between ${gap.after} and ${gap.before}`);
  if (input.incomplete.length)
    warning.push(`${input.incomplete.length} log(s) without metadata: ${input.incomplete.slice(0, 3).join(', ')}${input.incomplete.length > 3 ? ', …' : ''}`);
  if (input.unreadableMetadata) warning.push(`${input.unreadableMetadata} unreadable metadata file(s): run snaplog verify`);
  return { level: critical.length ? 'critical' : warning.length ? 'warning' : 'ok', problems: [...critical, ...warning] };
}

const LEVEL_RANK: Record<HealthLevel, number> = { critical: 0, warning: 1, ok: 2 };

/** The fleet, worst first: critical before warning before ok, then the furthest behind, then by id. */
export function sortWorstFirst(systems: SystemTimeline[]): SystemTimeline[] {
  return [...systems].sort(
    (a, b) =>
      LEVEL_RANK[a.level] - LEVEL_RANK[b.level] ||
      (b.rpo.secondsBehind ?? Infinity) - (a.rpo.secondsBehind ?? Infinity) ||
      a.systemId.localeCompare(b.systemId),
  );
}
