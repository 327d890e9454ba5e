import type { ArchivedLog } from './archive.js';
import type { LogMetadata } from './metadata.js';
import type { SnapshotRecord } from './snapshot-record.js';

export interface LogRange {
  stream?: string;
  first: string;
  last: string;
  count: number;
  from?: string;
  to?: string;
}

export interface CatalogGap {
  stream?: string;
  after: string;
  before: string;
  missingSequences: string;
}

export interface Catalog {
  logs: LogMetadata[];
  ranges: LogRange[];
  gaps: CatalogGap[];
  /** Data files whose metadata is missing or unreadable: verified again on the next ship run. */
  incomplete: string[];
}

/**
 * Pure: continuous ranges of archived logs by sequence, and the gaps between them (like pgBackRest's
 * verify). Logs of different streams (Oracle redo threads/incarnations) are numbered apart: each stream
 * is checked on its own.
 */
export function buildCatalog(archived: ArchivedLog[]): Catalog {
  const logs = archived
    .flatMap((log) => (log.metadata ? [log.metadata] : []))
    .sort((a, b) => (a.stream ?? '').localeCompare(b.stream ?? '') || a.sequence - b.sequence);
  const incomplete = archived.filter((log) => !log.metadata).map((log) => log.name);
  const ranges: LogRange[] = [];
  const gaps: CatalogGap[] = [];
  let current: LogMetadata[] = [];
  const close = (): void => {
    const first = current[0];
    const last = current[current.length - 1];
    if (first && last)
      ranges.push({
        first: first.name,
        last: last.name,
        count: current.length,
        from: first.firstCommitTime ?? first.firstEventTime,
        to: lastCommitOf(current),
        ...(first.stream ? { stream: first.stream } : {}),
      });
    current = [];
  };
  for (const log of logs) {
    const previous = current[current.length - 1];
    if (previous && (previous.stream ?? '') !== (log.stream ?? '')) close();
    else if (previous && log.sequence !== previous.sequence + 1) {
      gaps.push({
        after: previous.name,
        before: log.name,
        missingSequences: `${previous.sequence + 1}-${log.sequence - 1}`,
        ...(log.stream ? { stream: log.stream } : {}),
      });
      close();
    }
    current.push(log);
  }
  close();
  return { logs, ranges, gaps, incomplete };
}

function lastCommitOf(logs: LogMetadata[]): string | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const time = logs[i]?.lastCommitTime;
    if (time) return time;
  }
  return undefined;
}

export interface SnapshotWindow {
  snapshot: SnapshotRecord;
  /** From the snapshot's time to the last commit of the unbroken chain of logs that starts at its position. */
  restorable?: { from: string; to: string };
  problem?: string;
}

/** Pure: how far each snapshot can be rolled forward with the archived logs. */
export function snapshotWindows(snapshots: SnapshotRecord[], catalog: Catalog): SnapshotWindow[] {
  return snapshots.map((snapshot) => {
    if (snapshot.status !== 'thawed' && snapshot.status !== 'frozen')
      return { snapshot, problem: `snapshot status is ${snapshot.status}: not application-consistent` };
    const position = snapshot.position;
    if (!position) return { snapshot, problem: 'snapshot record has no log position' };
    const range = catalog.ranges.find((candidate) => {
      const logs = catalog.logs.filter((log) => log.name >= candidate.first && log.name <= candidate.last);
      return logs.some((log) => log.name === position.file);
    });
    if (!range)
      return {
        snapshot,
        restorable: { from: snapshot.time, to: snapshot.time },
        problem: `log ${position.file} (the snapshot's position) is not in the archive`,
      };
    return { snapshot, restorable: { from: snapshot.time, to: range.to && range.to > snapshot.time ? range.to : snapshot.time } };
  });
}
