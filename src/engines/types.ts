import type { Archive } from '../archive/archive.js';
import type { LogObserver } from '../archive/metadata.js';
import type { LogPosition, SnapshotRecord } from '../archive/snapshot-record.js';
import type { CloseMarker } from '../archive/close-marker.js';
import type { FetchedLog, PlannedLog } from '../archive/fetch.js';
import type { Staging } from './staging.js';

export type { CloseMarker } from '../archive/close-marker.js';
import type { SnaplogConfig } from '../config/index.js';
import type { EventChannel } from '../events/channel.js';

/** A log file as the database has it: closed logs are shipped, the open one only tailed. */
export interface SourceLog {
  name: string;
  path: string;
  sequence: number;
  /** Logs numbered apart (Oracle redo thread + incarnation); absent for a single stream. */
  stream?: string;
  closed: boolean;
  /**
   * Why the engine will not read this log (listed outside the log folder, a symlink, not a regular file):
   * it is never shipped, and the shipper reports it.
   */
  refused?: string;
}

/** 'crash-closed': the log still says open although a newer one exists (the server died with it open). */
export type CloseState = 'clean' | 'crash-closed';

/** A quiesced database: its exact log position read while the lock is held, and how to let go. */
export interface Quiesced {
  position: LogPosition;
  serverVersion: string;
  /** The server's dialect family where the version alone does not say it plainly (MySQL: 'mysql', MariaDB: 'mariadb'). */
  serverFlavor?: string;
  method: string;
  release(): Promise<void>;
  /**
   * The freeze is global (IRIS ExternalFreeze, Oracle BEGIN BACKUP): it does not end with the holder's
   * session, so a watchdog process ends it if the holder dies, and a failed release means the database
   * may still be frozen.
   */
  global?: boolean;
}

/** One privilege as `config check --database` found it. */
export interface PrivilegeCheck {
  grant: string;
  /** The commands (and the statement in each) that need it. */
  neededBy: string[];
  ok: boolean;
  /** 'missing' when the server denied it; otherwise what else went wrong trying it. */
  detail?: string;
}

export interface PrivilegeReport {
  /** The account the server sees, e.g. 'snaplog'@'localhost'. */
  account: string;
  server: string;
  checks: PrivilegeCheck[];
  /** The statement an administrator runs to grant every missing privilege at once. */
  fix?: string;
}

/** What the freeze protocol tells an engine when it quiesces it. */
export interface QuiesceContext {
  snapshotId?: string;
  deadlineMs?: number;
}

/**
 * Everything the shipping loop, the freeze protocol and the planner ask of a database, and nothing else.
 * One adapter per database under src/engines/<name>/.
 */
