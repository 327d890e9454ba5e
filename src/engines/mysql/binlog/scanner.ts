import { crc32 } from 'node:zlib';
import { CHECKSUM_LENGTH, EventType, FL_STANDALONE, HEADER_LENGTH, LOG_EVENT_BINLOG_IN_USE_F } from './constants.js';
import {
  decodeFormatDescription,
  decodeGtidList,
  decodeHeader,
  decodeMariadbGtid,
  decodeMysqlGtid,
  decodePreviousGtids,
  decodeQuery,
  decodeRotate,
  decodeTableMap,
  isBinlogMagic,
} from './decode.js';
import type { EventHeader } from './decode.js';

export interface BinlogTransaction {
  /** Offset of the transaction's first event (GTID or BEGIN): a stop-before target. */
  startPosition: number;
  /** Offset just after its commit event (XID / COMMIT / the DDL itself). */
  endPosition: number;
  /** Unix seconds of the commit event. */
  commitTime: number;
  gtid?: string;
}

export interface BinlogProblem {
  position: number;
  problem: string;
}

export interface BinlogScan {
  size: number;
  serverId?: number;
  serverVersion: string;
  binlogVersion: number;
  checksum: 'none' | 'crc32';
  inUseFlag: boolean;
  firstEventTime?: number;
  lastEventTime?: number;
  firstCommitTime?: number;
  lastCommitTime?: number;
  startPosition: number;
  endPosition: number;
  lastCompleteTransactionEnd: number;
  /** Bytes after the last whole event (a crash cut the file): absent, not corrupt. */
  incompleteTail: boolean;
  gtidFlavor?: 'mariadb' | 'mysql';
  firstGtid?: string;
  lastGtid?: string;
  previousGtids?: string;
  rotateTo?: { file: string; position: number };
  stopped: boolean;
  eventCount: number;
  transactionCount: number;
  transactions: BinlogTransaction[];
  problems: BinlogProblem[];
}

/** An event with what `find` needs decoded. */
export interface BinlogEvent extends EventHeader {
  position: number;
  endPosition: number;
  query?: string;
  db?: string;
  table?: string;
  gtid?: string;
}

export interface ScannerOptions {
  keepTransactions?: boolean;
  onEvent?: (event: BinlogEvent) => void;
}

/** Events larger than this are not buffered whole: their CRC is computed as they stream past. */
const MAX_BUFFERED_EVENT = 1 << 20;
/** Bytes kept from the start of a streamed event: enough to decode any header-like body we need. */
const KEPT_PREFIX = 64 * 1024;

type TxMode = 'none' | 'standalone' | 'after-mysql-gtid' | 'group';

/**
 * A streaming binlog parser: push chunks of any size, then finish(). Memory stays bounded whatever the
 * file size (only the transaction index grows). Malformed input never throws: it becomes a problem.
 */
export class BinlogScanner {
  private readonly keepTransactions: boolean;
  private readonly onEvent: ScannerOptions['onEvent'];
  private carry: Buffer = Buffer.alloc(0);
  private offset = 0; // absolute position of carry[0] / of the next unread byte
  private magicChecked = false;
  private dead = false;
  // streaming state for large events
  private streaming: { header: EventHeader; start: number; remaining: number; crc: number; prefix: Buffer[]; prefixLength: number; trailer: Buffer[] } | undefined;
  private txMode: TxMode = 'none';
  private txStart = 0;
  private txGtid: string | undefined;
  private readonly scan: BinlogScan = {
    size: 0,
    serverVersion: '',
    binlogVersion: 0,
    checksum: 'none',
    inUseFlag: false,
    startPosition: 4,
    endPosition: 4,
    lastCompleteTransactionEnd: 4,
    incompleteTail: false,
    stopped: false,
    eventCount: 0,
    transactionCount: 0,
    transactions: [],
    problems: [],
  };

  constructor(options: ScannerOptions = {}) {
    this.keepTransactions = options.keepTransactions ?? true;
    this.onEvent = options.onEvent;
  }

  push(chunk: Buffer): void {
    this.scan.size += chunk.length;
    if (this.dead) return;
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let at = 0;
    if (this.streaming) {
      at = this.continueStreaming(data, 0);
      if (this.streaming) return;
    }
    if (!this.magicChecked) {
      if (data.length < 4) {
        this.carry = Buffer.from(data);
        return;
      }
      if (!isBinlogMagic(data)) {
        this.problem(0, 'not a binlog file (bad magic number)');
        return;
      }
      this.magicChecked = true;
      at = 4;
      this.offset = 4;
    }
    while (!this.dead) {
      if (data.length - at < HEADER_LENGTH) break;
      const header = decodeHeader(data, at);
      const position = this.offset;
      if (header.eventSize < HEADER_LENGTH) {
        this.problem(position, `corrupt event header at ${position}: event size ${header.eventSize}`);
        return;
      }
      if (data.length - at >= header.eventSize) {
        this.handleEvent(header, data.subarray(at, at + header.eventSize), position);
        at += header.eventSize;
        this.offset += header.eventSize;
        continue;
      }
      if (header.eventSize > MAX_BUFFERED_EVENT) {
        this.streaming = { header, start: position, remaining: header.eventSize, crc: 0, prefix: [], prefixLength: 0, trailer: [] };
        at = this.continueStreaming(data, at);
        if (this.streaming) {
          this.carry = Buffer.alloc(0);
          return;
        }
        continue;
      }
      break;
    }
    this.carry = at < data.length ? Buffer.from(data.subarray(at)) : Buffer.alloc(0);
  }

