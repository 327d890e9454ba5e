/** Binlog format constants (MySQL 5.x/8.x, MariaDB 10.x). */
export const BINLOG_MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
export const HEADER_LENGTH = 19;
export const CHECKSUM_LENGTH = 4;
export const LOG_EVENT_BINLOG_IN_USE_F = 0x1;

export const EventType = {
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  TABLE_MAP: 19,
  WRITE_ROWS_V1: 23,
  UPDATE_ROWS_V1: 24,
  DELETE_ROWS_V1: 25,
  WRITE_ROWS: 30,
  UPDATE_ROWS: 31,
  DELETE_ROWS: 32,
  MYSQL_GTID: 33,
  MYSQL_ANONYMOUS_GTID: 34,
  PREVIOUS_GTIDS: 35,
  /** MySQL 8.0.20+ binlog_transaction_compression: a whole transaction, zstd-compressed, in one event. */
  TRANSACTION_PAYLOAD: 40,
  ANNOTATE_ROWS: 160,
  BINLOG_CHECKPOINT: 161,
  MARIADB_GTID: 162,
  GTID_LIST: 163,
  START_ENCRYPTION: 164,
} as const;

/** MariaDB GTID event flags2: a standalone event group has no terminating XID/COMMIT (DDL). */
export const FL_STANDALONE = 0x1;