export interface Engine {
  readonly kind: string;
  /** Stable id of the database system: the archive folder its logs go to. */
  systemId(): Promise<string>;
  /** Logs in order, oldest first; every one but the newest is closed. */
  listSourceLogs(): Promise<SourceLog[]>;
  /** Present when a closed log's bytes still change after its successor appears (see CloseMarker). */
  readonly closeMarker?: CloseMarker;
  /**
   * Waits, bounded, until the server has finished closing `log` (a closed log: its successor exists), so that
   * what is shipped is the final file. 'crash-closed' when it still says open after the bound.
   */
  settleClosedLog?(log: SourceLog): Promise<CloseState>;
  /** Learns a log's facts while its bytes stream to the archive. */
  observeLog(log: SourceLog): LogObserver;
  /**
   * Closes the open log so it can be shipped (FLUSH BINARY LOGS, ARCHIVE LOG CURRENT, journal switch).
   * Engines whose newest log is unknown before the switch (Oracle) return the name of the log it closed.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: engines that cannot name the closed log simply return nothing
  switchLog(): Promise<string | void>;
  /** Seconds since the first transaction in this log was committed; undefined when it holds none. */
  firstTransactionAgeSeconds(log: SourceLog): Promise<number | undefined>;
  /**
   * Quiesces the database for a snapshot. Called in the detached holder process, which keeps what this
   * returns alive until thaw or timeout; session-bound locks die with that process. `snapshotId` lets an
   * engine leave a note of the snapshot on the frozen disk (MySQL/MariaDB: in the data directory);
   * `deadlineMs` is the pre-step's own deadline: the freeze call must have given up (and undone itself) by then.
   */
  quiesce(context?: QuiesceContext): Promise<Quiesced>;
  /**
   * Conditions the DBA should hear about while no freeze runs (Oracle: datafiles left in backup mode).
   * The ship service asks after each round and raises a warning event when the answer changes.
   */
  warningsWhenNotFrozen?(): Promise<string[]>;
  /**
   * For `snaplog status`: when the newest transaction in this log (usually the open one) was committed,
   * from a cheap read (`estimated` when only the file's last write could be used); undefined when it holds none.
   */
  lastCommitIn?(log: SourceLog): Promise<{ time: string; estimated: boolean } | undefined>;
  /** For `snaplog status`: the server's newest transaction id right now (MariaDB gtid_binlog_pos, MySQL gtid_executed). */
  currentTransactionId?(): Promise<string | undefined>;
  /**
   * For `config check --database`: tries, without changing anything, every privilege the configured
   * commands need (ship, freeze) and reports each one, so that all missing grants are named at once.
   */
  checkPrivileges?(uses: { shipSwitchesLogs: boolean }): Promise<PrivilegeReport>;
  /** Ends a global freeze from any process (the watchdog's last resort); absent for session-bound locks. */
  forceRelease?(): Promise<void>;
  /**
   * The database's own answer to "is a global freeze in force right now?" (IRIS IsWDSuspended, Oracle
   * V$BACKUP ACTIVE): a description when it is, undefined when not. `thaw` asks before it says "nothing frozen".
   */
  globalFreezeInForce?(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * One option an engine adds to `snaplog restore`, as data: the CLI adds it to the command (its help says which
 * engine it is for) and hands its value back in RestoreRequest.options under its camel-cased long name.
 */
export interface RestoreOptionSpec {
  /** As commander takes them: '--to-scn <scn>', '--no-open', '--server-arg <option...>'. */
  flags: string;
  help: string;
  /** The engine's name as the help shows it ('Oracle', 'IRIS/Caché', 'MySQL/MariaDB'). */
  engine: string;
  choices?: readonly string[];
}

/** What `snaplog plan` and `snaplog restore` hand an engine's restore: the archive, the flags, where to talk. */
export interface RestoreRequest {
  config: SnaplogConfig;
  archive: Archive;
  systemId: string;
  events: EventChannel;
  /** plan: `snaplog plan`; dry-run: `snaplog restore --dry-run`; restore: the real thing. */
  purpose: 'plan' | 'dry-run' | 'restore';
  /** Every flag given: the shared ones (--to, --latest, --snapshot, --staging, --json …) and the engine's own. */
  options: Readonly<Record<string, unknown>>;
  /** Lines for the DBA (silent under --json where the engine prints JSON). */
  say(line: string): void;
  /** Prints a result as JSON (under --json). */
  printJson(value: unknown): void;
  /** Progress lines of a long replay (a terminal, or SNAPLOG_PROGRESS); absent: none. */
  progress?(line: string): void;
}

/** What an engine's plan looks like in text and in JSON (`snaplog plan`, `snaplog restore --dry-run`). */
export interface PlanDescription {
  lines: string[];
  json: Record<string, unknown>;
}

/**
 * What the restore events (restore-start, restore-dry-run, restore-done, restore-failed) say about a plan beside
 * the conductor's own fields: `engine`, `systemId`, and `elapsedMs` on the event that ends the run.
 */
export interface RestoreEventFields {
  /** On every restore event of the run (which snapshot). */
  plan: Record<string, unknown>;
  /** On restore-start only (what is about to be fetched and applied). */
  start?: Record<string, unknown>;
  /** Present: a --dry-run emits restore-start and then restore-dry-run with these; absent: a dry run emits nothing. */
  dryRun?: Record<string, unknown>;
}

/** Where the conductor fetches an engine's planned logs: a new staging folder (see staging.ts) and which logs. */
export interface FetchTarget {
  staging: Staging;
  logs: PlannedLog[];
}

/** The logs the conductor fetched and checked (sha256) into the staging folder, each handed to the database user. */
export interface FetchedLogs {
  staging: Staging;
  logs: FetchedLog[];
}

/** What apply did, for the event that ends the run. */
export interface AppliedRestore {
  /** 'restore-done' unless the engine did something else instead (IRIS --iris-script: 'restore-script-written'). */
  event?: string;
  /** That event's own fields. */
  fields?: Record<string, unknown>;
  /** Present: restore-summary follows with these fields, also when the run changed nothing (MySQL: method, elapsedMs, bytes). */
  summary?: Record<string, unknown>;
  /** What `restore --json` prints, for an engine that does not print it itself. */
  json?: Record<string, unknown>;
}

/** What the conductor hands apply beside the plan and the request. */
export interface ApplyContext {
  /** The fetched logs, for an engine with fetchInto; absent: the engine fetches itself (MySQL: its resume record goes with the fetch). */
  fetched?: FetchedLogs;
  /** Facts the engine learns while applying that restore-failed carries if apply throws (MySQL: the resume record's status). */
  failure: Record<string, unknown>;
}

/**
 * An engine's point-in-time restore, as the conductor (src/restore/) runs it: target → plan → describe
 * (plan, --dry-run) or fetch → apply, the conductor emitting the restore events. `Target` and `Plan` are
 * the engine's own; the conductor only passes them on.
 */
export interface EngineRestore<Target = unknown, Plan = unknown> {
  /** Pure: the target from the flags; a target flag this engine does not take is a usage error. */
  parseTarget(options: Readonly<Record<string, unknown>>): Target;
  /** Chooses the snapshot and the logs, and checks everything that can be checked before changing anything. */
  plan(target: Target, request: RestoreRequest): Promise<Plan>;
  /** Pure: the plan in words and JSON; for a dry run, also what would be run. */
  describe(plan: Plan, request: RestoreRequest): PlanDescription;
  /** Pure: what the restore events say about this plan; undefined when applying it changes nothing (MySQL: restored already), or is refused. */
  eventFields(plan: Plan, request: RestoreRequest): RestoreEventFields | undefined;
  /**
   * Says what the DBA reads before the fetch and creates the staging folder the conductor fetches the logs into;
   * absent: apply fetches itself.
   */
  fetchInto?(plan: Plan, request: RestoreRequest): Promise<FetchTarget>;
  /** Applies the plan (with the fetched logs) and says what it did; the conductor emits the events. */
  apply(plan: Plan, request: RestoreRequest, context: ApplyContext): Promise<AppliedRestore>;
}

/** A statement found in the archived logs (`snaplog find`). */
export interface FoundStatement {
  time: string;
  log: string;
  position: number;
  gtid?: string;
  text: string;
}

/** `snaplog find`: engines whose logs hold statements. */
export interface EngineFind {
  find(request: {
    config: SnaplogConfig;
    archive: Archive;
    systemId: string;
    pattern: RegExp;
    since?: number;
    until?: number;
    limit: number;
  }): Promise<FoundStatement[]>;
}

/** `snaplog drill`: a full restore rehearsal on a scratch copy. */
export interface DrillRequest {
  config: SnaplogConfig;
  archive: Archive;
  systemId: string;
  events: EventChannel;
  /** The restored snapshot's data directory … */
  datadir?: string;
  /** … or its disk image: attaches it read-only at `mount` (the data directories found on it) until `detach`. */
  image?: { path: string; attach(mount: string): Promise<string[]>; detach(mount: string): Promise<void> };
  scratch?: string;
  keep: boolean;
  snapshotId?: string;
  say(line: string): void;
  signal: AbortSignal;
}

export interface DrillReport {
  ok: boolean;
  [field: string]: unknown;
  /** One line for the terminal. */
  summary: string;
}

export interface EngineDrill {
  drill(request: DrillRequest): Promise<DrillReport>;
}

/** A database's data directory found on an attached volume (a restored disk), with what tells its snapshot. */
export interface FoundDatadir {
  datadir: string;
  /** MySQL/MariaDB: the binlog index on the same volume, if the binlogs live there too. */
  binlogIndex?: string;
  /** MySQL/MariaDB: the newest binlog on the volume and its size: a snapshot taken by snaplog freeze stands in it. */
  newestBinlog?: { name: string; size: number };
}

/** Which snapshot a data directory is, and the clues that say so. */
export type SnapshotIdentity =
  | { kind: 'identified'; snapshot: SnapshotRecord; evidence: string[] }
  /** The clues name a snapshot whose record cannot be used (failed, timed out, not in the archive). */
  | { kind: 'unusable'; snapshotId: string; status: string; evidence: string[] }
  | { kind: 'unknown'; reason: string; evidence: string[] };

/** What an engine recognises of its own on an attached volume (`snaplog attach`, `drill --image`). */
export interface VolumeReader {
  /** Walks a mounted volume for the engine's data directories. */
  findDatadirs(root: string): Promise<FoundDatadir[]>;
  /** Which of the archive's snapshots a found data directory is. */
  identify(snapshots: SnapshotRecord[], found: FoundDatadir): Promise<SnapshotIdentity>;
}
