import type { SnapshotRecord } from '../archive/snapshot-record.js';
import type { FoundDatadir } from './find-datadir.js';

/**
 * Pure: the snapshot records a restored volume can be. Freeze closes the open binlog before the lock, so
 * the volume's newest binlog is the one the snapshot's position stands in, at or after that offset.
 */
export function matchSnapshots(snapshots: SnapshotRecord[], found: FoundDatadir): SnapshotRecord[] {
  const newest = found.newestBinlog;
  if (!newest) return [];
  return snapshots
    .filter((snapshot) => snapshot.position?.file === newest.name && snapshot.position.position <= newest.size)
    .sort((a, b) => b.time.localeCompare(a.time));
}
