import type { LogObserver } from '../archive/metadata.js';
import type { LogPosition } from '../archive/snapshot-record.js';

/** A log file as the database has it: closed logs are shipped, the open one only tailed. */
export interface SourceLog {
  name: string;
  path: string;
  sequence: number;
  /** Logs numbered apart (Oracle redo thread + incarnation); absent for a single stream. */
  stream?: string;
  closed: boolean;
}

/** A quiesced database: its exact log position read while the lock is held, and how to let go. */
export interface Quiesced {
  position: LogPosition;
  serverVersion: string;
  method: string;
  release(): Promise<void>;
  /**
   * The freeze is global (IRIS ExternalFreeze, Oracle BEGIN BACKUP): it does not end with the holder's
   * session, so a watchdog process ends it if the holder dies, and a failed release means the database
   * may still be frozen.
   */
  global?: boolean;
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
  /** Learns a log's facts while its bytes stream to the archive. */
  observeLog(log: SourceLog): LogObserver;
  /**
   * Closes the open log so it can be shipped (FLUSH BINARY LOGS, ARCHIVE LOG CURRENT, journal switch).
   * Engines whose newest log is unknown before the switch (Oracle) return the name of the log it closed.
   */
  switchLog(): Promise<string | void>;
  /** Seconds since the first transaction in this log was committed; undefined when it holds none. */
  firstTransactionAgeSeconds(log: SourceLog): Promise<number | undefined>;
  /**
   * Quiesces the database for a snapshot. Called in the detached holder process, which keeps what this
   * returns alive until thaw or timeout; session-bound locks die with that process. `deadlineMs` is the
   * pre-step's own deadline: the freeze call must have given up (and undone itself) by then.
   */
  quiesce(budget?: { deadlineMs: number }): Promise<Quiesced>;
  /**
   * Conditions the DBA should hear about while no freeze runs (Oracle: datafiles left in backup mode).
   * The ship service asks after each round and raises a warning event when the answer changes.
   */
  warningsWhenNotFrozen?(): Promise<string[]>;
  /** Ends a global freeze from any process (the watchdog's last resort); absent for session-bound locks. */
  forceRelease?(): Promise<void>;
  /**
   * The database's own answer to "is a global freeze in force right now?" (IRIS IsWDSuspended, Oracle
   * V$BACKUP ACTIVE): a description when it is, undefined when not. `thaw` asks before it says "nothing frozen".
   */
  globalFreezeInForce?(): Promise<string | undefined>;
  close(): Promise<void>;
}
