import {
  BINLOG_MAGIC,
  CHECKSUM_LENGTH,
  EVENT_HEADER_LENGTH,
  EventFlag,
  EventType,
  MAGIC_LENGTH,
  MYSQL_ENCRYPTED_BINLOG_MAGIC,
  eventTypeName,
} from './constants.js';
import { crc32Of } from './checksum.js';
import type { EventHeader } from './event-header.js';
import { decodeFormatDescription } from './format-description.js';
import type { FormatDescription } from './format-description.js';

/**
 * One event cut out of the byte stream. The framer reuses this object and its header for every event,
 * and `buffer` may be the caller's chunk: everything here is valid only during the callback.
 */
export interface FramedEvent {
  position: number;
  header: EventHeader;
  /** Holds the event's leading bytes at `offset`: the whole event when `whole`, else the first `length` bytes. */
  buffer: Buffer;
  offset: number;
  /** Bytes of the event available at `offset` (eventSize when whole). */
  length: number;
  whole: boolean;
  /** Whether the stored CRC32 matches; undefined when the file has no checksums. */
  checksumOk: boolean | undefined;
  /** The format description in force (for the FORMAT_DESCRIPTION event itself: the one it defines). */
  format: FormatDescription | undefined;
}

/** The captured bytes of a framed event, header included, as their own view. */
export function framedBytes(event: FramedEvent): Buffer {
  return event.buffer.subarray(event.offset, event.offset + event.length);
}

/** The event body (after the common header, before the CRC32 trailer) as far as it was captured. */
export function framedBody(event: FramedEvent): Buffer {
  const headerLength = event.format?.headerLength ?? EVENT_HEADER_LENGTH;
  const bodyEnd = event.header.eventSize - (event.format?.checksum === 'crc32' ? CHECKSUM_LENGTH : 0);
  return event.buffer.subarray(event.offset + headerLength, event.offset + Math.min(bodyEnd, event.length));
}

export interface FramerHandlers {
  /** How many leading bytes of an event the consumer needs when the event is split across chunks. */
  capture(type: number, eventSize: number): number;
  event(event: FramedEvent): void;
  /** A framing problem: the framer stops reading (nothing after it can be trusted). */
  problem(position: number, problem: string): void;
}

export interface FramerEnd {
  /** Offset just after the last whole event (4 after the magic alone, 0 before it). */
  endPosition: number;
  /** Bytes after endPosition that do not make a whole event (a crash or a copy of an open file). */
  incompleteTail: boolean;
}

/** What a MySQL binlog written with binlog_encryption = ON means for snaplog (the magic `fd 62 69 6e`). */
export const MYSQL_ENCRYPTED_PROBLEM =
  'MySQL encrypted binlog (binlog_encryption = ON; magic fd 62 69 6e): its events can be read only with the replication master key ' +
  "in the source server's keyring (keyring component or plugin, e.g. component_keyring_file and its key file); snaplog ships such a " +
  'file byte for byte but cannot index it, and a restore needs that keyring installed on the restoring server';

/** Little-endian u32 without Buffer's argument validation (the caller knows the bytes are there). */
function u32(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x1000000;
}

/** An event split across chunks, being collected. */
interface Pending {
  position: number;
  size: number;
  consumed: number;
  capture: Buffer;
  /** Partial capture: the CRC32 is computed as the bytes stream past, the trailer kept apart. */
  streamingCrc: boolean;
  crc: number;
  trailer: Buffer;
}

/**
 * Splits a binlog byte stream into events: chunks of any size, events crossing chunk boundaries, memory
 * bounded by the consumer's capture sizes (a large event's body is checksummed as it streams past, never
 * buffered whole). Events whole inside a chunk are passed in place, without copies.
 */
export class EventFramer {
  private readonly handlers: FramerHandlers;
  private readonly checkLogPos: boolean;
  private readonly magic = Buffer.alloc(MAGIC_LENGTH);
  private magicFill = 0;
  private readonly headerBytes = Buffer.alloc(EVENT_HEADER_LENGTH);
  private headerFill = 0;
  private pending: Pending | undefined;
  /** End of the last whole event: where the next event starts. */
  private endPosition = MAGIC_LENGTH;
  private stopped = false;
  private format: FormatDescription | undefined;
  private checksum = false;
  private minimumSize = EVENT_HEADER_LENGTH;
  private readonly header: EventHeader = { timestamp: 0, type: 0, serverId: 0, eventSize: 0, logPos: 0, flags: 0 };
  private readonly current: FramedEvent = {
    position: 0,
    header: this.header,
    buffer: Buffer.alloc(0),
    offset: 0,
    length: 0,
    whole: true,
    checksumOk: undefined,
    format: undefined,
  };

