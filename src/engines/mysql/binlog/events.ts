import { inflateSync } from 'node:zlib';
import { EventType, isRowsEvent } from './constants.js';
import { BinlogDecodeError, needBytes } from './errors.js';
import type { FormatDescription } from './format-description.js';
import { postHeaderLength } from './format-description.js';
import { decodeGtidList, decodeMariadbGtid, decodeMysqlGtid, decodePreviousGtids, decodeTaggedGtid, formatGtidList } from './gtid.js';
import type { MysqlGtid } from './gtid.js';
import { decodeXaPrepare } from './xa.js';
import type { EventHeader } from './event-header.js';

/**
 * Pure decoders of event bodies. `body` starts after the common header and excludes the CRC32 trailer;
 * `format` is the file's format description (post-header lengths), undefined means v4 defaults.
 */
type Format = Pick<FormatDescription, 'postHeaderLengths'> | undefined;

export interface QueryEvent {
  threadId: number;
  execTime: number;
  errorCode: number;
  db: string;
  query: string;
}

/** Where the statement text starts in a QUERY body (post-header, status vars, db, NUL skipped). */
export function queryTextOffset(body: Buffer, format: Format, type: number = EventType.QUERY): number {
  const fixed = postHeaderLength(format, type === EventType.QUERY_COMPRESSED ? EventType.QUERY : type) || 13;
  needBytes(body, Math.max(fixed, 9), 'QUERY event');
  const dbLength = body[8]!;
  const statusLength = fixed >= 13 ? body.readUInt16LE(11) : 0;
  const at = fixed + statusLength + dbLength + 1;
  if (at > body.length) throw new BinlogDecodeError(`QUERY event: statement starts at ${at}, body has ${body.length} bytes`);
  return at;
}

/** QUERY_EVENT: thread_id u32, exec_time u32, db_len u8, error_code u16, status_vars_len u16; status vars; db NUL; statement. */
export function decodeQuery(body: Buffer, format?: Format, type: number = EventType.QUERY): QueryEvent {
  const textAt = queryTextOffset(body, format, type);
  const dbLength = body[8]!;
  const dbAt = textAt - dbLength - 1;
  const text = body.subarray(textAt);
  return {
    threadId: body.readUInt32LE(0),
    execTime: body.readUInt32LE(4),
    errorCode: body.readUInt16LE(9),
    db: body.subarray(dbAt, dbAt + dbLength).toString('utf8'),
    query: (type === EventType.QUERY_COMPRESSED ? uncompressMariadb(text) : text).toString('utf8'),
  };
}

/**
 * MariaDB log_bin_compress format (QUERY_COMPRESSED, *_ROWS_COMPRESSED): one byte 0x80 | alg << 4 | n,
 * the uncompressed length big-endian in n bytes, then zlib data (alg 0).
 */
export function uncompressMariadb(data: Buffer): Buffer {
  needBytes(data, 1, 'compressed MariaDB event');
  const head = data[0]!;
  const lengthBytes = head & 0x07;
  if ((head & 0x80) === 0 || (head & 0x70) >> 4 !== 0 || lengthBytes < 1 || lengthBytes > 4) {
    throw new BinlogDecodeError(`unknown MariaDB compression header 0x${head.toString(16)}`);
  }
  needBytes(data, 1 + lengthBytes, 'compressed MariaDB event');
  let length = 0;
  for (let i = 1; i <= lengthBytes; i++) length = length * 256 + data[i]!;
  return inflateSync(data.subarray(1 + lengthBytes), { maxOutputLength: Math.max(length, 1) });
}

export type StatementKind = 'begin' | 'commit' | 'rollback' | 'xa-end' | 'xa-finish' | 'other';

/** The statement's first bytes are all classifyStatement reads. */
const HEAD_BYTES = 24;

/** Whitespace as String.prototype.trim sees it, among single bytes read as Latin-1. */
function isSpace(byte: number): boolean {
  return (byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0;
}

/** A byte as an upper-case ASCII letter when it is a lower-case one. */
function upper(byte: number): number {
  return byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte;
}

function isWordByte(byte: number): boolean {
  const c = upper(byte);
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));
const BEGIN = ascii('BEGIN');
const COMMIT = ascii('COMMIT');
const ROLLBACK = ascii('ROLLBACK');
const XA_START = ascii('XA START');
const XA_BEGIN = ascii('XA BEGIN');
const XA_END = ascii('XA END');
const XA_COMMIT = ascii('XA COMMIT');
const XA_ROLLBACK = ascii('XA ROLLBACK');

