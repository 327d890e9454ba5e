import { DecryptingFramer } from './decrypting-stream.js';
import { CHECKSUM_LENGTH, EVENT_HEADER_LENGTH, EventFlag, EventType, MariadbGtidFlag, eventTypeName, isRowDataEvent } from './constants.js';
import { BinlogDecodeError } from './errors.js';
import { classifyStatement, decodeEventDetails, decodeRotate, queryTextOffset } from './events.js';
import { splitServerVersion } from './format-description.js';
import { EventFramer, framedBody } from './framer.js';
import type { FramedEvent } from './framer.js';
import { GtidRangeRecorder, decodeGtidList, decodeMysqlGtid, decodePreviousGtids, decodeTaggedGtid, formatGtidList, mariadbGtidText } from './gtid.js';
import { TransactionTracker } from './transactions.js';
import type { BinlogTransaction } from './transactions.js';
import type { BinlogEvent, BinlogProblem, BinlogScan, ScannerOptions, XaRecord } from './types.js';
import { decodeXaPrepare, xaStepOfStatement } from './xa.js';

export type { BinlogEvent, BinlogProblem, BinlogScan, BinlogTransaction, ScannerOptions } from './types.js';

/** A statement's first bytes are enough to classify it; QUERY events are captured up to this size when split. */
const QUERY_CAPTURE = 80 * 1024;
/** GTID, XID, ROTATE, GTID lists: small bodies captured whole up to this size. */
const SMALL_EVENT_CAPTURE = 16 * 1024 * 1024;

/** XA steps kept per log (the archive's metadata lists them for the planner); a log with more says so. */
export const MAX_XA_RECORDS = 10_000;

const LEADING_HEADER_EVENTS = new Set<number>([EventType.FORMAT_DESCRIPTION, EventType.PREVIOUS_GTIDS, EventType.GTID_LIST, EventType.BINLOG_CHECKPOINT]);

function scannerCapture(type: number, size: number): number {
  switch (type) {
    case EventType.QUERY:
    case EventType.QUERY_COMPRESSED:
    case EventType.EXECUTE_LOAD_QUERY:
      return QUERY_CAPTURE;
    case EventType.FORMAT_DESCRIPTION:
    case EventType.MYSQL_GTID:
    case EventType.MYSQL_ANONYMOUS_GTID:
    case EventType.MYSQL_GTID_TAGGED:
    case EventType.MARIADB_GTID:
    case EventType.XID:
    case EventType.XA_PREPARE:
    case EventType.ROTATE:
    case EventType.GTID_LIST:
    case EventType.PREVIOUS_GTIDS:
    case EventType.START_ENCRYPTION:
      return Math.min(size, SMALL_EVENT_CAPTURE);
    default:
      return EVENT_HEADER_LENGTH;
  }
}

/** For event decoding: everything but row images and compressed payloads. */
function decodingCapture(type: number, size: number): number {
  if (isRowDataEvent(type)) return EVENT_HEADER_LENGTH + 64;
  if (type === EventType.TRANSACTION_PAYLOAD) return EVENT_HEADER_LENGTH + 128;
  return size;
}

/** What an event type means to the scan; a table lookup instead of a long switch in the per-event path. */
enum Action {
  None,
  Context,
  PartialRowData,
  Outside,
  FormatDescription,
  MariadbGtid,
  MysqlGtid,
  TaggedGtid,
  Query,
  OtherStatement,
  Commit,
  XaPrepare,
  Rotate,
  Stop,
  GtidList,
  PreviousGtids,
  StartEncryption,
  Incident,
}

