import {
  BINLOG_MAGIC,
  CHECKSUM_LENGTH,
  ChecksumAlg,
  EVENT_HEADER_LENGTH,
  EventFlag,
  EventType,
  MariadbGtidFlag,
  DEFAULT_POST_HEADER_LENGTH,
} from './constants.js';
import { crc32 } from './checksum.js';
import { encodeEventHeader } from './event-header.js';
import { encodeSigned, encodeText, encodeUnsigned } from './serialization.js';

/**
 * Writes valid binlog byte streams: magic, a format description, then whatever events are asked for,
 * with correct log_pos and CRC32. For tests (exact, hand-made cases) and the benchmark (large files).
 */

export interface BinlogBuilderOptions {
  flavor?: 'mariadb' | 'mysql';
  /** Default `10.11.19-MariaDB-log` / `8.0.31`; a MySQL 5.5 version writes no checksum-algorithm byte. */
  serverVersion?: string;
  checksum?: boolean;
  serverId?: number;
  /** Set LOG_EVENT_BINLOG_IN_USE_F on the format description (an open or crashed binlog). */
  inUse?: boolean;
  /** Unix seconds for the events (change `time` between events to move the clock). */
  time?: number;
}

export interface EventOptions {
  time?: number;
  serverId?: number;
  flags?: number;
}

/** What the FDE this builder writes declares: the v4 defaults plus the events it can also write. */
const POST_HEADER: Record<number, number> = {
  ...DEFAULT_POST_HEADER_LENGTH,
  [EventType.FORMAT_DESCRIPTION]: 84,
  [EventType.XID]: 0,
  [EventType.MYSQL_GTID]: 42,
  [EventType.MYSQL_ANONYMOUS_GTID]: 42,
  [EventType.ANNOTATE_ROWS]: 0,
  [EventType.START_ENCRYPTION]: 0,
};

function versionHasAlg(version: string, flavor: 'mariadb' | 'mysql'): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
  return flavor === 'mariadb' ? major > 5 || (major === 5 && minor >= 3) : major > 5 || (major === 5 && (minor > 6 || (minor === 6 && patch >= 1)));
}

/** MySQL net_store_length: < 251 in one byte, else 0xfc + u16, 0xfd + u24, 0xfe + u64. */
function packedInteger(value: number): Buffer {
  if (value < 251) return Buffer.from([value]);
  if (value < 0x10000) return Buffer.from([0xfc, value & 0xff, value >> 8]);
  if (value < 0x1000000) return Buffer.from([0xfd, value & 0xff, (value >> 8) & 0xff, value >> 16]);
  const out = Buffer.alloc(9);
  out[0] = 0xfe;
  out.writeBigUInt64LE(BigInt(value), 1);
  return out;
}

export class BinlogBuilder {
  /** Unix seconds stamped on the next events. */
  time: number;
  readonly flavor: 'mariadb' | 'mysql';
  readonly checksum: boolean;
  readonly serverId: number;
  private chunks: Buffer[] = [];
  private offset = 0;

  constructor(options: BinlogBuilderOptions = {}) {
    this.flavor = options.flavor ?? 'mariadb';
    this.checksum = options.checksum ?? true;
    this.serverId = options.serverId ?? 1;
    this.time = options.time ?? 1_700_000_000;
    const version = options.serverVersion ?? (this.flavor === 'mariadb' ? '10.11.19-MariaDB-log' : '8.0.31');
    this.push(Buffer.from(BINLOG_MAGIC));
    const lengths = Buffer.alloc(this.flavor === 'mariadb' ? 171 : 41);
    for (const [type, length] of Object.entries(POST_HEADER)) if (Number(type) <= lengths.length) lengths[Number(type) - 1] = length;
    const fixed = Buffer.alloc(57);
    fixed.writeUInt16LE(4, 0);
    fixed.write(version, 2, 50, 'latin1');
    fixed.writeUInt32LE(this.time, 52);
    fixed[56] = EVENT_HEADER_LENGTH;
    const hasAlg = versionHasAlg(version, this.flavor);
    if (this.checksum && !hasAlg) throw new Error(`server version ${version} predates binlog checksums`);
    const alg = hasAlg ? Buffer.from([this.checksum ? ChecksumAlg.CRC32 : ChecksumAlg.OFF]) : Buffer.alloc(0);
    // With checksums off, a checksum-aware server still leaves 4 bytes after the algorithm byte.
    const tail = hasAlg && !this.checksum ? Buffer.alloc(CHECKSUM_LENGTH) : Buffer.alloc(0);
    this.event(EventType.FORMAT_DESCRIPTION, Buffer.concat([fixed, lengths, alg, tail]), { flags: options.inUse ? EventFlag.BINLOG_IN_USE : 0 });
  }