  /** Feeds a large event's bytes through the CRC; returns where in `data` the event ended (or data.length). */
  private continueStreaming(data: Buffer, at: number): number {
    const stream = this.streaming!;
    const take = Math.min(stream.remaining, data.length - at);
    const part = data.subarray(at, at + take);
    const consumedBefore = stream.header.eventSize - stream.remaining;
    const checksumStart = this.scan.checksum === 'crc32' ? stream.header.eventSize - CHECKSUM_LENGTH : stream.header.eventSize;
    if (stream.prefixLength < KEPT_PREFIX) {
      const keep = Buffer.from(part.subarray(0, KEPT_PREFIX - stream.prefixLength));
      stream.prefix.push(keep);
      stream.prefixLength += keep.length;
    }
    const split = Math.max(0, Math.min(part.length, checksumStart - consumedBefore));
    if (this.scan.checksum === 'crc32') stream.crc = crc32(part.subarray(0, split), stream.crc);
    if (split < part.length) stream.trailer.push(Buffer.from(part.subarray(split)));
    stream.remaining -= take;
    if (stream.remaining > 0) return data.length;
    this.streaming = undefined;
    const trailer = Buffer.concat(stream.trailer);
    const crcCheck = this.scan.checksum === 'crc32' && trailer.length === CHECKSUM_LENGTH ? { computed: stream.crc >>> 0, stored: trailer.readUInt32LE(0) } : undefined;
    this.finishEvent(stream.header, Buffer.concat(stream.prefix), stream.start, crcCheck);
    this.offset = stream.start + stream.header.eventSize;
    return at + take;
  }

  private handleEvent(header: EventHeader, event: Buffer, position: number): void {
    let crcCheck: { computed: number; stored: number } | undefined;
    if (header.type === EventType.FORMAT_DESCRIPTION) this.readFormatDescription(header, event);
    if (this.scan.checksum === 'crc32') {
      let covered = event.subarray(0, event.length - CHECKSUM_LENGTH);
      if (header.type === EventType.FORMAT_DESCRIPTION && header.flags & LOG_EVENT_BINLOG_IN_USE_F) {
        // The server sets and clears the in-use flag in place; the CRC is computed with it clear.
        covered = Buffer.from(covered);
        covered.writeUInt16LE(header.flags & ~LOG_EVENT_BINLOG_IN_USE_F, 17);
      }
      crcCheck = { computed: crc32(covered) >>> 0, stored: event.readUInt32LE(event.length - CHECKSUM_LENGTH) };
    }
    this.finishEvent(header, event, position, crcCheck);
  }

  private readFormatDescription(header: EventHeader, event: Buffer): void {
    try {
      const fde = decodeFormatDescription(event);
      this.scan.serverVersion = fde.serverVersion;
      this.scan.binlogVersion = fde.binlogVersion;
      this.scan.checksum = fde.checksum;
      this.scan.inUseFlag = (header.flags & LOG_EVENT_BINLOG_IN_USE_F) !== 0;
      this.scan.serverId ??= header.serverId;
      if (/mariadb/i.test(fde.serverVersion)) this.scan.gtidFlavor = 'mariadb';
    } catch {
      this.problem(4, 'unreadable format description event');
    }
  }

  /** `event` holds at least the event's first bytes (all of it unless it was streamed). */
  private finishEvent(header: EventHeader, event: Buffer, position: number, crcCheck: { computed: number; stored: number } | undefined): void {
    const end = position + header.eventSize;
    if (crcCheck && crcCheck.computed !== crcCheck.stored) {
      this.scan.problems.push({ position, problem: `CRC32 mismatch in event type ${header.type} at ${position}` });
    }
    if (header.logPos !== 0 && header.logPos !== end && header.type !== EventType.FORMAT_DESCRIPTION) {
      this.scan.problems.push({ position, problem: `event at ${position} says it ends at ${header.logPos}, it ends at ${end}` });
    }
    this.scan.eventCount++;
    this.scan.endPosition = end;
    this.scan.firstEventTime ??= header.timestamp;
    if (header.timestamp) this.scan.lastEventTime = header.timestamp;
    const bodyEnd = this.scan.checksum === 'crc32' && event.length === header.eventSize ? event.length - CHECKSUM_LENGTH : event.length;
    const body = event.subarray(HEADER_LENGTH, bodyEnd);
    try {
      this.track(header, body, position, end);
    } catch {
      this.scan.problems.push({ position, problem: `undecodable event type ${header.type} at ${position}` });
    }
  }

