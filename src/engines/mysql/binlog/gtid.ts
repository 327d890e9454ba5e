import { MariadbGtidFlag } from './constants.js';
import { BinlogDecodeError, needBytes } from './errors.js';
import { SerializedReader } from './serialization.js';

/** Decoders of the GTID-related event bodies. `body` starts after the common header and excludes the CRC32. */

/** 16 bytes as `8-4-4-4-12` lower-case hex. */
export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface MysqlGtid {
  /** `uuid:gno` (`uuid:tag:gno` when tagged); undefined for ANONYMOUS_GTID events (gtid_mode=OFF), which still open a transaction. */
  gtid: string | undefined;
  /** Bit 0: the transaction may contain statement-based changes (FLAG_MAY_HAVE_SBR). */
  flags: number;
  /** MySQL 5.7+: logical clock of group commit. */
  lastCommitted?: bigint;
  sequenceNumber?: bigint;
  /** MySQL 8.0.1+: when the transaction committed on the server that wrote this binlog, microseconds since the epoch. */
  immediateCommitMicros?: number;
  /** … and on the server where it originated (the same unless it was replicated). */
  originalCommitMicros?: number;
  /** MySQL 8.3+ GTID_TAGGED_LOG_EVENT: the tag (lower case). */
  tag?: string;
}

/** Body offset of immediate_commit_timestamp in GTID_LOG_EVENT: flags 1, sid 16, gno 8, lt_type 1, last_committed 8, sequence_number 8. */
const COMMIT_TIMESTAMP_AT = 42;
/** The timestamps are 7 bytes; bit 55 of the immediate one says an original one follows (control_events.h, Gtid_event). */
const TIMESTAMP_BYTES = 7;

/** A 7-byte little-endian microsecond stamp at `at`, without its top flag bit (read in place: once per transaction). */
function commitStamp(body: Buffer, at: number): number {
  return body.readUIntLE(at, 6) + (body[at + 6]! & 0x7f) * 2 ** 48;
}

/**
 * MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT (libbinlogevents control_events.h, Gtid_event): flags u8,
 * sid[16], gno i64, then (5.7+) lt_type = 2, last_committed i64, sequence_number i64, then (8.0.1+)
 * immediate_commit_timestamp (7 bytes; bit 55 set: original_commit_timestamp, 7 bytes, follows), …
 */
export function decodeMysqlGtid(body: Buffer, anonymous: boolean): MysqlGtid {
  needBytes(body, 25, 'GTID event');
  const flags = body[0]!;
  const result: MysqlGtid = { gtid: anonymous ? undefined : `${formatUuid(body.subarray(1, 17))}:${body.readBigInt64LE(17)}`, flags };
  if (body.length >= 42 && body[25] === 2) {
    result.lastCommitted = body.readBigInt64LE(26);
    result.sequenceNumber = body.readBigInt64LE(34);
    if (body.length >= COMMIT_TIMESTAMP_AT + TIMESTAMP_BYTES) {
      const immediate = commitStamp(body, COMMIT_TIMESTAMP_AT);
      result.immediateCommitMicros = immediate;
      result.originalCommitMicros = immediate;
      const originalFollows = (body[COMMIT_TIMESTAMP_AT + 6]! & 0x80) !== 0;
      if (originalFollows && body.length >= COMMIT_TIMESTAMP_AT + 2 * TIMESTAMP_BYTES) {
        result.originalCommitMicros = commitStamp(body, COMMIT_TIMESTAMP_AT + TIMESTAMP_BYTES);
      }
    }
  }
  return result;
}

/** Field ids of GTID_TAGGED_LOG_EVENT, in the order of Gtid_event::define_fields() (control_events.h, MySQL 8.3+). */
const TaggedField = {
  FLAGS: 0,
  UUID: 1,
  GNO: 2,
  TAG: 3,
  LAST_COMMITTED: 4,
  SEQUENCE_NUMBER: 5,
  IMMEDIATE_COMMIT_TIMESTAMP: 6,
  ORIGINAL_COMMIT_TIMESTAMP: 7,
  TRANSACTION_LENGTH: 8,
  IMMEDIATE_SERVER_VERSION: 9,
  ORIGINAL_SERVER_VERSION: 10,
  COMMIT_GROUP_TICKET: 11,
} as const;

