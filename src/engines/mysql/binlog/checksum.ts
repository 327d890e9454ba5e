import * as zlib from 'node:zlib';

/**
 * CRC32 as zlib computes it (binlog event checksums). Node's zlib.crc32 is native and fast on large
 * inputs but costs ~150 ns per call; small events are cheaper in JS (slice-by-8) straight from the
 * chunk, without creating a view.
 */

const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let t = 1; t < 8; t++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[t]![n] = c;
    }
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];

/** CRC32 of `data[start, end)` in JS; `previous` continues a running value. Unsigned result. */
export function crc32Range(data: Uint8Array, start: number, end: number, previous = 0): number {
  let c = ~previous;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    c =
      T7[a & 0xff]! ^
      T6[(a >>> 8) & 0xff]! ^
      T5[(a >>> 16) & 0xff]! ^
      T4[a >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
  }
  for (; i < end; i++) c = T0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Table CRC32 for Node versions without `zlib.crc32` (< 20.15). */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  return crc32Range(data, 0, data.length, previous);
}

const native = (zlib as { crc32?: (data: Uint8Array | string, value?: number) => number }).crc32;

export const nativeCrc32 = native !== undefined;

/** CRC32 of a whole buffer; `previous` continues a running value. Unsigned result. */
export const crc32: (data: Uint8Array, previous?: number) => number = native ? (data, previous = 0) => native(data, previous) >>> 0 : crc32Portable;

/** Below this many bytes the JS loop beats the native call's fixed cost. */
const NATIVE_FROM = 192;

/** CRC32 of `buffer[start, end)`, by whichever way is faster for that length. */
export function crc32Of(buffer: Buffer, start: number, end: number, previous = 0): number {
  if (end - start < NATIVE_FROM || !native) return crc32Range(buffer, start, end, previous);
  return native(buffer.subarray(start, end), previous) >>> 0;
}