/** Whether `body[from, to)` starts with `word` (case-insensitively), followed by `to` or a non-word byte. */
function startsWithWord(body: Buffer, from: number, to: number, word: Uint8Array): boolean {
  if (to - from < word.length) return false;
  for (let i = 0; i < word.length; i++) if (upper(body[from + i]!) !== word[i]) return false;
  return from + word.length === to || !isWordByte(body[from + word.length]!);
}

/** Whether `body[from, to)` is exactly `word`, case-insensitively. */
function isExactly(body: Buffer, from: number, to: number, word: Uint8Array): boolean {
  return to - from === word.length && startsWithWord(body, from, to, word);
}

/**
 * What a statement means for transaction boundaries, from its first bytes only: `BEGIN` / `XA START` open a
 * transaction, `COMMIT` / `ROLLBACK` end one (not `ROLLBACK TO savepoint`), `XA COMMIT|ROLLBACK` end an
 * XA transaction, `XA END` is inside one. Anything else is a statement. Reads the bytes in place: it runs
 * once per transaction on the scan's hot path.
 */
export function classifyStatement(body: Buffer, textAt: number): StatementKind {
  const length = Math.min(body.length - textAt, HEAD_BYTES);
  if (length < 5) return 'other';
  const headEnd = textAt + length;
  let from = textAt;
  while (from < headEnd && isSpace(body[from]!)) from++;
  if (body.length - textAt <= HEAD_BYTES) {
    // The whole statement is in view: BEGIN, COMMIT and ROLLBACK count only alone (trimmed).
    let to = headEnd;
    while (to > from && isSpace(body[to - 1]!)) to--;
    if (isExactly(body, from, to, BEGIN)) return 'begin';
    if (isExactly(body, from, to, COMMIT)) return 'commit';
    if (isExactly(body, from, to, ROLLBACK)) return 'rollback';
  }
  if (startsWithWord(body, from, headEnd, XA_START) || startsWithWord(body, from, headEnd, XA_BEGIN)) return 'begin';
  if (startsWithWord(body, from, headEnd, XA_END)) return 'xa-end';
  if (startsWithWord(body, from, headEnd, XA_COMMIT) || startsWithWord(body, from, headEnd, XA_ROLLBACK)) return 'xa-finish';
  return 'other';
}

/** ROTATE_EVENT: position u64, then the next file's name to the end of the body. */
export function decodeRotate(body: Buffer, format?: Format): { file: string; position: number } {
  const fixed = postHeaderLength(format, EventType.ROTATE) || 8;
  needBytes(body, fixed, 'ROTATE event');
  return { position: Number(body.readBigUInt64LE(0)), file: body.subarray(fixed).toString('utf8') };
}

/** XID_EVENT: the storage engine's transaction id, u64. */
export function decodeXid(body: Buffer): string {
  needBytes(body, 8, 'XID event');
  return body.readBigUInt64LE(0).toString();
}

function readTableId(body: Buffer, fixed: number): number {
  return fixed === 6 ? body.readUInt32LE(0) : body.readUIntLE(0, 6);
}

/** TABLE_MAP_EVENT: table_id (6 bytes; 4 in old formats), flags u16, db_len u8, db, NUL, table_len u8, table, NUL, … */
export function decodeTableMap(body: Buffer, format?: Format): { tableId: number; db: string; table: string } {
  const fixed = postHeaderLength(format, EventType.TABLE_MAP) || 8;
  needBytes(body, fixed + 1, 'TABLE_MAP event');
  const dbLength = body[fixed]!;
  const tableAt = fixed + 1 + dbLength + 1;
  needBytes(body, tableAt + 1, 'TABLE_MAP event');
  const tableLength = body[tableAt]!;
  needBytes(body, tableAt + 1 + tableLength, 'TABLE_MAP event');
  return {
    tableId: readTableId(body, fixed),
    db: body.subarray(fixed + 1, fixed + 1 + dbLength).toString('utf8'),
    table: body.subarray(tableAt + 1, tableAt + 1 + tableLength).toString('utf8'),
  };
}

/** Row events: table_id (6 bytes; 4 in old formats), flags u16 (bit 0: last event of the statement). */
export function decodeRowsHeader(body: Buffer, type: number, format?: Format): { tableId: number; rowsFlags: number } {
  const fixed = postHeaderLength(format, type) || 8;
  needBytes(body, Math.max(fixed, 8), 'rows event');
  const idLength = fixed === 6 ? 4 : 6;
  return { tableId: readTableId(body, fixed), rowsFlags: body.readUInt16LE(idLength) };
}

