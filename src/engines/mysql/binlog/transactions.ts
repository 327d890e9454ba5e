import type { StatementKind } from './events.js';

/** One committed transaction (event group) of a binlog. */
export interface BinlogTransaction {
  /** Offset where its first event starts (GTID event, or BEGIN): a stop-before (UNTIL) target. */
  startPosition: number;
  /** Offset just after its commit event (XID, COMMIT, the DDL statement itself, XA PREPARE, MySQL 8 payload). */
  endPosition: number;
  /** Unix seconds: the timestamp of the commit event. */
  commitTime: number;
  /** `0-1-42` (MariaDB) or `uuid:42` (MySQL); absent in binlogs without GTIDs. */
  gtid?: string;
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

  /** A GTID event (MySQL GTID/ANONYMOUS_GTID, MariaDB GTID) at `position` begins a group. */
  gtid(position: number, gtid: string | undefined, mode: GroupMode): void {
    this.begin(position, gtid, mode);
  }

  /** A QUERY event. Returns true when it ended a transaction. */
  statement(position: number, end: number, time: number, kind: StatementKind): boolean {
    const open = this.open;
    if (!open) {
      if (kind === 'begin') {
        this.begin(position, undefined, 'group');
        return false;
      }
      if (kind === 'commit' || kind === 'rollback') {
        // A commit with nothing open: only rows/context without BEGIN can precede it.
        if (this.contextStart === undefined) return false;
        this.commit(this.contextStart, undefined, end, time);
        return true;
      }
      this.commit(this.contextStart ?? position, undefined, end, time);
      return true;
    }
    switch (open.mode) {
      case 'standalone':
        this.commit(open.start, open.gtid, end, time);
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
        this.commit(open.start, open.gtid, end, time);
        return true;
      case 'group':
        if (kind === 'commit' || kind === 'rollback' || kind === 'xa-finish') {
          this.commit(open.start, open.gtid, end, time);
          return true;
        }
        if (kind === 'begin' && open.gtid === undefined) {
          this.begin(position, undefined, 'group');
          return false;
        }
        return false;
    }
  }

  /** XID, XA_PREPARE or a MySQL 8 TRANSACTION_PAYLOAD event: ends the open group. Returns true when it did. */
  commitEvent(end: number, time: number): boolean {
    const open = this.open;
    if (open) {
      this.commit(open.start, open.gtid, end, time);
      return true;
    }
    if (this.contextStart !== undefined) {
      this.commit(this.contextStart, undefined, end, time);
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

  private begin(position: number, gtid: string | undefined, mode: GroupMode): void {
    if (this.open) {
      this.sink.anomaly(this.open.start, `the transaction starting at ${this.open.start}${this.open.gtid ? ` (GTID ${this.open.gtid})` : ''} has no commit event before the next one at ${position}`);
    }
    this.open = { start: position, gtid, mode };
    this.contextStart = undefined;
  }

  private commit(start: number, gtid: string | undefined, end: number, time: number): void {
    this.open = undefined;
    this.contextStart = undefined;
    this.sink.transaction(gtid === undefined ? { startPosition: start, endPosition: end, commitTime: time } : { startPosition: start, endPosition: end, commitTime: time, gtid });
  }
}