  /** Offset where the next event starts. */
  get position(): number {
    return this.offset;
  }

  /** Appends one event; returns the offset where it starts. */
  event(type: number, body: Buffer, options: EventOptions = {}): number {
    const start = this.offset;
    const size = EVENT_HEADER_LENGTH + body.length + (this.checksum ? CHECKSUM_LENGTH : 0);
    const event = Buffer.allocUnsafe(size);
    const flags = options.flags ?? 0;
    encodeEventHeader(
      { timestamp: options.time ?? this.time, type, serverId: options.serverId ?? this.serverId, eventSize: size, logPos: start + size, flags },
      event,
      0,
    );
    body.copy(event, EVENT_HEADER_LENGTH);
    if (this.checksum) {
      let covered = event.subarray(0, size - CHECKSUM_LENGTH);
      if (type === EventType.FORMAT_DESCRIPTION && flags & EventFlag.BINLOG_IN_USE) {
        covered = Buffer.from(covered);
        covered.writeUInt16LE(flags & ~EventFlag.BINLOG_IN_USE, 17);
      }
      event.writeUInt32LE(crc32(covered), size - CHECKSUM_LENGTH);
    }
    this.push(event);
    return start;
  }

  /** Appends raw bytes (a torn event, garbage). */
  raw(bytes: Buffer): number {
    const start = this.offset;
    this.push(bytes);
    return start;
  }

  gtidList(list: { domainId: number; serverId: number; sequence: number | bigint }[]): number {
    const body = Buffer.alloc(4 + list.length * 16);
    body.writeUInt32LE(list.length, 0);
    list.forEach((gtid, i) => {
      body.writeUInt32LE(gtid.domainId, 4 + i * 16);
      body.writeUInt32LE(gtid.serverId, 8 + i * 16);
      body.writeBigUInt64LE(BigInt(gtid.sequence), 12 + i * 16);
    });
    return this.event(EventType.GTID_LIST, body);
  }

  checkpoint(file: string): number {
    const name = Buffer.from(file);
    const body = Buffer.alloc(4 + name.length);
    body.writeUInt32LE(name.length, 0);
    name.copy(body, 4);
    return this.event(EventType.BINLOG_CHECKPOINT, body);
  }

  mariadbGtid(
    sequence: number | bigint,
    options: { domainId?: number; standalone?: boolean; flags?: number; commitId?: bigint; serverId?: number } = {},
  ): number {
    let flags = options.flags ?? MariadbGtidFlag.TRANSACTIONAL;
    if (options.standalone) flags |= MariadbGtidFlag.STANDALONE;
    if (options.commitId !== undefined) flags |= MariadbGtidFlag.GROUP_COMMIT_ID;
    const body = Buffer.alloc(options.commitId !== undefined ? 27 : 19);
    body.writeBigUInt64LE(BigInt(sequence), 0);
    body.writeUInt32LE(options.domainId ?? 0, 8);
    body[12] = flags;
    if (options.commitId !== undefined) body.writeBigUInt64LE(options.commitId, 13);
    return this.event(EventType.MARIADB_GTID, body, options.serverId === undefined ? {} : { serverId: options.serverId });
  }

  /**
   * MySQL GTID_LOG_EVENT (ANONYMOUS_GTID_LOG_EVENT): flags, sid, gno, lt_type 2, last_committed,
   * sequence_number; with `commit` (MySQL 8.0.1+) the 7-byte immediate commit timestamp (bit 55 set when an
   * original one follows), the original one, transaction_length (packed, 0) and immediate_server_version.
   */
  mysqlGtid(
    uuid: string,
    gno: number | bigint,
    anonymous = false,
    commit?: { immediateMicros: number; originalMicros?: number; serverVersion?: number },
  ): number {
    const body = Buffer.alloc(42);
    body[0] = 1;
    Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(body, 1);
    body.writeBigInt64LE(BigInt(gno), 17);
    body[25] = 2;
    const parts = [body];
    if (commit) {
      const original = commit.originalMicros !== undefined && commit.originalMicros !== commit.immediateMicros;
      const stamps = Buffer.alloc(16);
      stamps.writeBigUInt64LE(BigInt(commit.immediateMicros) | (original ? 1n << 55n : 0n), 0); // 7 bytes kept
      if (original) stamps.writeBigUInt64LE(BigInt(commit.originalMicros!), 7);
      const version = Buffer.alloc(4);
      version.writeUInt32LE(commit.serverVersion ?? 80031);
      parts.push(stamps.subarray(0, original ? 14 : 7), Buffer.from([0]), version);
    }
    return this.event(anonymous ? EventType.MYSQL_ANONYMOUS_GTID : EventType.MYSQL_GTID, Buffer.concat(parts));
  }

