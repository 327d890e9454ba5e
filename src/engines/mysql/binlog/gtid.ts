import { MariadbGtidFlag } from './constants.js';
import { BinlogDecodeError, needBytes } from './errors.js';

/** Decoders of the GTID-related event bodies. `body` starts after the common header and excludes the CRC32. */

/** 16 bytes as `8-4-4-4-12` lower-case hex. */
export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface MysqlGtid {
  /** `uuid:gno`; undefined for ANONYMOUS_GTID events (gtid_mode=OFF), which still open a transaction. */
  gtid: string | undefined;
  /** Bit 0: the transaction may commit in parallel (commit_flag). */
  flags: number;
  /** MySQL 5.7+: logical clock of group commit. */
  lastCommitted?: bigint;
  sequenceNumber?: bigint;
}

/** MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT: flags u8, sid[16], gno i64, then (5.7+) lt_type, last_committed, sequence_number. */
export function decodeMysqlGtid(body: Buffer, anonymous: boolean): MysqlGtid {
  needBytes(body, 25, 'GTID event');
  const flags = body[0]!;
  const result: MysqlGtid = { gtid: anonymous ? undefined : `${formatUuid(body.subarray(1, 17))}:${body.readBigInt64LE(17)}`, flags };
  if (body.length >= 42 && body[25] === 2) {
    result.lastCommitted = body.readBigInt64LE(26);
    result.sequenceNumber = body.readBigInt64LE(34);
  }
  return result;
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
 * MySQL PREVIOUS_GTIDS_LOG_EVENT as a GTID set text (`uuid:1-10:12,uuid2:1-3`): n_sids u64, then per sid
 * uuid[16], n_intervals u64, (start, end-exclusive) i64 pairs. MySQL 8.3+ tagged GTID sets (a format byte
 * in the top byte of n_sids) are not decoded.
 */
export function decodePreviousGtids(body: Buffer): string {
  needBytes(body, 8, 'PREVIOUS_GTIDS event');
  if (body[7] !== 0) throw new BinlogDecodeError('PREVIOUS_GTIDS event in the tagged GTID format (MySQL 8.3+) is not supported');
  const sids = Number(body.readBigUInt64LE(0));
  const parts: string[] = [];
  let at = 8;
  for (let i = 0; i < sids; i++) {
    needBytes(body, at + 24, 'PREVIOUS_GTIDS event');
    const uuid = formatUuid(body.subarray(at, at + 16));
    const intervals = Number(body.readBigUInt64LE(at + 16));
    at += 24;
    needBytes(body, at + intervals * 16, 'PREVIOUS_GTIDS event');
    const ranges: string[] = [];
    for (let j = 0; j < intervals; j++, at += 16) {
      const start = body.readBigInt64LE(at);
      const last = body.readBigInt64LE(at + 8) - 1n;
      ranges.push(start === last ? `${start}` : `${start}-${last}`);
    }
    parts.push([uuid, ...ranges].join(':'));
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