const ACTIONS = (() => {
  const actions = new Uint8Array(256);
  const set = (action: Action, ...types: number[]): void => {
    for (const type of types) actions[type] = action;
  };
  set(
    Action.Context,
    EventType.TABLE_MAP,
    EventType.INTVAR,
    EventType.RAND,
    EventType.USER_VAR,
    EventType.ANNOTATE_ROWS,
    EventType.ROWS_QUERY,
    EventType.BEGIN_LOAD_QUERY,
    EventType.APPEND_BLOCK,
    EventType.CREATE_FILE,
  );
  for (let type = 0; type < 256; type++) if (isRowDataEvent(type)) actions[type] = Action.Context;
  set(Action.PartialRowData, EventType.PARTIAL_ROW_DATA);
  set(Action.Outside, EventType.BINLOG_CHECKPOINT, EventType.HEARTBEAT, EventType.HEARTBEAT_V2);
  set(Action.FormatDescription, EventType.FORMAT_DESCRIPTION);
  set(Action.MariadbGtid, EventType.MARIADB_GTID);
  set(Action.MysqlGtid, EventType.MYSQL_GTID, EventType.MYSQL_ANONYMOUS_GTID);
  set(Action.TaggedGtid, EventType.MYSQL_GTID_TAGGED);
  set(Action.Query, EventType.QUERY);
  set(Action.OtherStatement, EventType.QUERY_COMPRESSED, EventType.EXECUTE_LOAD_QUERY);
  set(Action.Commit, EventType.XID, EventType.TRANSACTION_PAYLOAD);
  set(Action.XaPrepare, EventType.XA_PREPARE);
  set(Action.Rotate, EventType.ROTATE);
  set(Action.Stop, EventType.STOP);
  set(Action.GtidList, EventType.GTID_LIST);
  set(Action.PreviousGtids, EventType.PREVIOUS_GTIDS);
  set(Action.StartEncryption, EventType.START_ENCRYPTION);
  set(Action.Incident, EventType.INCIDENT);
  return actions;
})();

/**
 * A streaming binlog scanner: push chunks of any size, then finish(). Memory stays bounded whatever the
 * file size (only the transaction index grows). Malformed input never throws: it becomes a problem and
 * the scan stops there; an incomplete tail (crash, open file) is reported apart, as `incompleteTail`.
 */
