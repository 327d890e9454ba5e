/**
 * What snaplog records about a journal file. The IRIS journal format is proprietary and not parsed:
 * the times are file times (the predecessor's modification time ≈ this file's first record, this
 * file's modification time ≈ its last record), and the metadata says so in `details.timeSource`.
 * Modification time is never earlier than the last record written, so a planner that picks the first
 * journal whose lastCommitTime is after the target never stops one journal short.
 */
import { statSync } from 'node:fs';
import type { LogFacts, LogObserver } from '../../archive/metadata.js';
import { parseJournalName } from './journal-names.js';

export const TIME_SOURCE_NOTE =
  'IRIS journal format is not parsed: first/last times are file modification times (predecessor mtime .. own mtime), not record times';

/** Pure: facts from file times (ms since epoch). */
export function journalFacts(name: string, size: number, mtimeMs: number, predecessorMtimeMs: number | undefined): LogFacts {
  const parsed = parseJournalName(name);
  const dayStart = parsed ? new Date(Math.floor(parsed.day / 10000), (Math.floor(parsed.day / 100) % 100) - 1, parsed.day % 100).getTime() : undefined;
  const firstMs = predecessorMtimeMs !== undefined && predecessorMtimeMs <= mtimeMs ? predecessorMtimeMs : (dayStart ?? mtimeMs);
  const first = new Date(Math.min(firstMs, mtimeMs)).toISOString();
  const last = new Date(mtimeMs).toISOString();
  return {
    firstEventTime: first,
    lastEventTime: last,
    firstCommitTime: first,
    lastCommitTime: last,
    startPosition: 0,
    endPosition: size,
    details: {
      timeSource: predecessorMtimeMs !== undefined ? 'file-mtime' : 'file-mtime, first time from the name (no predecessor on disk)',
      note: TIME_SOURCE_NOTE,
      ...(parsed ? { journalDay: parsed.day, journalNumber: parsed.number } : {}),
    },
  };
}

/**
 * Counts the bytes that stream past; reads the file times when the copy is complete. IRIS may delete a
 * closed journal (after compressing it) while it is copied: the open file is still read to its end,
 * and the times are those seen when the copy began.
 */
export function journalObserver(path: string, name: string, predecessorPath: string | undefined): LogObserver {
  let bytes = 0;
  const atStart = statOrUndefined(path);
  return {
    push(chunk: Buffer): void {
      bytes += chunk.length;
    },
    finish(): LogFacts {
      const own = statOrUndefined(path) ?? atStart;
      if (!own) throw new Error(`${path} disappeared before snaplog could read its times`);
      let predecessor: number | undefined;
      try {
        predecessor = predecessorPath ? statSync(predecessorPath).mtimeMs : undefined;
      } catch {
        predecessor = undefined; // purged meanwhile
      }
      return journalFacts(name, bytes, own.mtimeMs, predecessor);
    },
  };
}

function statOrUndefined(path: string): { mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
