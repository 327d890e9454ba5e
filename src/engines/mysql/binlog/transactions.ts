import type { StatementKind } from './events.js';
import type { XaStep } from './xa.js';

/** One committed transaction (event group) of a binlog. */
export interface BinlogTransaction {
  /** Offset where its first event starts (GTID event, or BEGIN): a stop-before (UNTIL) target. */
  startPosition: number;
  /** Offset just after its commit event (XID, COMMIT, the DDL statement itself, XA PREPARE, MySQL 8 payload). */
  endPosition: number;
  /**
   * Unix seconds: when it committed. MySQL 8.0.1+: the whole second of the GTID event's
   * immediate_commit_timestamp; otherwise the header timestamp of the commit event (MariaDB stamps it with the
   * time its COMMIT was issued; old MySQL with the statement's start).
   */
  commitTime: number;
  /** MySQL 8.0.1+: the GTID event's immediate_commit_timestamp, microseconds since the epoch. */
  commitTimeMicros?: number;
  /** `0-1-42` (MariaDB), `uuid:42` or `uuid:tag:42` (MySQL); absent in binlogs without GTIDs. */
  gtid?: string;
  /** An XA step: `XA PREPARE` (the transaction stays prepared until its XA COMMIT / XA ROLLBACK, a transaction of its own). */
  xa?: XaStep;
}

/**
 * How a group that has begun ends:
 * - `gtid-mysql`: after a MySQL GTID / ANONYMOUS_GTID event; `BEGIN` opens a group, any other statement is a DDL that ends it;
 * - `standalone`: MariaDB GTID with FL_STANDALONE: the next statement ends it;
 * - `group`: inside BEGIN … or a MariaDB GTID group: ends at XID, COMMIT, ROLLBACK, XA COMMIT/ROLLBACK, XA PREPARE.
 */
export type GroupMode = 'gtid-mysql' | 'standalone' | 'group';

interface OpenGroup {
  start: number;
  gtid: string | undefined;
  mode: GroupMode;
  /** The GTID event's commit timestamp in µs (0: none). */
  micros: number;
}

export interface TransactionSink {
  transaction(transaction: BinlogTransaction): void;
  /** A group that never committed before the next one began: not fatal, but a sign of damage or an unknown format. */
  anomaly(position: number, problem: string): void;
}

/**
 * The transaction-boundary state machine. Pure: the scanner feeds it what each event means; it reports
 * each transaction when its commit event arrives. What is open when the input ends is an incomplete tail.
 */
export class TransactionTracker {
  private open: OpenGroup | undefined;
  /** Start of statement-context events (INTVAR, USER_VAR, TABLE_MAP, …) seen outside a group: the next statement begins there. */
  private contextStart: number | undefined;

  constructor(private readonly sink: TransactionSink) {}

  /** Where the open (uncommitted) group starts, if any. */
  get openStart(): number | undefined {
    return this.open?.start;
  }

  /** Start of context events outside any group that no statement has claimed yet (a cut mid-statement). */
  get pendingContextStart(): number | undefined {
    return this.contextStart;
  }

  /** The GTID of the group in progress (for events inside it). */
  get openGtid(): string | undefined {
    return this.open?.gtid;
  }

  /** A GTID event (MySQL GTID/ANONYMOUS_GTID/tagged GTID, MariaDB GTID) at `position` begins a group; `micros`: its commit timestamp (0: none). */
  gtid(position: number, gtid: string | undefined, mode: GroupMode, micros = 0): void {
    this.begin(position, gtid, mode, micros);
  }

  /** A QUERY event (`xa`: the XA COMMIT / ROLLBACK it is). Returns true when it ended a transaction. */
  statement(position: number, end: number, time: number, kind: StatementKind, xa?: XaStep): boolean {
    const open = this.open;
    if (!open) {
      if (kind === 'begin') {
        this.begin(position, undefined, 'group', 0);
        return false;
      }
      if (kind === 'commit' || kind === 'rollback') {
        // A commit with nothing open: only rows/context without BEGIN can precede it.
        if (this.contextStart === undefined) return false;
        this.commit(this.contextStart, undefined, end, time, 0, undefined);
        return true;
      }
      this.commit(this.contextStart ?? position, undefined, end, time, 0, xa);
      return true;
    }
    switch (open.mode) {
      case 'standalone':
        this.commit(open.start, open.gtid, end, time, open.micros, xa);
        return true;
      case 'gtid-mysql':
        if (kind === 'begin') {
          open.mode = 'group';
          return false;
        }
        if (kind === 'xa-end') {
          open.mode = 'group';
          return false;
        }
        this.commit(open.start, open.gtid, end, time, open.micros, xa);
        return true;
      case 'group':
        if (kind === 'commit' || kind === 'rollback' || kind === 'xa-finish') {
          this.commit(open.start, open.gtid, end, time, open.micros, xa);
          return true;
        }
        if (kind === 'begin' && open.gtid === undefined) {
          this.begin(position, undefined, 'group', 0);
          return false;
        }
        return false;
    }
  }

  /** XID, XA_PREPARE (`xa`: the XA PREPARE it is) or a MySQL 8 TRANSACTION_PAYLOAD event: ends the open group. Returns true when it did. */
  commitEvent(end: number, time: number, xa?: XaStep): boolean {
    const open = this.open;
    if (open) {
      this.commit(open.start, open.gtid, end, time, open.micros, xa);
      return true;
    }
    if (this.contextStart !== undefined) {
      this.commit(this.contextStart, undefined, end, time, 0, xa);
      return true;
    }
    return false;
  }

  /** INTVAR, RAND, USER_VAR, TABLE_MAP, rows, ANNOTATE_ROWS …: outside a group they belong to the next statement. */
  context(position: number): void {
    if (!this.open && this.contextStart === undefined) this.contextStart = position;
  }

  /** ROTATE, STOP, GTID_LIST, BINLOG_CHECKPOINT …: outside any transaction. */
  outside(): void {
    this.contextStart = undefined;
  }

  private begin(position: number, gtid: string | undefined, mode: GroupMode, micros: number): void {
    if (this.open) {
      this.sink.anomaly(
        this.open.start,
        `the transaction starting at ${this.open.start}${this.open.gtid ? ` (GTID ${this.open.gtid})` : ''} has no commit event before the next one at ${position}`,
      );
    }
    this.open = { start: position, gtid, mode, micros };
    this.contextStart = undefined;
  }

  private commit(start: number, gtid: string | undefined, end: number, time: number, micros: number, xa: XaStep | undefined): void {
    this.open = undefined;
    this.contextStart = undefined;
    const transaction: BinlogTransaction =
      gtid === undefined ? { startPosition: start, endPosition: end, commitTime: time } : { startPosition: start, endPosition: end, commitTime: time, gtid };
    if (micros > 0) {
      transaction.commitTime = Math.floor(micros / 1_000_000);
      transaction.commitTimeMicros = micros;
    }
    if (xa) transaction.xa = xa;
    this.sink.transaction(transaction);
  }
}