  constructor(handlers: FramerHandlers, options: { checkLogPos?: boolean } = {}) {
    this.handlers = handlers;
    this.checkLogPos = options.checkLogPos ?? true;
  }

  /**
   * Continues at `position` as if the bytes before it had been read: for reading one stretch of a log
   * after its head (magic + format description). Only between whole events.
   */
  skipTo(position: number): void {
    if (this.pending !== undefined || this.headerFill > 0 || this.magicFill < MAGIC_LENGTH) throw new Error('EventFramer.skipTo: not at an event boundary');
    this.endPosition = position;
  }

  /** Stops framing: the consumer found something it cannot read past. */
  stop(): void {
    this.stopped = true;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    let i = 0;
    const length = chunk.length;
    if (this.magicFill < MAGIC_LENGTH) {
      const take = Math.min(MAGIC_LENGTH - this.magicFill, length);
      chunk.copy(this.magic, this.magicFill, 0, take);
      this.magicFill += take;
      i = take;
      const filled = this.magic.subarray(0, this.magicFill);
      if (!filled.equals(BINLOG_MAGIC.subarray(0, this.magicFill))) {
        // A MySQL encrypted binlog is told apart only once its four bytes are in (chunks may be smaller).
        const encrypted = filled.equals(MYSQL_ENCRYPTED_BINLOG_MAGIC.subarray(0, this.magicFill));
        if (!encrypted || this.magicFill === MAGIC_LENGTH) this.fail(0, encrypted ? MYSQL_ENCRYPTED_PROBLEM : 'not a binlog file (bad magic number)');
        return;
      }
    }
    while (i < length && !this.stopped) {
      if (this.pending) {
        i = this.feedPending(chunk, i);
        continue;
      }
      if (this.headerFill > 0 || length - i < EVENT_HEADER_LENGTH) {
        const take = Math.min(EVENT_HEADER_LENGTH - this.headerFill, length - i);
        chunk.copy(this.headerBytes, this.headerFill, i, i + take);
        this.headerFill += take;
        i += take;
        if (this.headerFill < EVENT_HEADER_LENGTH) break;
        this.headerFill = 0;
        if (!this.readHeader(this.headerBytes, 0)) return;
        this.beginPending();
        this.feedPending(this.headerBytes, 0);
        continue;
      }
      // The fast path: events whole inside the chunk, checked in place.
      if (!this.readHeader(chunk, i)) return;
      const size = this.header.eventSize;
      if (length - i < size) {
        this.beginPending();
        continue;
      }
      this.emitInPlace(chunk, i, size);
      i += size;
    }
  }

  finish(): FramerEnd {
    const incompleteTail = !this.stopped && (this.pending !== undefined || this.headerFill > 0 || (this.magicFill > 0 && this.magicFill < MAGIC_LENGTH));
    return { endPosition: this.magicFill < MAGIC_LENGTH ? 0 : this.endPosition, incompleteTail };
  }

  private fail(position: number, problem: string): void {
    this.stopped = true;
    this.pending = undefined;
    this.headerFill = 0;
    this.handlers.problem(position, problem);
  }

  /** Decodes and checks the header at `at` into the shared header object. */
  private readHeader(buf: Buffer, at: number): boolean {
    const header = this.header;
    const position = this.endPosition;
    header.timestamp = u32(buf, at);
    header.type = buf[at + 4]!;
    header.serverId = u32(buf, at + 5);
    header.eventSize = u32(buf, at + 9);
    header.logPos = u32(buf, at + 13);
    header.flags = buf[at + 17]! | (buf[at + 18]! << 8);
    if (header.eventSize < this.minimumSize) {
      this.fail(position, `invalid event header at ${position}: event size ${header.eventSize} is below the ${this.minimumSize}-byte minimum`);
      return false;
    }
    const end = position + header.eventSize;
    if (this.checkLogPos && header.logPos !== end && header.logPos !== 0 && (header.flags & (EventFlag.ARTIFICIAL | EventFlag.RELAY_LOG)) === 0) {
      this.fail(position, `invalid event header at ${position}: it says the event ends at ${header.logPos}, its size ${header.eventSize} says ${end}`);
      return false;
    }
    if (this.format === undefined && header.type !== EventType.FORMAT_DESCRIPTION) {
      const what =
        header.type === EventType.START_V3
          ? 'a binlog format v3 start event (MySQL 4.x), which snaplog does not read'
          : `event type ${header.type} (${eventTypeName(header.type)})`;
      this.fail(position, `the first event at ${position} is ${what}, not a format description event`);
      return false;
    }
    return true;
  }

