import { EventType } from './constants.js';
import { decodeStartEncryption, decryptEvent } from './decrypt.js';
import type { BinlogEncryption, BinlogKey } from './decrypt.js';

const MAGIC_LENGTH = 4;
const HEADER_LENGTH = 19;
const LENGTH_OFFSET = 9;

/**
 * Turns the bytes of an encrypted MariaDB binlog, pushed in chunks of any size, into the plain binlog at
 * the same offsets: every event after START_ENCRYPTION is decrypted whole, in memory. The archive keeps
 * the server's bytes; only the reader sees plaintext. An unencrypted binlog passes through unchanged.
 * A trailing partial event (a crash-closed log) is passed on as it is at finish().
 */
export class DecryptingFramer {
  private pending: Buffer = Buffer.alloc(0);
  private position = 0;
  private encryption: BinlogEncryption | undefined;

  constructor(
    private readonly key: BinlogKey,
    private readonly emit: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.position === 0) {
      if (data.length < MAGIC_LENGTH) return void (this.pending = Buffer.from(data));
      this.emit(data.subarray(0, MAGIC_LENGTH));
      data = data.subarray(MAGIC_LENGTH);
      this.position = MAGIC_LENGTH;
    }
    let at = 0;
    while (data.length - at >= HEADER_LENGTH) {
      const size = data.readUInt32LE(at + LENGTH_OFFSET);
      if (size < HEADER_LENGTH || data.length - at < size) break;
      this.event(data.subarray(at, at + size));
      at += size;
    }
    this.pending = Buffer.from(data.subarray(at));
  }

  /** The next chunk starts at `position`, an event boundary (the encryption state of the head is kept). */
  skipTo(position: number): void {
    this.pending = Buffer.alloc(0);
    this.position = position;
  }

  finish(): void {
    if (this.pending.length) this.emit(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private event(stored: Buffer): void {
    const event = this.encryption ? decryptEvent(stored, this.position, this.encryption, this.key) : stored;
    if (!this.encryption && event[4] === EventType.START_ENCRYPTION) {
      this.encryption = decodeStartEncryption(event.subarray(HEADER_LENGTH));
    }
    this.position += stored.length;
    this.emit(event);
  }
}