/** MySQL GTID tags: a letter or underscore, then up to 31 letters, digits or underscores (stored lower case). */
export const GTID_TAG = /^[a-z_][a-z0-9_]{0,31}$/i;

/**
 * MySQL 8.3+ GTID_TAGGED_LOG_EVENT (type 42): one message of the serialization library — the format
 * version as the message's field id (varlen, 1), the message size (varlen, counted from the body's first
 * byte), the last non-ignorable field id (varlen), then (field id, value) pairs in id order, optional ones
 * left out: flags (varlen), uuid (16 varlen bytes), gno (signed varlen), tag (string), last_committed and
 * sequence_number (signed varlen), immediate_commit_timestamp (varlen µs), original_commit_timestamp
 * (absent = immediate), transaction_length, immediate/original server version, commit_group_ticket.
 */
export function decodeTaggedGtid(body: Buffer): MysqlGtid {
  const reader = new SerializedReader(body, 0);
  const version = reader.unsigned('tagged GTID event format version');
  if (version !== 1) throw new BinlogDecodeError(`tagged GTID event in serialization format ${version}, snaplog reads format 1`);
  const size = reader.unsigned('tagged GTID event size');
  const lastNonIgnorable = reader.unsigned('tagged GTID event field count');
  if (size > body.length) throw new BinlogDecodeError(`tagged GTID event says it has ${size} bytes, its body has ${body.length}`);
  reader.end = size;
  let flags = 0;
  let uuid: Buffer | undefined;
  let gno: number | undefined;
  let tag = '';
  const result: Omit<MysqlGtid, 'gtid' | 'flags'> = {};
  while (!reader.done) {
    const field = reader.unsigned('tagged GTID field id');
    switch (field) {
      case TaggedField.FLAGS:
        flags = reader.unsigned('GTID flags');
        break;
      case TaggedField.UUID:
        uuid = reader.byteArray(16, 'GTID uuid');
        break;
      case TaggedField.GNO:
        gno = reader.signed('GTID gno');
        break;
      case TaggedField.TAG:
        tag = reader.text('GTID tag').toLowerCase();
        break;
      case TaggedField.LAST_COMMITTED:
        result.lastCommitted = BigInt(reader.signed('last_committed'));
        break;
      case TaggedField.SEQUENCE_NUMBER:
        result.sequenceNumber = BigInt(reader.signed('sequence_number'));
        break;
      case TaggedField.IMMEDIATE_COMMIT_TIMESTAMP:
        result.immediateCommitMicros = reader.unsigned('immediate_commit_timestamp');
        break;
      case TaggedField.ORIGINAL_COMMIT_TIMESTAMP:
        result.originalCommitMicros = reader.unsigned('original_commit_timestamp');
        break;
      case TaggedField.TRANSACTION_LENGTH:
      case TaggedField.IMMEDIATE_SERVER_VERSION:
      case TaggedField.ORIGINAL_SERVER_VERSION:
      case TaggedField.COMMIT_GROUP_TICKET:
        reader.unsigned('GTID event field');
        break;
      default:
        // A newer server's field: its encoding is unknown, so nothing after it can be read.
        if (field < lastNonIgnorable) throw new BinlogDecodeError(`tagged GTID event field ${field} is unknown and not ignorable`);
        reader.at = reader.end;
    }
  }
  if (!uuid || gno === undefined) throw new BinlogDecodeError('tagged GTID event without uuid or gno');
  if (tag && !GTID_TAG.test(tag)) throw new BinlogDecodeError(`tagged GTID event with an invalid tag ${JSON.stringify(tag)}`);
  if (result.immediateCommitMicros !== undefined) result.originalCommitMicros ??= result.immediateCommitMicros;
  return { gtid: `${formatUuid(uuid)}${tag ? `:${tag}` : ''}:${gno}`, flags, ...result, ...(tag ? { tag } : {}) };
}

export interface MariadbGtid {
  /** `domain-server-seq`. */
  gtid: string;
  domainId: number;
  serverId: number;
  sequence: bigint;
  flags: number;
  /** The group ends with its one statement: no XID/COMMIT follows (DDL). */
  standalone: boolean;
  commitId?: bigint;
  /** XA transactions (FL_PREPARED_XA / FL_COMPLETED_XA): the XID as `X'gtrid',X'bqual',formatID`. */
  xid?: string;
}

