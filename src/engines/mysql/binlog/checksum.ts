import * as zlib from 'node:zlib';

/** CRC32 as zlib computes it; `previous` continues a running value over a split input. */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

let table: Uint32Array | undefined;

/** Table-driven CRC32 (zlib polynomial) for Node versions without `zlib.crc32` (< 20.15). */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array | string, value?: number) => number }).crc32;

/** zlib's native (SIMD) CRC32 where Node has it, the table version otherwise. Returns an unsigned value. */
export const crc32: Crc32 = native ? (data, previous = 0) => native(data, previous) >>> 0 : crc32Portable;

export const nativeCrc32 = native !== undefined;