  /**
   * MySQL 8.3+ GTID_TAGGED_LOG_EVENT in the serialization library format (see decodeTaggedGtid): the fields in
   * id order, original_commit_timestamp only when it differs from the immediate one (as the server writes it).
   */
  mysqlTaggedGtid(
    uuid: string,
    tag: string,
    gno: number,
    options: { immediateMicros: number; originalMicros?: number; lastCommitted?: number; sequenceNumber?: number; serverVersion?: number },
  ): number {
    const uuidBytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    const fields: Buffer[] = [
      encodeUnsigned(0),
      encodeUnsigned(0),
      encodeUnsigned(1),
      Buffer.concat([...uuidBytes].map((byte) => encodeUnsigned(byte))),
      encodeUnsigned(2),
      encodeSigned(gno),
      encodeUnsigned(3),
      encodeText(tag),
      encodeUnsigned(4),
      encodeSigned(options.lastCommitted ?? 0),
      encodeUnsigned(5),
      encodeSigned(options.sequenceNumber ?? 1),
      encodeUnsigned(6),
      encodeUnsigned(options.immediateMicros),
    ];
    if (options.originalMicros !== undefined && options.originalMicros !== options.immediateMicros) {
      fields.push(encodeUnsigned(7), encodeUnsigned(options.originalMicros));
    }
    fields.push(encodeUnsigned(8), encodeUnsigned(0), encodeUnsigned(9), encodeUnsigned(options.serverVersion ?? 80400));
    const payload = Buffer.concat(fields);
    // Field id 1 (the format version), then the size counted from the first byte (its own length included), then the last non-ignorable field id + 1.
    const head = (size: number) => Buffer.concat([encodeUnsigned(1), encodeUnsigned(size), encodeUnsigned(10)]);
    let size = payload.length + head(payload.length).length;
    while (size !== payload.length + head(size).length) size = payload.length + head(size).length;
    return this.event(EventType.MYSQL_GTID_TAGGED, Buffer.concat([head(size), payload]));
  }

  /** XA_PREPARE_LOG_EVENT: one_phase, formatID, gtrid_length, bqual_length (u32 each), then the XID's bytes. */
  xaPrepare(xid: { gtrid: string | Buffer; bqual?: string | Buffer; formatId?: number }, onePhase = false): number {
    const gtrid = Buffer.from(xid.gtrid);
    const bqual = Buffer.from(xid.bqual ?? '');
    const head = Buffer.alloc(13);
    head[0] = onePhase ? 1 : 0;
    head.writeInt32LE(xid.formatId ?? 1, 1);
    head.writeUInt32LE(gtrid.length, 5);
    head.writeUInt32LE(bqual.length, 9);
    return this.event(EventType.XA_PREPARE, Buffer.concat([head, gtrid, bqual]));
  }

  /**
   * MySQL 8.0.20+ TRANSACTION_PAYLOAD_EVENT: (type, length, value) fields in packed integers — 2 compression
   * type, 1 payload size, 3 uncompressed size — the end mark 0, then `payload` (already compressed).
   */
  transactionPayload(payload: Buffer, options: { compression?: 'zstd' | 'none'; uncompressedSize?: number } = {}): number {
    const field = (type: number, value: number) => Buffer.concat([Buffer.from([type]), packedInteger(packedInteger(value).length), packedInteger(value)]);
    const compression = options.compression ?? 'zstd';
    const header = [field(2, compression === 'zstd' ? 0 : 255), field(1, payload.length)];
    if (compression === 'zstd') header.push(field(3, options.uncompressedSize ?? payload.length));
    return this.event(EventType.TRANSACTION_PAYLOAD, Buffer.concat([...header, Buffer.from([0]), payload]));
  }

