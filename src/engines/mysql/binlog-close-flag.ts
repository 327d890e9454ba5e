import { setTimeout as sleep } from 'node:timers/promises';
import type { CloseMarker, CloseState } from '../types.js';
import { openSourceFile } from '../../source-file.js';

/**
 * LOG_EVENT_BINLOG_IN_USE_F (0x1) in the flags of the binlog's format description event: bytes 21–22 of
 * the file, little-endian (4-byte magic, then the event header's timestamp, type, server id, size, position).
 * The server sets it while the binlog is open and clears it when it closes the file cleanly; a binlog the
 * server died with keeps it for ever. The event's CRC32 is computed as if the flag were clear, so closing
 * a binlog changes this one bit and nothing else.
 */
export const IN_USE_FLAG_OFFSET = 21;
const IN_USE_FLAG = 0x0001;
const FLAGS_LENGTH = 2;

export const binlogCloseMarker: CloseMarker = {
  description: 'the binlog in-use flag (format description event flags, file bytes 21–22)',
  offset: IN_USE_FLAG_OFFSET,
  length: FLAGS_LENGTH,
  saysOpen: (marker) => marker.length === FLAGS_LENGTH && (marker.readUInt16LE(0) & IN_USE_FLAG) !== 0,
  asOpen: (marker) => withFlags(marker, (flags) => flags | IN_USE_FLAG),
  asClosed: (marker) => withFlags(marker, (flags) => flags & ~IN_USE_FLAG),
};

function withFlags(marker: Buffer, change: (flags: number) => number): Buffer {
  const copy = Buffer.from(marker);
  if (copy.length === FLAGS_LENGTH) copy.writeUInt16LE(change(copy.readUInt16LE(0)), 0);
  return copy;
}

/** Whether the binlog at `path` still carries the in-use flag: two bytes read through an O_NOFOLLOW descriptor. */
export async function binlogInUse(path: string): Promise<boolean> {
  const handle = await openSourceFile(path);
  try {
    const marker = Buffer.alloc(FLAGS_LENGTH);
    const { bytesRead } = await handle.read(marker, 0, FLAGS_LENGTH, IN_USE_FLAG_OFFSET);
    return bytesRead === FLAGS_LENGTH && binlogCloseMarker.saysOpen(marker);
  } finally {
    await handle.close();
  }
}

export interface SettleOptions {
  /**
   * How long to wait for the flag to clear. MariaDB clears it within milliseconds of indexing the successor on
   * an idle machine, but seconds can pass on a loaded one; a log still flagged after the bound ships as
   * crash-closed and is replaced by the clean file on a later round, so the bound only trades a wait for a re-copy.
   */
  boundMs?: number;
  pollMs?: number;
}

/**
 * A binlog whose successor is indexed is closed, but the server clears its in-use flag only after that:
 * wait for the flag, bounded. Still set after the bound: the server died with this binlog open.
 */
export async function settleBinlogClose(path: string, options: SettleOptions = {}): Promise<CloseState> {
  const deadline = Date.now() + (options.boundMs ?? 3_000);
  const pollMs = options.pollMs ?? 5;
  for (;;) {
    if (!(await binlogInUse(path))) return 'clean';
    if (Date.now() >= deadline) return 'crash-closed';
    await sleep(pollMs);
  }
}