/** MariaDB GTID_EVENT: seq_no u64, domain_id u32, flags2 u8, [commit_id u64], [XA xid]; the server id is the header's. */
export function decodeMariadbGtid(body: Buffer, serverId: number): MariadbGtid {
  needBytes(body, 13, 'MariaDB GTID event');
  const sequence = body.readBigUInt64LE(0);
  const domainId = body.readUInt32LE(8);
  const flags = body[12]!;
  const result: MariadbGtid = {
    gtid: `${domainId}-${serverId}-${sequence}`,
    domainId,
    serverId,
    sequence,
    flags,
    standalone: (flags & MariadbGtidFlag.STANDALONE) !== 0,
  };
  let at = 13;
  if (flags & MariadbGtidFlag.GROUP_COMMIT_ID) {
    if (body.length >= at + 8) result.commitId = body.readBigUInt64LE(at);
    at += 8;
  }
  if (flags & (MariadbGtidFlag.PREPARED_XA | MariadbGtidFlag.COMPLETED_XA) && body.length >= at + 6) {
    const formatId = body.readUInt32LE(at);
    const gtridLength = body[at + 4]!;
    const bqualLength = body[at + 5]!;
    const data = body.subarray(at + 6, at + 6 + gtridLength + bqualLength);
    if (data.length === gtridLength + bqualLength) {
      result.xid = `X'${data.subarray(0, gtridLength).toString('hex')}',X'${data.subarray(gtridLength).toString('hex')}',${formatId}`;
    }
  }
  return result;
}

/** `domain-server-seq` from a MariaDB GTID event body at `at`, without BigInt work when the sequence fits a double. */
export function mariadbGtidText(buf: Buffer, at: number, serverId: number): string {
  const high = buf.readUInt32LE(at + 4);
  const sequence = high < 0x200000 ? high * 0x100000000 + buf.readUInt32LE(at) : buf.readBigUInt64LE(at);
  return `${buf.readUInt32LE(at + 8)}-${serverId}-${sequence}`;
}

export interface MariadbGtidPosition {
  domainId: number;
  serverId: number;
  sequence: bigint;
}

/** MariaDB GTID_LIST_EVENT: count u32 (low 28 bits; high 4 are flags), then (domain u32, server u32, seq u64) each. */
export function decodeGtidList(body: Buffer): MariadbGtidPosition[] {
  needBytes(body, 4, 'GTID list event');
  const count = body.readUInt32LE(0) & 0x0fffffff;
  needBytes(body, 4 + count * 16, 'GTID list event');
  const list: MariadbGtidPosition[] = [];
  for (let i = 0, at = 4; i < count; i++, at += 16) {
    list.push({ domainId: body.readUInt32LE(at), serverId: body.readUInt32LE(at + 4), sequence: body.readBigUInt64LE(at + 8) });
  }
  return list;
}

/** `0-1-10,1-2-5`, the form of @@gtid_binlog_pos. */
export function formatGtidList(list: MariadbGtidPosition[]): string {
  return list.map((gtid) => `${gtid.domainId}-${gtid.serverId}-${gtid.sequence}`).join(',');
}

/**
 * MySQL PREVIOUS_GTIDS_LOG_EVENT as a GTID set text (`uuid:1-10:12,uuid2:1-3`, tagged streams as
 * `uuid:tag:1-5`), from Gtid_set::encode (mysql-server sql/rpl_gtid_set.cc): an u64 whose top byte is the
 * format (0 untagged: n_sids in the low 56 bits; 1 tagged, MySQL 8.3+: n_sids in bits 8–55), then per
 * sid: uuid[16], (tagged format) the tag as a serialization-library string, n_intervals u64, and
 * (start, end-exclusive) i64 pairs.
 */