  /** MariaDB 12.3 PARTIAL_ROW_DATA_EVENT: total u32, sequence u32 (from 1), flags (1: the original size u64 follows), then a piece of the row event. */
  partialRowData(total: number, sequence: number, chunk: Buffer, originalSize?: number): number {
    const head = Buffer.alloc(originalSize === undefined ? 9 : 17);
    head.writeUInt32LE(total, 0);
    head.writeUInt32LE(sequence, 4);
    head[8] = originalSize === undefined ? 0 : 1;
    if (originalSize !== undefined) head.writeBigUInt64LE(BigInt(originalSize), 9);
    return this.event(EventType.PARTIAL_ROW_DATA, Buffer.concat([head, chunk]));
  }

  /** MySQL PREVIOUS_GTIDS from `{ uuid: [[start, last], …] }`; `tagged` writes MySQL 8.3's tagged format (keys `uuid` or `uuid:tag`). */
  previousGtids(sets: Record<string, [number, number][]>, tagged = false): number {
    const parts: Buffer[] = [];
    const count = Buffer.alloc(8);
    const sids = Object.keys(sets).length;
    if (tagged) {
      count.writeUIntLE(sids, 1, 6);
      count[0] = 1;
      count[7] = 1;
    } else {
      count.writeBigUInt64LE(BigInt(sids));
    }
    parts.push(count);
    for (const [key, intervals] of Object.entries(sets)) {
      const [uuid, tag = ''] = key.split(':');
      parts.push(Buffer.from(uuid!.replace(/-/g, ''), 'hex'));
      if (tagged) parts.push(encodeText(tag));
      const n = Buffer.alloc(8);
      n.writeBigUInt64LE(BigInt(intervals.length));
      parts.push(n);
      for (const [start, last] of intervals) {
        const interval = Buffer.alloc(16);
        interval.writeBigInt64LE(BigInt(start), 0);
        interval.writeBigInt64LE(BigInt(last + 1), 8);
        parts.push(interval);
      }
    }
    return this.event(EventType.PREVIOUS_GTIDS, Buffer.concat(parts));
  }

  query(text: string, options: { db?: string; threadId?: number } & EventOptions = {}): number {
    const db = Buffer.from(options.db ?? '');
    const status = Buffer.from([0x00, 0, 0, 0, 0]); // Q_FLAGS2_CODE = 0
    const head = Buffer.alloc(13);
    head.writeUInt32LE(options.threadId ?? 5, 0);
    head[8] = db.length;
    head.writeUInt16LE(status.length, 11);
    return this.event(EventType.QUERY, Buffer.concat([head, status, db, Buffer.from([0]), Buffer.from(text)]), options);
  }

  tableMap(tableId: number, db: string, table: string): number {
    const head = Buffer.alloc(8);
    head.writeUIntLE(tableId, 0, 6);
    const dbName = Buffer.from(db);
    const tableName = Buffer.from(table);
    const columns = Buffer.from([1, 3, 0, 0]); // 1 column, type LONG, no metadata, null bitmap
    return this.event(
      EventType.TABLE_MAP,
      Buffer.concat([head, Buffer.from([dbName.length]), dbName, Buffer.from([0, tableName.length]), tableName, Buffer.from([0]), columns]),
    );
  }

  /** A row event of `bodySize` bytes (the row image is filler: scans never look at it). */
  rows(tableId: number, bodySize: number, type: number = EventType.WRITE_ROWS_V1, last = true): number {
    const body = Buffer.alloc(Math.max(bodySize, 10), 0x5a);
    body.writeUIntLE(tableId, 0, 6);
    body.writeUInt16LE(last ? 1 : 0, 6);
    if (type >= EventType.WRITE_ROWS_V2 && type <= EventType.DELETE_ROWS_V2) body.writeUInt16LE(2, 8);
    return this.event(type, body);
  }

  xid(xid: number | bigint): number {
    const body = Buffer.alloc(8);
    body.writeBigUInt64LE(BigInt(xid));
    return this.event(EventType.XID, body);
  }

  rotate(file: string, position = 4): number {
    const body = Buffer.alloc(8);
    body.writeBigUInt64LE(BigInt(position));
    return this.event(EventType.ROTATE, Buffer.concat([body, Buffer.from(file)]));
  }

  stop(): number {
    return this.event(EventType.STOP, Buffer.alloc(0));
  }

  /** Takes the bytes written so far (positions keep counting): for writing large files piece by piece. */
  drain(): Buffer[] {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private push(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.offset += bytes.length;
  }
}
