import type { BinlogKey } from './decrypt.js';
import type { EventHeader } from './event-header.js';
import type { EventDetails } from './events.js';
import type { BinlogTransaction } from './transactions.js';
import type { GtidStreamRange } from './gtid.js';
import type { XaStep } from './xa.js';

export type { BinlogTransaction } from './transactions.js';

/** Something wrong with the file itself (not an incomplete tail): damage, or a format snaplog cannot read. */
export interface BinlogProblem {
  position: number;
  problem: string;
}

/** What one pass over a binlog learned. */
export interface BinlogScan {
  /** Bytes read. */
  size: number;
  /** Server id in the format description event's header (the server that wrote the file). */
  serverId?: number;
  serverVersion: string;
  binlogVersion: number;
  checksum: 'none' | 'crc32';
  /** LOG_EVENT_BINLOG_IN_USE_F on the format description: the file is open, or was not closed cleanly (crash). */
  inUseFlag: boolean;
  /** Earliest and latest event timestamps, unix seconds (statement start times: not monotonic in file order). */
  firstEventTime?: number;
  lastEventTime?: number;
  /** Earliest and latest commit-event timestamps of the complete transactions. */
  firstCommitTime?: number;
  lastCommitTime?: number;
  /** Where the first event after the leading header events (FDE, PREVIOUS_GTIDS, GTID_LIST, BINLOG_CHECKPOINT) starts. */
  startPosition: number;
  /** Offset just after the last whole, intact event. */
  endPosition: number;
  /**
   * The file holds only whole transactions up to here: endPosition, unless the file ends inside a
   * transaction (a crash, or a copy of the open binlog): then where that transaction starts, which is the
   * end of the last complete transaction (or of whatever non-transactional events follow it).
   */
  lastCompleteTransactionEnd: number;
  /** Bytes after lastCompleteTransactionEnd: a partial event or an uncommitted transaction. Absent, not corrupt. */
  incompleteTail: boolean;
  /** A MariaDB START_ENCRYPTION event: everything after it is encrypted (also reported as a problem). */
  encrypted: boolean;
  gtidFlavor?: 'mariadb' | 'mysql';
  /** GTIDs of the first and last complete transactions. */
  firstGtid?: string;
  lastGtid?: string;
  /** Per GTID stream (MariaDB domain id, MySQL source uuid): lowest and highest sequence number of the complete transactions, and how many. */
  gtidRanges: Record<string, GtidStreamRange>;
  /** MariaDB GTID_LIST (`0-1-10,1-2-5`) or MySQL PREVIOUS_GTIDS (`uuid:1-10`) at the start of the file. */
  previousGtids?: string;
  /** From the ROTATE event that closes the file. */
  rotateTo?: { file: string; position: number };
  /** A STOP event: the server shut down cleanly while this file was open. */
  stopped: boolean;
  eventCount: number;
  transactionCount: number;
  /** The transaction-boundary index (empty when scanned with keepTransactions: false). */
  transactions: BinlogTransaction[];
  /** Every XA step (XA PREPARE, XA COMMIT, XA ROLLBACK) of the complete transactions, in log order (at most MAX_XA_RECORDS). */
  xa: XaRecord[];
  /** The log holds more XA steps than `xa` lists. */
  xaOverflow?: true;
  /**
   * MySQL TRANSACTION_PAYLOAD events (binlog_transaction_compression = ON): transactions whose events are
   * zstd-compressed. The reader does not decompress them, so an XA step inside one is not in `xa`.
   */
  compressedTransactions?: number;
  /** MariaDB 12.3 PARTIAL_ROW_DATA events: fragments of row events, each inside its transaction. */
  partialRowEvents?: number;
  /** Empty for a healthy file. */
  problems: BinlogProblem[];
  /** Where a problem stopped the reader: nothing from here on was read (an unreadable format, damage). */
  unreadableFrom?: number;
}

/** One XA step of a log: which XID, what happened to it, and where its transaction is. */
export interface XaRecord extends XaStep {
  gtid?: string;
  startPosition: number;
  endPosition: number;
}

/** One event with its kind-specific fields decoded (for `snaplog find` and debugging). */
export interface BinlogEvent extends EventHeader, EventDetails {
  position: number;
  endPosition: number;
  /** `QUERY`, `MARIADB_GTID`, `WRITE_ROWS_V2`, … */
  typeName: string;
  /** false when the stored CRC32 does not match (scans stop there); undefined without checksums. */
  checksumOk?: boolean;
  /** For events of a transaction (GTID event to commit event): where the transaction starts. */
  transactionStart?: number;
  /** This event commits a transaction (XID, COMMIT, a DDL statement, …). */
  commits?: boolean;
}

export interface ScannerOptions {
  /** Keep the transaction index (default true); false keeps memory constant (counts and ranges still kept). */
  keepTransactions?: boolean;
  /** Decode every event and pass it here (slower: bodies are decoded, split events buffered whole). */
  onEvent?: (event: BinlogEvent) => void;
  /** Check that each header's log_pos is its end offset (default true; off for relay logs written by a replica). */
  checkLogPos?: boolean;
  /** Called for every complete transaction, in log order (whether or not the index is kept). */
  onTransaction?: (transaction: BinlogTransaction) => void;
  /** The key of an encrypted MariaDB binlog (encrypt_binlog = ON): events after START_ENCRYPTION are decrypted in memory. */
  key?: BinlogKey;
}
