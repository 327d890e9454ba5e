/**
 * Pure: the file header of an Oracle redo log (block 0), enough to tell a redo log from other bytes and
 * a whole file from a cut one. Layout: byte 1 the file type (0x22 = redo), a 32-bit block size at 20,
 * the number of blocks at 24, and 0x7A7B7C7D at 28 in the platform's byte order.
 */
import type { FormatChecker } from '../../archive/verify.js';
import type { LogFacts } from '../../archive/metadata.js';

export const REDO_FILE_TYPE = 0x22;
const MAGIC = 0x7a7b7c7d;
const BLOCK_SIZES = [512, 1024, 4096];
export const REDO_HEADER_BYTES = 32;

export type RedoHeader = { blockSize: number; blocks: number; littleEndian: boolean } | { problem: string };

export function parseRedoHeader(head: Buffer): RedoHeader {
  if (head.length < REDO_HEADER_BYTES) return { problem: `only ${head.length} bytes: shorter than a redo log header` };
  const littleEndian = head.readUInt32LE(28) === MAGIC;
  if (!littleEndian && head.readUInt32BE(28) !== MAGIC) return { problem: 'no redo log magic number at byte 28' };
  if (head[1] !== REDO_FILE_TYPE) return { problem: `file type 0x${head[1]!.toString(16)} is not a redo log (0x22)` };
  const blockSize = littleEndian ? head.readUInt32LE(20) : head.readUInt32BE(20);
  if (!BLOCK_SIZES.includes(blockSize)) return { problem: `block size ${blockSize} is not one of ${BLOCK_SIZES.join(', ')}` };
  return { blockSize, blocks: littleEndian ? head.readUInt32LE(24) : head.readUInt32BE(24), littleEndian };
}

/** Pure: what is wrong with an archived log, from its header and its size. */
export function redoProblems(header: RedoHeader, size: number): string[] {
  if ('problem' in header) return [`not an Oracle redo log: ${header.problem}`];
  return size % header.blockSize === 0 ? [] : [`size ${size} is not a whole number of ${header.blockSize}-byte blocks (cut short?)`];
}

/** `snaplog verify` for Oracle: re-reads each archived log's header and size. */
export const oracleFormatChecker: FormatChecker = {
  observer: () => {
    const head: Buffer[] = [];
    let kept = 0;
    let size = 0;
    return {
      push: (chunk) => {
        if (kept < REDO_HEADER_BYTES) {
          head.push(chunk.subarray(0, REDO_HEADER_BYTES - kept));
          kept += Math.min(chunk.length, REDO_HEADER_BYTES - kept);
        }
        size += chunk.length;
      },
      finish: (): LogFacts => ({ startPosition: 0, endPosition: size, details: { problems: redoProblems(parseRedoHeader(Buffer.concat(head)), size) } }),
    };
  },
  problemsIn: (facts) => (facts.details as { problems?: string[] } | undefined)?.problems ?? [],
};