export function decodePreviousGtids(body: Buffer): string {
  needBytes(body, 8, 'PREVIOUS_GTIDS event');
  const format = body[7]!;
  if (format > 1) throw new BinlogDecodeError(`PREVIOUS_GTIDS event in an unknown GTID set format ${format}`);
  const tagged = format === 1;
  const sids = tagged ? body.readUIntLE(1, 6) : Number(body.readBigUInt64LE(0));
  const parts: string[] = [];
  let at = 8;
  for (let i = 0; i < sids; i++) {
    needBytes(body, at + 16, 'PREVIOUS_GTIDS event');
    const uuid = formatUuid(body.subarray(at, at + 16));
    at += 16;
    let stream = uuid;
    if (tagged) {
      const reader = new SerializedReader(body, at);
      const tag = reader.text('PREVIOUS_GTIDS tag').toLowerCase();
      at = reader.at;
      if (tag) stream = `${uuid}:${tag}`;
    }
    needBytes(body, at + 8, 'PREVIOUS_GTIDS event');
    const intervals = Number(body.readBigUInt64LE(at));
    at += 8;
    needBytes(body, at + intervals * 16, 'PREVIOUS_GTIDS event');
    const ranges: string[] = [];
    for (let j = 0; j < intervals; j++, at += 16) {
      const start = body.readBigInt64LE(at);
      const last = body.readBigInt64LE(at + 8) - 1n;
      ranges.push(start === last ? `${start}` : `${start}-${last}`);
    }
    parts.push([stream, ...ranges].join(':'));
  }
  return parts.join(',');
}

/** The GTIDs of one stream (MariaDB domain id, MySQL source uuid) in one log: lowest and highest sequence number, and how many. */
export interface GtidStreamRange {
  first: number;
  last: number;
  count: number;
  /** MariaDB: the server id of the domain's highest GTID (so a position can be written out from the ranges). */
  server?: number;
  /** Set when a sequence number went down in log order (MariaDB without gtid_strict_mode): the log order is not the sequence order. */
  outOfOrder?: true;
}

/** Stream key of a GTID text: the domain id of `domain-server-seq`, the uuid of `uuid:n`; with its sequence number. */
export function gtidStreamOf(gtid: string): { stream: string; seq: number; server?: number } | undefined {
  const colon = gtid.lastIndexOf(':');
  if (colon > 0) return { stream: gtid.slice(0, colon).toLowerCase(), seq: Number(gtid.slice(colon + 1)) };
  const dash = gtid.indexOf('-');
  const last = gtid.lastIndexOf('-');
  if (dash <= 0 || last === dash) return undefined;
  return { stream: gtid.slice(0, dash), seq: Number(gtid.slice(last + 1)), server: Number(gtid.slice(dash + 1, last)) };
}

interface OpenRange extends GtidStreamRange {
  previous: number;
}

/**
 * Per-stream GTID ranges of a log, fed each committed transaction's GTID in log order. On the scanner's hot
 * path: numbers in (no text parsing), and consecutive transactions of one stream skip the map lookup.
 */
export class GtidRangeRecorder {
  private readonly ranges = new Map<number | string, OpenRange>();
  private lastStream: number | string | undefined;
  private last: OpenRange | undefined;

  /** `stream`: a MariaDB domain id (number) or a MySQL source uuid. */
  add(stream: number | string, seq: number, server?: number): void {
    let range = this.lastStream === stream ? this.last : this.ranges.get(stream);
    if (range === undefined) {
      range = { first: seq, last: seq, count: 0, previous: seq };
      if (server !== undefined) range.server = server;
      this.ranges.set(stream, range);
    } else {
      if (seq < range.previous) range.outOfOrder = true;
      if (seq < range.first) range.first = seq;
      if (seq > range.last) {
        range.last = seq;
        if (server !== undefined) range.server = server;
      }
    }
    range.previous = seq;
    range.count++;
    this.lastStream = stream;
    this.last = range;
  }

  /** The same from a GTID's text (`0-1-42`, `uuid:42`). */
  addText(gtid: string): void {
    const parsed = gtidStreamOf(gtid);
    if (!parsed || !Number.isFinite(parsed.seq)) return;
    this.add(parsed.stream.includes('-') ? parsed.stream : Number(parsed.stream), parsed.seq, parsed.server);
  }

  /** Streams (as text keys) in the order they first appeared. */
  result(): Record<string, GtidStreamRange> {
    const result: Record<string, GtidStreamRange> = {};
    for (const [stream, { first, last, count, server, outOfOrder }] of this.ranges) {
      result[String(stream)] = { first, last, count, ...(server === undefined ? {} : { server }), ...(outOfOrder ? { outOfOrder } : {}) };
    }
    return result;
  }
}