/** MariaDB BINLOG_CHECKPOINT_EVENT: name length u32, then the oldest binlog still needed for crash recovery. */
export function decodeBinlogCheckpoint(body: Buffer): string {
  needBytes(body, 4, 'BINLOG_CHECKPOINT event');
  const length = body.readUInt32LE(0);
  needBytes(body, 4 + length, 'BINLOG_CHECKPOINT event');
  return body.subarray(4, 4 + length).toString('utf8');
}

/** Reads a MySQL packed integer (1, 3, 4 or 9 bytes); returns the value and the bytes used. */
export function readPackedInteger(buf: Buffer, at: number): { value: number; length: number } {
  needBytes(buf, at + 1, 'packed integer');
  const first = buf[at]!;
  if (first < 251) return { value: first, length: 1 };
  if (first === 252) return (needBytes(buf, at + 3, 'packed integer'), { value: buf.readUInt16LE(at + 1), length: 3 });
  if (first === 253) return (needBytes(buf, at + 4, 'packed integer'), { value: buf.readUIntLE(at + 1, 3), length: 4 });
  if (first === 254) return (needBytes(buf, at + 9, 'packed integer'), { value: Number(buf.readBigUInt64LE(at + 1)), length: 9 });
  throw new BinlogDecodeError(`invalid packed integer prefix 0x${first.toString(16)}`);
}

export interface TransactionPayload {
  compression: 'zstd' | 'none' | `type ${number}`;
  payloadSize?: number;
  uncompressedSize?: number;
}

/**
 * MySQL 8.0.20+ TRANSACTION_PAYLOAD_EVENT (libbinlogevents control_events.h, Transaction_payload_event): a
 * header of (type, length, value) fields in net_store_length packed integers — 1 payload size, 2 compression
 * type (0 zstd, 255 none), 3 uncompressed size — ended by type 0, then the payload: every event of one
 * transaction but its GTID event, which stays outside. The payload is not decompressed: the transaction's
 * boundaries and GTID come from the events around it (the GTID event opens it, this event ends it).
 */
export function decodeTransactionPayload(body: Buffer): TransactionPayload {
  const result: TransactionPayload = { compression: 'none' };
  let at = 0;
  for (let guard = 0; guard < 16; guard++) {
    const type = readPackedInteger(body, at);
    at += type.length;
    if (type.value === 0) return result;
    const length = readPackedInteger(body, at);
    at += length.length;
    needBytes(body, at + length.value, 'TRANSACTION_PAYLOAD event');
    const value = readPackedInteger(body.subarray(0, at + length.value), at).value;
    if (type.value === 1) result.payloadSize = value;
    else if (type.value === 2) result.compression = value === 0 ? 'zstd' : value === 255 ? 'none' : `type ${value}`;
    else if (type.value === 3) result.uncompressedSize = value;
    at += length.value;
  }
  throw new BinlogDecodeError('TRANSACTION_PAYLOAD event header has no end mark');
}

/**
 * MariaDB 12.3 PARTIAL_ROW_DATA_EVENT (type 172, MDEV-32570; MariaDB replication protocol docs,
 * partial_row_data_event.md): total fragments u32, this fragment's number u32 (from 1), flags u8
 * (0x01: the original row event's size follows, u64, in the first fragment), then a piece of the row event.
 */
export function decodePartialRowData(body: Buffer): { sequence: number; total: number } {
  needBytes(body, 9, 'PARTIAL_ROW_DATA event');
  return { total: body.readUInt32LE(0), sequence: body.readUInt32LE(4) };
}

function mysqlGtidDetails(gtid: MysqlGtid): EventDetails {
  return {
    ...(gtid.gtid ? { gtid: gtid.gtid } : {}),
    gtidFlags: gtid.flags,
    ...(gtid.tag ? { tag: gtid.tag } : {}),
    ...(gtid.immediateCommitMicros === undefined ? {} : { immediateCommitMicros: gtid.immediateCommitMicros, originalCommitMicros: gtid.originalCommitMicros }),
  };
}