  private track(header: EventHeader, body: Buffer, position: number, end: number): void {
    const event: BinlogEvent | undefined = this.onEvent ? { ...header, position, endPosition: end } : undefined;
    switch (header.type) {
      case EventType.MARIADB_GTID: {
        const { gtid, flags } = decodeMariadbGtid(body, header.serverId);
        this.beginTransaction(position, gtid, flags & FL_STANDALONE ? 'standalone' : 'group');
        this.scan.gtidFlavor = 'mariadb';
        if (event) event.gtid = gtid;
        break;
      }
      case EventType.MYSQL_GTID:
      case EventType.MYSQL_ANONYMOUS_GTID: {
        const gtid = header.type === EventType.MYSQL_GTID ? decodeMysqlGtid(body) : undefined;
        this.beginTransaction(position, gtid, 'after-mysql-gtid');
        if (gtid) this.scan.gtidFlavor = 'mysql';
        if (event) event.gtid = gtid;
        break;
      }
      case EventType.QUERY: {
        const { query, db } = decodeQuery(body);
        if (event) Object.assign(event, { query, db, gtid: this.txGtid });
        this.onQuery(query, header, position, end);
        break;
      }
      case EventType.XID:
        if (this.txMode !== 'none') this.endTransaction(header, end);
        if (event) event.gtid = this.txGtid;
        break;
      case EventType.TRANSACTION_PAYLOAD:
        if (this.txMode !== 'none') this.endTransaction(header, end);
        if (event) event.gtid = this.txGtid;
        break;
      case EventType.ROTATE:
        this.scan.rotateTo = decodeRotate(body);
        break;
      case EventType.STOP:
        this.scan.stopped = true;
        break;
      case EventType.GTID_LIST:
        this.scan.previousGtids = decodeGtidList(body);
        break;
      case EventType.PREVIOUS_GTIDS:
        this.scan.previousGtids = decodePreviousGtids(body);
        break;
      case EventType.TABLE_MAP:
        if (event) Object.assign(event, decodeTableMap(body), { gtid: this.txGtid });
        break;
      case EventType.START_ENCRYPTION:
        this.problem(position, 'the binlog is encrypted (START_ENCRYPTION event): snaplog cannot read it');
        break;
      default:
        if (event) event.gtid = this.txGtid;
    }
    if (event) this.onEvent!(event);
  }

  private beginTransaction(position: number, gtid: string | undefined, mode: TxMode): void {
    this.txStart = position;
    this.txGtid = gtid;
    this.txMode = mode;
  }

  private onQuery(query: string, header: EventHeader, position: number, end: number): void {
    const verb = query.trimStart().slice(0, 8).toUpperCase();
    const isBegin = verb === 'BEGIN' || verb.startsWith('BEGIN ') || verb.startsWith('XA START');
    const isEnd = verb.startsWith('COMMIT') || verb.startsWith('ROLLBACK') || verb.startsWith('XA END');
    switch (this.txMode) {
      case 'standalone':
        this.endTransaction(header, end);
        return;
      case 'after-mysql-gtid':
        if (isBegin) this.txMode = 'group';
        else this.endTransaction(header, end);
        return;
      case 'group':
        if (isEnd) this.endTransaction(header, end);
        return;
      case 'none':
        if (isBegin) this.beginTransaction(position, undefined, 'group');
        else {
          this.beginTransaction(position, undefined, 'standalone');
          this.endTransaction(header, end);
        }
    }
  }

  private endTransaction(header: EventHeader, end: number): void {
    const transaction: BinlogTransaction = { startPosition: this.txStart, endPosition: end, commitTime: header.timestamp, ...(this.txGtid ? { gtid: this.txGtid } : {}) };
    if (this.keepTransactions) this.scan.transactions.push(transaction);
    this.scan.transactionCount++;
    this.scan.firstCommitTime ??= header.timestamp;
    this.scan.lastCommitTime = header.timestamp;
    this.scan.lastCompleteTransactionEnd = end;
    if (this.txGtid) {
      this.scan.firstGtid ??= this.txGtid;
      this.scan.lastGtid = this.txGtid;
    }
    this.txMode = 'none';
    this.txGtid = undefined;
  }

  private problem(position: number, problem: string): void {
    this.scan.problems.push({ position, problem });
    this.dead = true;
  }

  finish(): BinlogScan {
    if (!this.magicChecked && !this.dead) this.scan.problems.push({ position: 0, problem: this.scan.size === 0 ? 'empty file' : 'not a binlog file (too short)' });
    if (this.streaming || this.carry.length > 0) this.scan.incompleteTail = true;
    if (this.scan.transactionCount === 0) this.scan.lastCompleteTransactionEnd = Math.min(this.scan.lastCompleteTransactionEnd, this.scan.endPosition);
    return this.scan;
  }
}
