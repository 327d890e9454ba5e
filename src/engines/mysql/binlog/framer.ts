import { BINLOG_MAGIC, CHECKSUM_LENGTH, EVENT_HEADER_LENGTH, EventFlag, EventType, MAGIC_LENGTH, eventTypeName } from './constants.js';
import { crc32 } from './checksum.js';
import { decodeEventHeader } from './event-header.js';
import type { EventHeader } from './event-header.js';
import { decodeFormatDescription } from './format-description.js';
import type { FormatDescription } from './format-description.js';

/** One event cut out of the byte stream. */
export interface FramedEvent {
  position: number;
  header: EventHeader;
  /**
   * The event's leading bytes, header included: the whole event when `whole`, otherwise the first
   * `capture(type, size)` bytes. May be a view into the caller's chunk: valid only during the callback.
   */
  data: Buffer;
  whole: boolean;
  /** Whether the stored CRC32 matches; undefined when the file has no checksums. */
  checksumOk: boolean | undefined;
  /** The format description in force (for the FORMAT_DESCRIPTION event itself: the one it defines). */
  format: FormatDescription | undefined;
}

export interface FramerHandlers {
  /** How many leading bytes of an event the consumer needs when the event is split across chunks. */
  capture(type: number, eventSize: number): number;
  event(event: FramedEvent): void;
  /** A framing problem: the framer stops reading (nothing after it can be trusted). */
  problem(position: number, problem: string): void;
}

export interface FramerEnd {
  /** Offset just after the last whole event (4 after the magic alone). */
  endPosition: number;
  /** Bytes after endPosition that do not make a whole event (a crash or a copy of an open file). */
  incompleteTail: boolean;
}

/** An event split across chunks, being collected. */
interface Pending {
  position: number;
  header: EventHeader;
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
 * buffered). Events whole inside a chunk are passed as zero-copy views.
 */
export class EventFramer {
  private readonly handlers: FramerHandlers;
  private readonly checkLogPos: boolean;
  private magic = Buffer.alloc(MAGIC_LENGTH);
  private magicFill = 0;
  private headerBytes = Buffer.alloc(EVENT_HEADER_LENGTH);
  private headerFill = 0;
  private pending: Pending | undefined;
  /** End of the last whole event: where the next event starts. */
  private endPosition = MAGIC_LENGTH;
  private stopped = false;
  private format: FormatDescription | undefined;
  private checksum = false;

  constructor(handlers: FramerHandlers, options: { checkLogPos?: boolean } = {}) {
    this.handlers = handlers;
    this.checkLogPos = options.checkLogPos ?? true;
  }

  /** Stops framing: the consumer found something it cannot read past. */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const length = chunk.length;
    if (this.magicFill < MAGIC_LENGTH && !this.stopped) {
      const take = Math.min(MAGIC_LENGTH - this.magicFill, length);
      chunk.copy(this.magic, this.magicFill, 0, take);
      this.magicFill += take;
      i = take;
      for (let k = 0; k < this.magicFill; k++) {
        if (this.magic[k] !== BINLOG_MAGIC[k]) {
          this.fail(0, 'not a binlog file (bad magic number)');
          return;
        }
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
        const header = decodeEventHeader(this.headerBytes, 0);
        if (!this.validate(header, this.endPosition)) return;
        this.beginPending(header);
        this.feedPending(this.headerBytes, 0);
        continue;
      }
      const header = decodeEventHeader(chunk, i);
      const position = this.endPosition;
      if (!this.validate(header, position)) return;
      const size = header.eventSize;
      if (length - i >= size) {
        this.emitWhole(position, header, chunk.subarray(i, i + size));
        i += size;
      } else {
        this.beginPending(header);
      }
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

  private validate(header: EventHeader, position: number): boolean {
    const headerLength = this.format?.headerLength ?? EVENT_HEADER_LENGTH;
    const minimum = headerLength + (this.checksum ? CHECKSUM_LENGTH : 0);
    if (header.eventSize < minimum) {
      this.fail(position, `invalid event header at ${position}: event size ${header.eventSize} is below the ${minimum}-byte minimum`);
      return false;
    }
    const end = position + header.eventSize;
    if (this.checkLogPos && header.logPos !== 0 && header.logPos !== end && (header.flags & (EventFlag.ARTIFICIAL | EventFlag.RELAY_LOG)) === 0) {
      this.fail(position, `invalid event header at ${position}: it says the event ends at ${header.logPos}, its size ${header.eventSize} says ${end}`);
      return false;
    }
    if (this.format === undefined && header.type !== EventType.FORMAT_DESCRIPTION) {
      const what = header.type === EventType.START_V3 ? 'a binlog format v3 start event (MySQL 4.x), which snaplog does not read' : `event type ${header.type} (${eventTypeName(header.type)})`;
      this.fail(position, `the first event at ${position} is ${what}, not a format description event`);
      return false;
    }
    return true;
  }

  private beginPending(header: EventHeader): void {
    const size = header.eventSize;
    const isFde = header.type === EventType.FORMAT_DESCRIPTION;
    const wanted = isFde ? size : Math.min(size, Math.max(EVENT_HEADER_LENGTH, this.handlers.capture(header.type, size)));
    this.pending = {
      position: this.endPosition,
      header,
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
      if (from < bodyEnd) p.crc = crc32(src.subarray(at, at + Math.min(to, bodyEnd) - from), p.crc);
      for (let k = Math.max(from, bodyEnd); k < to; k++) p.trailer[k - bodyEnd] = src[at + k - from]!;
    }
    p.consumed = to;
    if (p.consumed === p.size) {
      this.pending = undefined;
      if (p.capture.length === p.size) this.emitWhole(p.position, p.header, p.capture);
      else this.emit(p.position, p.header, p.capture, false, p.streamingCrc ? p.crc === p.trailer.readUInt32LE(0) : undefined);
    }
    return at + n;
  }

  private emitWhole(position: number, header: EventHeader, data: Buffer): void {
    if (header.type === EventType.FORMAT_DESCRIPTION) {
      try {
        this.format = decodeFormatDescription(data);
      } catch (error) {
        this.fail(position, `unreadable format description event at ${position}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      this.checksum = this.format.checksum === 'crc32';
    }
    let checksumOk: boolean | undefined;
    if (this.checksum) {
      const bodyEnd = data.length - CHECKSUM_LENGTH;
      checksumOk = crc32(data.subarray(0, bodyEnd)) === data.readUInt32LE(bodyEnd);
    }
    this.emit(position, header, data, true, checksumOk);
  }

  private emit(position: number, header: EventHeader, data: Buffer, whole: boolean, checksumOk: boolean | undefined): void {
    this.endPosition = position + header.eventSize;
    this.handlers.event({ position, header, data, whole, checksumOk, format: this.format });
  }
}
