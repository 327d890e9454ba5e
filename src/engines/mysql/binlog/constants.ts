/**
 * Binlog format constants: event type numbers, header layout, flags.
 * Numbers are MySQL's (0–42) and MariaDB's (160–172); both servers keep them stable forever.
 */

/** `fe 62 69 6e`: the first four bytes of every binlog and relay log. */
export const BINLOG_MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
/**
 * `fd 62 69 6e`: a MySQL 8.0.14+ binlog written with binlog_encryption = ON (a 512-byte file header, then
 * AES-CTR encrypted events; the file password is wrapped by the replication master key in the server's keyring).
 */
export const MYSQL_ENCRYPTED_BINLOG_MAGIC = Buffer.from([0xfd, 0x62, 0x69, 0x6e]);
export const MAGIC_LENGTH = 4;

/** v4 common header: timestamp u32, type u8, server_id u32, event_size u32, log_pos u32, flags u16. */
export const EVENT_HEADER_LENGTH = 19;
export const CHECKSUM_LENGTH = 4;

export const EventType = {
  UNKNOWN: 0,
  START_V3: 1,
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  INTVAR: 5,
  LOAD: 6,
  SLAVE: 7,
  CREATE_FILE: 8,
  APPEND_BLOCK: 9,
  EXEC_LOAD: 10,
  DELETE_FILE: 11,
  NEW_LOAD: 12,
  RAND: 13,
  USER_VAR: 14,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  BEGIN_LOAD_QUERY: 17,
  EXECUTE_LOAD_QUERY: 18,
  TABLE_MAP: 19,
  PRE_GA_WRITE_ROWS: 20,
  PRE_GA_UPDATE_ROWS: 21,
  PRE_GA_DELETE_ROWS: 22,
  WRITE_ROWS_V1: 23,
  UPDATE_ROWS_V1: 24,
  DELETE_ROWS_V1: 25,
  INCIDENT: 26,
  HEARTBEAT: 27,
  IGNORABLE: 28,
  ROWS_QUERY: 29,
  WRITE_ROWS_V2: 30,
  UPDATE_ROWS_V2: 31,
  DELETE_ROWS_V2: 32,
  MYSQL_GTID: 33,
  MYSQL_ANONYMOUS_GTID: 34,
  PREVIOUS_GTIDS: 35,
  TRANSACTION_CONTEXT: 36,
  VIEW_CHANGE: 37,
  XA_PREPARE: 38,
  PARTIAL_UPDATE_ROWS: 39,
  TRANSACTION_PAYLOAD: 40,
  HEARTBEAT_V2: 41,
  MYSQL_GTID_TAGGED: 42,
  ANNOTATE_ROWS: 160,
  BINLOG_CHECKPOINT: 161,
  MARIADB_GTID: 162,
  GTID_LIST: 163,
  START_ENCRYPTION: 164,
  QUERY_COMPRESSED: 165,
  WRITE_ROWS_COMPRESSED_V1: 166,
  UPDATE_ROWS_COMPRESSED_V1: 167,
  DELETE_ROWS_COMPRESSED_V1: 168,
  WRITE_ROWS_COMPRESSED: 169,
  UPDATE_ROWS_COMPRESSED: 170,
  DELETE_ROWS_COMPRESSED: 171,
  /** MariaDB 12.3+: one fragment of a row event larger than binlog_row_event_fragment_threshold (MDEV-32570). */
  PARTIAL_ROW_DATA: 172,
} as const;

export type EventTypeName = keyof typeof EventType;

const NAMES = new Map<number, EventTypeName>((Object.entries(EventType) as [EventTypeName, number][]).map(([name, code]) => [code, name]));

/** `QUERY`, `MARIADB_GTID`, …; `TYPE_<n>` for a number neither server defines. */
export function eventTypeName(type: number): string {
  return NAMES.get(type) ?? `TYPE_${type}`;
}

/** Row events of every generation (pre-GA, v1, v2, MySQL partial JSON, MariaDB compressed). */
export function isRowsEvent(type: number): boolean {
  return (
    (type >= EventType.PRE_GA_WRITE_ROWS && type <= EventType.DELETE_ROWS_V1) ||
    (type >= EventType.WRITE_ROWS_V2 && type <= EventType.DELETE_ROWS_V2) ||
    type === EventType.PARTIAL_UPDATE_ROWS ||
    (type >= EventType.WRITE_ROWS_COMPRESSED_V1 && type <= EventType.DELETE_ROWS_COMPRESSED)
  );
}

/** Row data inside a transaction: row events of every generation and MariaDB 12.3's fragments of oversized ones. */
export function isRowDataEvent(type: number): boolean {
  return isRowsEvent(type) || type === EventType.PARTIAL_ROW_DATA;
}

/** Event header flags. */
export const EventFlag = {
  /** On the format description event: the file is open, or was not closed cleanly. */
  BINLOG_IN_USE: 0x0001,
  THREAD_SPECIFIC: 0x0004,
  SUPPRESS_USE: 0x0008,
  ARTIFICIAL: 0x0020,
  RELAY_LOG: 0x0040,
  IGNORABLE: 0x0080,
  SKIP_REPLICATION: 0x8000,
} as const;

/** Checksum algorithm byte at the end of the format description event body. */
export const ChecksumAlg = {
  OFF: 0,
  CRC32: 1,
  UNDEFINED: 255,
} as const;

/** MariaDB GTID event flags2. */
export const MariadbGtidFlag = {
  /** No terminating XID/COMMIT: the group is the one statement (QUERY) that follows. */
  STANDALONE: 0x01,
  /** A commit_id u64 follows the post-header. */
  GROUP_COMMIT_ID: 0x02,
  TRANSACTIONAL: 0x04,
  ALLOW_PARALLEL: 0x08,
  WAITED: 0x10,
  DDL: 0x20,
  /** XA transaction, prepared in this group; an XID (format_id, lengths, data) follows. */
  PREPARED_XA: 0x40,
  /** XA COMMIT/ROLLBACK of an earlier prepared transaction; an XID follows. */
  COMPLETED_XA: 0x80,
} as const;

/** Post-header lengths the v4 format uses when the format description event does not say otherwise. */
export const DEFAULT_POST_HEADER_LENGTH: Readonly<Record<number, number>> = {
  [EventType.QUERY]: 13,
  [EventType.ROTATE]: 8,
  [EventType.TABLE_MAP]: 8,
  [EventType.WRITE_ROWS_V1]: 8,
  [EventType.UPDATE_ROWS_V1]: 8,
  [EventType.DELETE_ROWS_V1]: 8,
  [EventType.WRITE_ROWS_V2]: 10,
  [EventType.UPDATE_ROWS_V2]: 10,
  [EventType.DELETE_ROWS_V2]: 10,
  [EventType.MARIADB_GTID]: 19,
  [EventType.GTID_LIST]: 4,
  [EventType.BINLOG_CHECKPOINT]: 4,
};

/** Names other modules import (kept stable). */
export const LOG_EVENT_BINLOG_IN_USE_F = EventFlag.BINLOG_IN_USE;
export const HEADER_LENGTH = EVENT_HEADER_LENGTH;
export const FL_STANDALONE = MariadbGtidFlag.STANDALONE;