export class BinlogScanner {
  private readonly keepTransactions: boolean;
  private readonly onEvent: ScannerOptions['onEvent'];
  private readonly framer: EventFramer;
  private readonly tracker: TransactionTracker;
  /** Fields that change per event live here (monomorphic, numeric); the rest directly in `scan`. */
  private size = 0;
  private eventCount = 0;
  private endPosition = 4;
  private startPosition = 4;
  private minTime = Infinity;
  private maxTime = -Infinity;
  private minCommit = Infinity;
  private maxCommit = -Infinity;
  private transactionCount = 0;
  private readonly transactions: BinlogTransaction[] = [];
  private readonly xa: XaRecord[] = [];
  private readonly gtidRanges = new GtidRangeRecorder();
  /** Domain id, sequence number and server id of the last MariaDB GTID event (domain -1: none, or a MySQL GTID). */
  private openDomain = -1;
  private openSeq = 0;
  private openServer = 0;
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
    encrypted: false,
    stopped: false,
    eventCount: 0,
    transactionCount: 0,
    transactions: [],
    gtidRanges: {},
    xa: [],
    problems: [],
  };
  private sawFormat = false;
  private leading = true;
  private fatal = false;
  private committed: BinlogTransaction | undefined;
  private readonly onTransaction: ((transaction: BinlogTransaction) => void) | undefined;
  private finished: BinlogScan | undefined;
  /** Present for an encrypted binlog read with its key: raw chunks go through it, plain ones come out. */
  private readonly decrypting: DecryptingFramer | undefined;

  constructor(options: ScannerOptions = {}) {
    this.decrypting = options.key ? new DecryptingFramer(options.key, (plain) => this.pushPlain(plain)) : undefined;
    this.keepTransactions = options.keepTransactions ?? true;
    this.onEvent = options.onEvent;
    this.onTransaction = options.onTransaction;
    this.framer = new EventFramer(
      {
        capture: this.onEvent ? decodingCapture : scannerCapture,
        event: (event) => this.handle(event),
        problem: (position, problem) => this.fail(position, problem),
      },
      { checkLogPos: options.checkLogPos ?? true },
    );
    this.tracker = new TransactionTracker({
      transaction: (transaction) => this.recordTransaction(transaction),
      anomaly: (position, problem) => this.scan.problems.push({ position, problem }),
    });
  }

  /** Reads on from `position` (a transaction boundary recorded at ship time) after the log's head was pushed. */
  skipTo(position: number): void {
    this.decrypting?.skipTo(position);
    this.framer.skipTo(position);
  }

  push(chunk: Buffer | Uint8Array): void {
    if (this.finished) throw new Error('BinlogScanner.push after finish()');
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.size += buffer.length;
    if (this.decrypting) this.decrypting.push(buffer);
    else this.pushPlain(buffer);
  }

  private pushPlain(buffer: Buffer): void {
    if (!this.fatal) this.framer.push(buffer);
  }

  finish(): BinlogScan {
    if (this.finished) return this.finished;
    const scan = this.scan;
    this.decrypting?.finish();
    const end = this.framer.finish();
    if (this.size === 0) this.fail(0, 'empty file');
    scan.size = this.size;
    scan.eventCount = this.eventCount;
    scan.endPosition = this.endPosition;
    scan.startPosition = this.leading ? Math.min(this.startPosition, this.endPosition) : this.startPosition;
    if (scan.problems.some((problem) => problem.position === 0 && /not a binlog|empty file|MySQL encrypted binlog/.test(problem.problem))) {
      scan.startPosition = 0;
      scan.endPosition = 0;
    }
    if (this.minTime !== Infinity) {
      scan.firstEventTime = this.minTime;
      scan.lastEventTime = this.maxTime;
    }
    if (this.minCommit !== Infinity) {
      scan.firstCommitTime = this.minCommit;
      scan.lastCommitTime = this.maxCommit;
    }
    scan.transactionCount = this.transactionCount;
    scan.gtidRanges = this.gtidRanges.result();
    scan.transactions = this.transactions;
    scan.xa = this.xa;
    const openStart = this.tracker.openStart ?? this.tracker.pendingContextStart;
    scan.lastCompleteTransactionEnd = openStart === undefined ? scan.endPosition : Math.min(openStart, scan.endPosition);
    scan.incompleteTail = !this.fatal && (end.incompleteTail || openStart !== undefined);
    this.finished = scan;
    return scan;
  }

  /** Problems found so far. */
  get problems(): readonly BinlogProblem[] {
    return this.scan.problems;
  }

  /** The problem that stopped the scan, if one did. */
  get fatalProblem(): BinlogProblem | undefined {
    return this.fatal ? this.scan.problems[this.scan.problems.length - 1] : undefined;
  }

  private fail(position: number, problem: string): void {
    this.scan.problems.push({ position, problem });
    this.scan.unreadableFrom ??= position;
    this.fatal = true;
    this.framer.stop();
  }

  private recordTransaction(transaction: BinlogTransaction): void {
    this.committed = transaction;
    this.transactionCount++;
    if (this.keepTransactions) this.transactions.push(transaction);
    this.onTransaction?.(transaction);
    const time = transaction.commitTime;
    if (transaction.xa) this.recordXa(transaction);
    if (time < this.minCommit) this.minCommit = time;
    if (time > this.maxCommit) this.maxCommit = time;
    if (transaction.gtid !== undefined) {
      this.scan.firstGtid ??= transaction.gtid;
      this.scan.lastGtid = transaction.gtid;
      // The committed group is the one the last GTID event opened: its numbers are still at hand.
      if (this.openDomain >= 0) this.gtidRanges.add(this.openDomain, this.openSeq, this.openServer);
      else this.gtidRanges.addText(transaction.gtid);
    }
  }

  private recordXa(transaction: BinlogTransaction): void {
    if (this.xa.length >= MAX_XA_RECORDS) {
      this.scan.xaOverflow = true;
      return;
    }
    const { phase, xid } = transaction.xa!;
    const record: XaRecord = { phase, xid, startPosition: transaction.startPosition, endPosition: transaction.endPosition };
    if (transaction.gtid !== undefined) record.gtid = transaction.gtid;
    this.xa.push(record);
  }

  private handle(event: FramedEvent): void {
    const header = event.header;
    const position = event.position;
    const type = header.type;
    if (event.checksumOk === false) {
      this.fail(position, `CRC32 mismatch in event type ${type} (${eventTypeName(type)}) at ${position}`);
      return;
    }
    const end = position + header.eventSize;
    this.eventCount++;
    this.endPosition = end;
    const time = header.timestamp;
    if (time !== 0) {
      if (time < this.minTime) this.minTime = time;
      if (time > this.maxTime) this.maxTime = time;
    }
    if (this.leading) {
      if (LEADING_HEADER_EVENTS.has(type)) this.startPosition = end;
      else this.leading = false;
    }
    this.committed = undefined;
    const action = ACTIONS[type]! as Action;
    if (action === Action.Context) this.tracker.context(position);
    else if (action !== Action.None) {
      try {
        this.track(event, action, position, end, time);
      } catch (error) {
        this.fail(position, `undecodable ${eventTypeName(type)} event at ${position}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    if (this.onEvent !== undefined && !this.fatal) this.report(event, end);
  }

  private track(event: FramedEvent, action: Action, position: number, end: number, time: number): void {
    const scan = this.scan;
    const tracker = this.tracker;
    switch (action) {
      case Action.FormatDescription: {
        const format = event.format!;
        if (!this.sawFormat) {
          this.sawFormat = true;
          scan.serverVersion = format.serverVersion;
          scan.binlogVersion = format.binlogVersion;
          scan.inUseFlag = (event.header.flags & EventFlag.BINLOG_IN_USE) !== 0;
          scan.serverId = event.header.serverId;
          if (format.flavor === 'mariadb' && splitServerVersion(format.serverVersion)[0] >= 10) scan.gtidFlavor = 'mariadb';
        }
        scan.checksum = format.checksum;
        tracker.outside();
        return;
      }
      case Action.MariadbGtid: {
        // Read in place (no view): seq_no u64, domain_id u32, flags2 u8.
        const at = event.offset + (event.format?.headerLength ?? EVENT_HEADER_LENGTH);
        const bodyLength = event.header.eventSize - (at - event.offset) - (event.format?.checksum === 'crc32' ? CHECKSUM_LENGTH : 0);
        if (bodyLength < 13) throw new BinlogDecodeError(`MariaDB GTID event: body has ${bodyLength} bytes, needs 13`);
        scan.gtidFlavor = 'mariadb';
        const buffer = event.buffer;
        this.openDomain = buffer.readUInt32LE(at + 8);
        this.openSeq = buffer.readUInt32LE(at + 4) * 0x100000000 + buffer.readUInt32LE(at);
        this.openServer = event.header.serverId;
        tracker.gtid(position, mariadbGtidText(buffer, at, event.header.serverId), buffer[at + 12]! & MariadbGtidFlag.STANDALONE ? 'standalone' : 'group');
        return;
      }
      case Action.MysqlGtid: {
        const gtid = decodeMysqlGtid(framedBody(event), event.header.type === EventType.MYSQL_ANONYMOUS_GTID);
        this.openDomain = -1;
        scan.gtidFlavor ??= 'mysql';
        tracker.gtid(position, gtid.gtid, 'gtid-mysql', gtid.immediateCommitMicros ?? 0);
        return;
      }
      case Action.TaggedGtid: {
        const gtid = decodeTaggedGtid(framedBody(event));
        this.openDomain = -1;
        scan.gtidFlavor ??= 'mysql';
        tracker.gtid(position, gtid.gtid, 'gtid-mysql', gtid.immediateCommitMicros ?? 0);
        return;
      }
      case Action.Query: {
        const body = framedBody(event);
        const textAt = queryTextOffset(body, event.format);
        const kind = classifyStatement(body, textAt);
        // XA COMMIT / ROLLBACK are rare: only they pay for reading the statement text.
        const xa = kind === 'xa-finish' ? xaStepOfStatement(body.toString('utf8', textAt, Math.min(body.length, textAt + 1024))) : undefined;
        tracker.statement(position, end, time, kind, xa);
        return;
      }
      case Action.OtherStatement:
        tracker.statement(position, end, time, 'other');
        return;
      case Action.Commit:
        if (event.header.type === EventType.TRANSACTION_PAYLOAD) scan.compressedTransactions = (scan.compressedTransactions ?? 0) + 1;
        tracker.commitEvent(end, time);
        return;
      case Action.XaPrepare: {
        const prepare = decodeXaPrepare(framedBody(event));
        // XA COMMIT … ONE PHASE is written as a prepare event with one_phase set: an ordinary commit.
        tracker.commitEvent(end, time, prepare.onePhase ? undefined : { phase: 'prepare', xid: prepare.xid });
        return;
      }
      case Action.Rotate:
        scan.rotateTo = decodeRotate(framedBody(event), event.format);
        tracker.outside();
        return;
      case Action.Stop:
        scan.stopped = true;
        tracker.outside();
        return;
      case Action.GtidList:
        scan.gtidFlavor = 'mariadb';
        scan.previousGtids ??= formatGtidList(decodeGtidList(framedBody(event)));
        tracker.outside();
        return;
      case Action.PreviousGtids:
        scan.gtidFlavor ??= 'mysql';
        scan.previousGtids ??= decodePreviousGtids(framedBody(event));
        tracker.outside();
        return;
      case Action.StartEncryption:
        scan.encrypted = true;
        if (this.decrypting) return void tracker.outside();
        this.fail(
          position,
          `encrypted binlog (START_ENCRYPTION event at ${position}): the events after it can be read only with the server's key: set [mysql] binlog_key_file`,
        );
        return;
      case Action.Incident:
        scan.problems.push({ position, problem: `INCIDENT event at ${position}: the server recorded that changes may be missing from the binlog here` });
        tracker.outside();
        return;
      case Action.Outside:
        tracker.outside();
        return;
      case Action.PartialRowData:
        // A piece of one row event too large to send whole (MariaDB 12.3): row data of the open transaction.
        scan.partialRowEvents = (scan.partialRowEvents ?? 0) + 1;
        tracker.context(position);
        return;
    }
  }

  private report(event: FramedEvent, end: number): void {
    const details = decodeEventDetails(event.header, framedBody(event), event.format);
    const committed = this.committed;
    const transactionStart = committed?.startPosition ?? this.tracker.openStart;
    const gtid = details.gtid ?? committed?.gtid ?? this.tracker.openGtid;
    const decoded: BinlogEvent = {
      ...event.header,
      ...details,
      position: event.position,
      endPosition: end,
      typeName: eventTypeName(event.header.type),
      ...(event.checksumOk === undefined ? {} : { checksumOk: event.checksumOk }),
      ...(transactionStart === undefined ? {} : { transactionStart }),
      ...(gtid === undefined ? {} : { gtid }),
      ...(committed ? { commits: true } : {}),
    };
    this.onEvent!(decoded);
  }
}

/** Scans a binlog already in memory (e.g. a decompressed archive copy): the same logic as the streaming scanner. */
export function scanBinlogBuffer(buffer: Buffer | Uint8Array, options: Omit<ScannerOptions, 'onEvent'> = {}): BinlogScan {
  const scanner = new BinlogScanner(options);
  scanner.push(buffer);
  return scanner.finish();
}