  private beginPending(): void {
    const size = this.header.eventSize;
    const isFde = this.header.type === EventType.FORMAT_DESCRIPTION;
    const wanted = isFde ? size : Math.min(size, Math.max(EVENT_HEADER_LENGTH, this.handlers.capture(this.header.type, size)));
    this.pending = {
      position: this.endPosition,
      size,
      consumed: 0,
      capture: Buffer.allocUnsafe(wanted),
      streamingCrc: wanted < size && this.checksum,
      crc: 0,
      trailer: Buffer.alloc(CHECKSUM_LENGTH),
    };
  }

  /** Consumes bytes of the pending event from `src` at `at`; returns the offset after what it took. */
  private feedPending(src: Buffer, at: number): number {
    const p = this.pending!;
    const n = Math.min(src.length - at, p.size - p.consumed);
    const from = p.consumed;
    const to = from + n;
    if (from < p.capture.length) src.copy(p.capture, from, at, at + Math.min(n, p.capture.length - from));
    if (p.streamingCrc) {
      const bodyEnd = p.size - CHECKSUM_LENGTH;
      if (from < bodyEnd) p.crc = crc32Of(src, at, at + Math.min(to, bodyEnd) - from, p.crc);
      for (let k = Math.max(from, bodyEnd); k < to; k++) p.trailer[k - bodyEnd] = src[at + k - from]!;
    }
    p.consumed = to;
    if (p.consumed === p.size) {
      this.pending = undefined;
      // The header object still holds this event's header: nothing else was read meanwhile.
      if (p.capture.length === p.size) this.emitInPlace(p.capture, 0, p.size);
      else this.emit(p.capture, 0, p.capture.length, false, p.streamingCrc ? p.crc === p.trailer.readUInt32LE(0) : undefined);
    }
    return at + n;
  }

  /** A whole event at `buf[at, at + size)`. */
  private emitInPlace(buf: Buffer, at: number, size: number): void {
    const header = this.header;
    if (header.type === EventType.FORMAT_DESCRIPTION && !this.readFormat(buf, at, size)) return;
    let checksumOk: boolean | undefined;
    if (this.checksum) {
      const bodyEnd = at + size - CHECKSUM_LENGTH;
      const stored = u32(buf, bodyEnd);
      if (header.type === EventType.FORMAT_DESCRIPTION && header.flags & EventFlag.BINLOG_IN_USE) {
        // The server checksums its FDE with the in-use flag clear, so that closing the file only flips the flag.
        const copy = Buffer.from(buf.subarray(at, bodyEnd));
        copy.writeUInt16LE(header.flags & ~EventFlag.BINLOG_IN_USE, 17);
        checksumOk = crc32Of(copy, 0, copy.length) === stored;
      } else {
        checksumOk = crc32Of(buf, at, bodyEnd) === stored;
      }
    }
    this.emit(buf, at, size, true, checksumOk);
  }

  private readFormat(buf: Buffer, at: number, size: number): boolean {
    try {
      this.format = decodeFormatDescription(buf.subarray(at, at + size));
    } catch (error) {
      this.fail(this.endPosition, `unreadable format description event at ${this.endPosition}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    this.checksum = this.format.checksum === 'crc32';
    this.minimumSize = this.format.headerLength + (this.checksum ? CHECKSUM_LENGTH : 0);
    return true;
  }

  private emit(buffer: Buffer, offset: number, length: number, whole: boolean, checksumOk: boolean | undefined): void {
    const event = this.current;
    event.position = this.endPosition;
    event.buffer = buffer;
    event.offset = offset;
    event.length = length;
    event.whole = whole;
    event.checksumOk = checksumOk;
    event.format = this.format;
    this.endPosition += this.header.eventSize;
    this.handlers.event(event);
  }
}
