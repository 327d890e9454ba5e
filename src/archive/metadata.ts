import type { Compression } from './layout.js';

/** What the archive knows about one shipped log: enough for verify, list and plan without the database. */
export interface LogMetadata {
  formatVersion: 1;
  name: string;
  engine: string;
  /** Sort key that orders the logs of one stream: the binlog number, the journal's date+sequence, … */
  sequence: number;
  /** Logs numbered apart (Oracle: "thread 2, resetlogs 1093…"); absent for a single stream. */
  stream?: string;
  size: number;
  sha256: string;
  /** sha256 of the first 4 KiB: a cheap way to tell a renumbered log from the one already archived. */
  headSha256: string;
  compression: Compression;
  storedName: string;
  storedSize: number;
  firstEventTime?: string;
  lastEventTime?: string;
  firstCommitTime?: string;
  lastCommitTime?: string;
  startPosition?: number;
  endPosition?: number;
  lastCompleteTransactionEnd?: number;
  transactionCount?: number;
  firstTransaction?: string;
  lastTransaction?: string;
  previousTransactions?: string;
  /**
   * Per GTID stream (MariaDB domain id such as "0", MySQL source uuid): the lowest and highest sequence number
   * of the log's transactions and how many there are; MariaDB: `server`, the server id of the highest GTID;
   * `outOfOrder` when a number went down in log order. Logs shipped before this field existed have only
   * firstTransaction/lastTransaction: the planner reads those logs to learn their ranges.
   */
  gtidRanges?: Record<string, { first: number; last: number; count: number; server?: number; outOfOrder?: true }>;
  serverId?: number;
  serverVersion?: string;
  /** MySQL-family logs: 'mysql' or 'mariadb', from serverVersion (the dialect a restore from this log speaks). */
  serverFlavor?: string;
  /** false when the log was closed by a crash: bytes after lastCompleteTransactionEnd are absent, not corrupt. */
  cleanClose?: boolean;
  nextLog?: string;
  /**
   * Sparse transaction-boundary index written at ship time (MySQL/MariaDB): every ~16 MiB, the offset where
   * a transaction starts and the latest commit time (unix s) of the transactions before it. The planner
   * reads only the stretch that holds the stop instead of scanning the whole boundary log.
   */
  checkpoints?: { position: number; maxCommitTimeBefore: number }[];
  /**
   * This copy replaced an archived one that differed from it only in the close marker (a binlog shipped
   * before the server had cleared its in-use flag): the replaced copy's checksums and when it was shipped.
   */
  replaced?: { sha256: string; headSha256: string; shippedAt: string; reason: string; replacedAt: string };
  /** Engine-specific facts (Oracle thread/SCN range, IRIS journal details …). */
  details?: Record<string, unknown>;
  shippedAt: string;
  shippedBy: string;
}

/** What an engine learns about a log while its bytes stream past (no second read). */
export type LogFacts = Omit<
  LogMetadata,
  | 'formatVersion'
  | 'name'
  | 'engine'
  | 'replaced'
  | 'size'
  | 'sha256'
  | 'headSha256'
  | 'compression'
  | 'storedName'
  | 'storedSize'
  | 'shippedAt'
  | 'shippedBy'
  | 'sequence'
  | 'stream'
>;

export interface LogObserver {
  /** `chunk` is valid during the call only (its memory is reused for later chunks): copy what you keep. */
  push(chunk: Buffer): void;
  finish(): LogFacts;
}

export function parseLogMetadata(text: string, file: string): LogMetadata {
  const value = JSON.parse(text) as Partial<LogMetadata>;
  if (value.formatVersion !== 1 || typeof value.name !== 'string' || typeof value.sha256 !== 'string' || typeof value.size !== 'number') {
    throw new Error(`${file}: not a snaplog log metadata file (formatVersion 1 with name, size, sha256)`);
  }
  return value as LogMetadata;
}

export function unixToIso(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}
