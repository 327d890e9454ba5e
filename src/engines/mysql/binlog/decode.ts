import { BINLOG_MAGIC, HEADER_LENGTH } from './constants.js';

/** Pure decoders of the parts of binlog events snaplog needs. `body` excludes header and checksum. */
export interface EventHeader {
  timestamp: number;
  type: number;
  serverId: number;
  eventSize: number;
  logPos: number;
  flags: number;
}

export function decodeHeader(buf: Buffer, at: number): EventHeader {
  return {
    timestamp: buf.readUInt32LE(at),
    type: buf[at + 4]!,
    serverId: buf.readUInt32LE(at + 5),
    eventSize: buf.readUInt32LE(at + 9),
    logPos: buf.readUInt32LE(at + 13),
    flags: buf.readUInt16LE(at + 17),
  };
}

export function isBinlogMagic(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(BINLOG_MAGIC);
}

export interface FormatDescription {
  binlogVersion: number;
  serverVersion: string;
  checksum: 'none' | 'crc32';
}

/** Servers from MySQL 5.6.1 / MariaDB 5.3 on write the checksum algorithm byte into the FDE. */
export function versionHasChecksumByte(version: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (/mariadb/i.test(version)) return major > 5 || (major === 5 && minor >= 3);
  return major > 5 || (major === 5 && (minor > 6 || (minor === 6 && patch >= 1)));
}

/** `event` is the whole FDE event (header included). */
export function decodeFormatDescription(event: Buffer): FormatDescription {
  const body = event.subarray(HEADER_LENGTH);
  const binlogVersion = body.readUInt16LE(0);
  const serverVersion = body.subarray(2, 52).toString('latin1').replace(/\0.*$/s, '');
  let checksum: FormatDescription['checksum'] = 'none';
  if (versionHasChecksumByte(serverVersion)) checksum = event[event.length - 5] === 1 ? 'crc32' : 'none';
  return { binlogVersion, serverVersion, checksum };
}

export interface QueryEvent {
  db: string;
  query: string;
}

/** QUERY_EVENT body: thread_id u32, exec_time u32, db_len u8, error_code u16, status_vars_len u16, status vars, db, NUL, query. */
export function decodeQuery(body: Buffer): QueryEvent {
  if (body.length < 13) return { db: '', query: '' };
  const dbLength = body[8]!;
  const statusLength = body.readUInt16LE(11);
  const dbStart = 13 + statusLength;
  const queryStart = dbStart + dbLength + 1;
  return { db: body.subarray(dbStart, dbStart + dbLength).toString('utf8'), query: queryStart <= body.length ? body.subarray(queryStart).toString('utf8') : '' };
}

export function decodeRotate(body: Buffer): { position: number; file: string } {
  return { position: Number(body.readBigUInt64LE(0)), file: body.subarray(8).toString('latin1') };
}

export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** MySQL GTID_LOG_EVENT: flags u8, sid[16], gno i64. */
export function decodeMysqlGtid(body: Buffer): string {
  return `${formatUuid(body.subarray(1, 17))}:${body.readBigInt64LE(17)}`;
}

/** MariaDB GTID_EVENT: seq_no u64, domain_id u32, flags2 u8; server id from the header. */
export function decodeMariadbGtid(body: Buffer, serverId: number): { gtid: string; flags: number } {
  return { gtid: `${body.readUInt32LE(8)}-${serverId}-${body.readBigUInt64LE(0)}`, flags: body[12]! };
}

/** MariaDB GTID_LIST_EVENT: count (low 28 bits) u32, then (domain u32, server u32, seq u64) each. */
export function decodeGtidList(body: Buffer): string {
  const count = body.readUInt32LE(0) & 0x0fffffff;
  const items: string[] = [];
  for (let i = 0; i < count && 4 + i * 16 + 16 <= body.length; i++) {
    const at = 4 + i * 16;
    items.push(`${body.readUInt32LE(at)}-${body.readUInt32LE(at + 4)}-${body.readBigUInt64LE(at + 8)}`);
  }
  return items.join(',');
}

/** MySQL PREVIOUS_GTIDS_EVENT: n_sids u64, then per sid: uuid[16], n_intervals u64, (start, end-exclusive) i64 pairs. */
export function decodePreviousGtids(body: Buffer): string {
  if (body.length < 8) return '';
  const sids = Number(body.readBigUInt64LE(0));
  const parts: string[] = [];
  let at = 8;
  for (let i = 0; i < sids && at + 24 <= body.length; i++) {
    const uuid = formatUuid(body.subarray(at, at + 16));
    const intervals = Number(body.readBigUInt64LE(at + 16));
    at += 24;
    const ranges: string[] = [];
    for (let j = 0; j < intervals && at + 16 <= body.length; j++, at += 16) {
      const start = body.readBigInt64LE(at);
      const end = body.readBigInt64LE(at + 8) - 1n;
      ranges.push(start === end ? `${start}` : `${start}-${end}`);
    }
    parts.push(`${uuid}:${ranges.join(':')}`);
  }
  return parts.join(',');
}

/** TABLE_MAP_EVENT: table_id (6 bytes), flags u16, db_len u8, db, NUL, table_len u8, table, NUL. */
export function decodeTableMap(body: Buffer): { db: string; table: string } {
  const dbLength = body[8]!;
  const db = body.subarray(9, 9 + dbLength).toString('utf8');
  const tableAt = 9 + dbLength + 1;
  const tableLength = body[tableAt]!;
  return { db, table: body.subarray(tableAt + 1, tableAt + 1 + tableLength).toString('utf8') };
}
