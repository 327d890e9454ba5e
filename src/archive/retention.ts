import type { LogMetadata } from './metadata.js';
import type { SnapshotRecord } from './snapshot-record.js';

export interface PrunePlan {
  /** The oldest snapshot kept: every log from its position on stays. */
  oldestKept?: SnapshotRecord;
  removeLogs: LogMetadata[];
  removeSnapshots: SnapshotRecord[];
  reason?: string;
}

/**
 * Pure: what `prune --keep-days N` removes. Snapshots older than the cut go, except the newest usable
 * one before it (a restore to any time inside the window needs it); logs go only when they lie wholly
 * before the position of the oldest kept usable snapshot, per stream. Never a log a kept snapshot needs.
 */
export function planPrune(snapshots: SnapshotRecord[], logs: LogMetadata[], keepDays: number, now: Date): PrunePlan {
  const cut = new Date(now.getTime() - keepDays * 86_400_000).toISOString();
  const usable = snapshots.filter((snapshot) => snapshot.status === 'thawed' && snapshot.position).sort((a, b) => a.time.localeCompare(b.time));
  const beforeCut = usable.filter((snapshot) => snapshot.time < cut);
  const oldestKept = beforeCut[beforeCut.length - 1] ?? usable[0];
  if (!oldestKept) return { removeLogs: [], removeSnapshots: [], reason: 'no usable snapshot: nothing is removed (every log may still be needed)' };
  const removeSnapshots = snapshots.filter((snapshot) => snapshot.time < oldestKept.time);
  const anchor = logs.find((log) => log.name === oldestKept.position!.file);
  if (!anchor)
    return {
      oldestKept,
      removeLogs: [],
      removeSnapshots,
      reason: `the oldest kept snapshot's log ${oldestKept.position!.file} is not in the archive: no log is removed`,
    };
  const removeLogs = logs.filter((log) => (log.stream ?? '') === (anchor.stream ?? '') && log.sequence < anchor.sequence);
  return { oldestKept, removeLogs, removeSnapshots };
}