/** The decoded, kind-specific part of an event, as `readBinlogEvents` reports it. */
export interface EventDetails {
  /** QUERY, QUERY_COMPRESSED; the statement text of ANNOTATE_ROWS / ROWS_QUERY. */
  query?: string;
  db?: string;
  threadId?: number;
  execTime?: number;
  errorCode?: number;
  /** TABLE_MAP; rows events name the table id only. */
  table?: string;
  tableId?: number;
  rowsFlags?: number;
  /** GTID events: the transaction's GTID. */
  gtid?: string;
  gtidFlags?: number;
  standalone?: boolean;
  xaXid?: string;
  xid?: string;
  /** XA_PREPARE: `XA PREPARE` of xaXid, or `XA COMMIT … ONE PHASE` (onePhase). */
  onePhase?: boolean;
  /** MySQL 8.0.1+ GTID events: commit time on the server that wrote the binlog, µs since the epoch; and on the originating server. */
  immediateCommitMicros?: number;
  originalCommitMicros?: number;
  /** MySQL 8.3+ tagged GTID events: the tag. */
  tag?: string;
  /** MariaDB 12.3 PARTIAL_ROW_DATA: this fragment's number (from 1) and how many the row event was split into. */
  fragment?: { sequence: number; total: number };
  rotate?: { file: string; position: number };
  /** GTID_LIST (MariaDB) / PREVIOUS_GTIDS (MySQL) as text. */
  gtidList?: string;
  checkpointFile?: string;
  payload?: TransactionPayload;
  serverVersion?: string;
  binlogVersion?: number;
  checksum?: 'none' | 'crc32';
  incident?: string;
  /** Why the body could not be decoded (the event is still framed and counted). */
  decodeProblem?: string;
}

/** Decodes the kind-specific fields of one event; never throws (an undecodable body sets `decodeProblem`). */
export function decodeEventDetails(header: EventHeader, body: Buffer, format: FormatDescription | undefined): EventDetails {
  try {
    return decodeDetails(header, body, format);
  } catch (error) {
    return { decodeProblem: error instanceof Error ? error.message : String(error) };
  }
}

function decodeDetails(header: EventHeader, body: Buffer, format: FormatDescription | undefined): EventDetails {
  const type = header.type;
  switch (type) {
    case EventType.FORMAT_DESCRIPTION:
      return format ? { serverVersion: format.serverVersion, binlogVersion: format.binlogVersion, checksum: format.checksum } : {};
    case EventType.QUERY:
    case EventType.QUERY_COMPRESSED: {
      const query = decodeQuery(body, format, type);
      return { query: query.query, db: query.db, threadId: query.threadId, execTime: query.execTime, errorCode: query.errorCode };
    }
    case EventType.ANNOTATE_ROWS:
      return { query: body.toString('utf8') };
    case EventType.ROWS_QUERY:
      return { query: body.subarray(1).toString('utf8') };
    case EventType.TABLE_MAP:
      return decodeTableMap(body, format);
    case EventType.MYSQL_GTID:
    case EventType.MYSQL_ANONYMOUS_GTID:
      return mysqlGtidDetails(decodeMysqlGtid(body, type === EventType.MYSQL_ANONYMOUS_GTID));
    case EventType.MYSQL_GTID_TAGGED:
      return mysqlGtidDetails(decodeTaggedGtid(body));
    case EventType.XA_PREPARE: {
      const prepare = decodeXaPrepare(body);
      return { xaXid: prepare.xid, onePhase: prepare.onePhase };
    }
    case EventType.PARTIAL_ROW_DATA:
      return { fragment: decodePartialRowData(body) };
    case EventType.MARIADB_GTID: {
      const gtid = decodeMariadbGtid(body, header.serverId);
      return { gtid: gtid.gtid, gtidFlags: gtid.flags, standalone: gtid.standalone, ...(gtid.xid ? { xaXid: gtid.xid } : {}) };
    }
    case EventType.XID:
      return { xid: decodeXid(body) };
    case EventType.ROTATE:
      return { rotate: decodeRotate(body, format) };
    case EventType.GTID_LIST:
      return { gtidList: formatGtidList(decodeGtidList(body)) };
    case EventType.PREVIOUS_GTIDS:
      return { gtidList: decodePreviousGtids(body) };
    case EventType.BINLOG_CHECKPOINT:
      return { checkpointFile: decodeBinlogCheckpoint(body) };
    case EventType.TRANSACTION_PAYLOAD:
      return { payload: decodeTransactionPayload(body) };
    case EventType.INCIDENT: {
      needBytes(body, 3, 'INCIDENT event');
      const length = body[2]!;
      return { incident: `incident ${body.readUInt16LE(0)}: ${body.subarray(3, 3 + length).toString('utf8')}` };
    }
    default:
      return isRowsEvent(type) ? decodeRowsHeader(body, type, format) : {};
  }
}
