import { BINLOG_MAGIC, EVENT_HEADER_LENGTH, MAGIC_LENGTH } from './constants.js';

/** The 19-byte v4 common header every event starts with. */
export interface EventHeader {
  /** Unix seconds: when the statement (not necessarily the commit) started. */
  timestamp: number;
  type: number;
  serverId: number;
  /** Whole event, header and CRC32 trailer included. */
  eventSize: number;
  /** Offset just after the event in the file it was written to (0 in a few artificial events). */
  logPos: number;
  flags: number;
}

/** Decodes the header at `at`; the caller guarantees 19 bytes are there. */
export function decodeEventHeader(buf: Buffer, at = 0): EventHeader {
  return {
    timestamp: buf.readUInt32LE(at),
    type: buf[at + 4]!,
    serverId: buf.readUInt32LE(at + 5),
    eventSize: buf.readUInt32LE(at + 9),
    logPos: buf.readUInt32LE(at + 13),
    flags: buf.readUInt16LE(at + 17),
  };
}

/** Writes a header (tests and benchmarks build events with it). */
export function encodeEventHeader(header: EventHeader, buf: Buffer = Buffer.alloc(EVENT_HEADER_LENGTH), at = 0): Buffer {
  buf.writeUInt32LE(header.timestamp >>> 0, at);
  buf[at + 4] = header.type;
  buf.writeUInt32LE(header.serverId >>> 0, at + 5);
  buf.writeUInt32LE(header.eventSize >>> 0, at + 9);
  buf.writeUInt32LE(header.logPos >>> 0, at + 13);
  buf.writeUInt16LE(header.flags, at + 17);
  return buf;
}

/** True when `buf` starts with the binlog magic `fe 62 69 6e`. */
export function isBinlogMagic(buf: Uint8Array): boolean {
  if (buf.length < MAGIC_LENGTH) return false;
  for (let i = 0; i < MAGIC_LENGTH; i++) if (buf[i] !== BINLOG_MAGIC[i]) return false;
  return true;
}
