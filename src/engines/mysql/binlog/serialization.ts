import { BinlogDecodeError } from './errors.js';

/**
 * Readers of MySQL's serialization library format (MySQL 8.3+, `libs/mysql/serialization/readme.md` and
 * `variable_length_integers.h` in mysql-server), used by GTID_TAGGED_LOG_EVENT and tagged GTID sets.
 *
 * A variable-length integer takes 1–9 bytes, little-endian: the count of trailing one bits of the first
 * byte, plus one, is the number of bytes; the value follows that marker (for 9 bytes, the 8 bytes after the
 * first are the whole value). Signed integers are zig-zag encoded: the lowest bit is the sign,
 * x >= 0 → x << 1, x < 0 → (-(x + 1) << 1) | 1.
 */

/** A cursor over a body; reads throw BinlogDecodeError past `end`. */
export class SerializedReader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    public end: number = buf.length,
  ) {}

  get done(): boolean {
    return this.at >= this.end;
  }

  /** Unsigned variable-length integer as a number (exact up to 2^53, which GNOs and microsecond stamps stay below). */
  unsigned(what: string): number {
    if (this.at >= this.end) throw new BinlogDecodeError(`${what}: the data ends before it`);
    const first = this.buf[this.at]!;
    let bytes = 1;
    while (bytes < 9 && (first >> (bytes - 1)) & 1) bytes++;
    if (this.at + bytes > this.end) throw new BinlogDecodeError(`${what}: a ${bytes}-byte integer runs past the data`);
    let rest = 0;
    for (let i = bytes - 1; i >= 1; i--) rest = rest * 256 + this.buf[this.at + i]!;
    this.at += bytes;
    if (bytes === 1) return first >> 1;
    if (bytes === 9) return rest;
    // The first byte holds (8 - bytes) value bits above its marker; the following bytes continue above them.
    return (first >> bytes) + rest * 2 ** (8 - bytes);
  }

  /** Signed variable-length integer (exact up to ±2^52: the zig-zag form doubles it). */
  signed(what: string): number {
    const zigzag = this.unsigned(what);
    const magnitude = Math.floor(zigzag / 2);
    return zigzag % 2 === 1 ? -magnitude - 1 : magnitude;
  }

  /** A string: its length as an unsigned integer, then the bytes. */
  text(what: string): string {
    const length = this.unsigned(what);
    if (this.at + length > this.end) throw new BinlogDecodeError(`${what}: ${length} bytes run past the data`);
    const value = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** A fixed-size byte array: each byte is its own unsigned integer (a uuid takes 16 to 32 bytes). */
  byteArray(count: number, what: string): Buffer {
    const out = Buffer.allocUnsafe(count);
    for (let i = 0; i < count; i++) {
      const value = this.unsigned(what);
      if (value > 255) throw new BinlogDecodeError(`${what}: byte ${i} is ${value}`);
      out[i] = value;
    }
    return out;
  }
}

/** Writers for the same format: the binlog builder uses them to make test files. */
export function encodeUnsigned(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) throw new Error('encodeUnsigned: negative value');
  const bits = v === 0n ? 0 : v.toString(2).length;
  const bytes = bits === 64 ? 9 : Math.floor((bits * 575) / 4096) + 1;
  const out = Buffer.alloc(bytes);
  if (bytes === 9) {
    out[0] = 0xff;
    out.writeBigUInt64LE(v, 1);
    return out;
  }
  const marker = (1 << (bytes - 1)) - 1;
  out[0] = (marker | Number((v << BigInt(bytes)) & 0xffn)) & 0xff;
  v >>= BigInt(8 - bytes);
  for (let i = 1; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function encodeSigned(value: number | bigint): Buffer {
  const v = BigInt(value);
  return encodeUnsigned(v >= 0n ? v << 1n : (-(v + 1n) << 1n) | 1n);
}

export function encodeText(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeUnsigned(bytes.length), bytes]);
}
