import type { SnapshotRecord } from '../../archive/snapshot-record.js';
import { binlogSequence } from './binlog-index.js';
import type { DatadirFacts } from './datadir-facts.js';
import type { SnapshotIdentity } from '../types.js';

export type { SnapshotIdentity } from '../types.js';

type Facts = Pick<DatadirFacts, 'marker' | 'markerProblem' | 'newestBinlog' | 'innodb'>;

const at = (position: { file: string; position: number }): string => `${position.file}:${position.position}`;

/** Orders two binlog positions of one server: by the file's number, then the offset. */
export function comparePositions(a: { file: string; position: number }, b: { file: string; position: number }): number {
  const bySequence = binlogSequence(a.file) - binlogSequence(b.file);
  return bySequence !== 0 ? bySequence : a.position - b.position;
}

/**
 * Freeze closes the open binlog before it takes the lock, so each snapshot stands in a binlog of its own,
 * which is the newest one on the frozen disk. The marker freeze leaves in the data directory names the
 * snapshot outright, unless a newer binlog shows the disk was copied later (a stale marker).
 */
export function identifySnapshot(records: SnapshotRecord[], facts: Facts): SnapshotIdentity {
  const evidence: string[] = [];
  const newest = facts.newestBinlog;
  if (newest) evidence.push(`newest binlog ${newest.name} (${newest.size} bytes)`);
  if (facts.markerProblem) evidence.push(`snaplog-snapshot.json ignored: ${facts.markerProblem}`);
  let marker = facts.marker;
  if (marker) {
    const stale = newest && binlogSequence(newest.name) > binlogSequence(marker.position.file);
    const beyond = newest && !stale && (newest.name !== marker.position.file || newest.size < marker.position.position);
    if (stale) evidence.push(`snaplog-snapshot.json (snapshot ${marker.snapshotId}) is older than the newest binlog: ignored`);
    else if (beyond) {
      const reason = `snaplog-snapshot.json names ${at(marker.position)} but the newest binlog is ${newest.name} (${newest.size} bytes)`;
      return { kind: 'unknown', reason, evidence };
    } else evidence.push(`snaplog-snapshot.json names snapshot ${marker.snapshotId} at ${at(marker.position)}`);
    if (stale) marker = undefined;
  }
  const fromMarker = marker ? records.find((record) => record.id === marker.snapshotId) : undefined;
  if (marker) {
    if (!fromMarker) return { kind: 'unusable', snapshotId: marker.snapshotId, status: 'not in the archive', evidence };
    const gtidsDiffer = fromMarker.position?.gtid && marker.position.gtid && fromMarker.position.gtid !== marker.position.gtid;
    if (fromMarker.position && (at(fromMarker.position) !== at(marker.position) || gtidsDiffer)) {
      const reason = `snaplog-snapshot.json says ${at(marker.position)} but the archive's record of snapshot ${marker.snapshotId} says ${at(fromMarker.position)}`;
      return { kind: 'unknown', reason, evidence };
    }
  }
  const byBinlog = newest ? records.filter((record) => record.position?.file === newest.name && record.position.position <= newest.size) : [];
  let snapshot = fromMarker;
  if (!snapshot) {
    const exact = byBinlog.filter((record) => record.position!.position === newest!.size);
    const only = byBinlog.length === 1 ? byBinlog[0] : exact.length === 1 ? exact[0] : undefined;
    if (!only) {
      const reason = !newest
        ? 'no snaplog-snapshot.json and no binlog index in or beside the data directory'
        : byBinlog.length === 0
          ? `no snapshot record stands in ${newest.name}, its newest binlog`
          : `several snapshots stand in ${newest.name}: ${byBinlog.map((record) => record.id).join(', ')}`;
      return { kind: 'unknown', reason, evidence };
    }
    snapshot = only;
  }
  if (facts.innodb) evidence.push(`InnoDB's last recorded binlog position ${at(facts.innodb)}`);
  if (snapshot.status !== 'thawed' || !snapshot.position) return { kind: 'unusable', snapshotId: snapshot.id, status: snapshot.status, evidence };
  return { kind: 'identified', snapshot, evidence };
}

/**
 * Pure: the snapshot a restore of this data directory must start from: the one it is. An explicit
 * `--snapshot` that disagrees is refused; without clues only an explicit one is accepted. Returns the id
 * or a refusal (message + hint) for the caller to raise.
 */
export function snapshotForDatadir(
  identity: SnapshotIdentity,
  requested: string | undefined,
  context: { records: SnapshotRecord[]; innodb?: { file: string; position: number } } = { records: [] },
): { snapshotId: string; note?: string } | { refusal: string; hint: string } {
  const chosen = chooseSnapshot(identity, requested);
  const record = 'snapshotId' in chosen ? context.records.find((candidate) => candidate.id === chosen.snapshotId) : undefined;
  if (record?.position && context.innodb && comparePositions(context.innodb, record.position) > 0) {
    return {
      refusal: `InnoDB in the data directory recorded commits up to ${at(context.innodb)}, after snapshot ${record.id}'s position ${at(record.position)}: \
it is a later copy`,
      hint: "give the --snapshot the disk was restored from, or restore that snapshot's disk (snaplog attach names it)",
    };
  }
  return chosen;
}

function chooseSnapshot(identity: SnapshotIdentity, requested: string | undefined): { snapshotId: string; note?: string } | { refusal: string; hint: string } {
  const clues = identity.evidence.length ? ` (${identity.evidence.join('; ')})` : '';
  switch (identity.kind) {
    case 'identified':
      if (requested && requested !== identity.snapshot.id) {
        return {
          refusal: `the data directory is snapshot ${identity.snapshot.id}, not ${requested}${clues}`,
          hint: `leave out --snapshot (or give --snapshot ${identity.snapshot.id}); to start from ${requested}, attach that snapshot's disk`,
        };
      }
      return { snapshotId: identity.snapshot.id };
    case 'unusable':
      return {
        refusal: `the data directory is snapshot ${identity.snapshotId}, which is ${identity.status}: it cannot be rolled forward exactly${clues}`,
        hint: 'restore the disk of another snapshot (snaplog list shows the usable ones)',
      };
    case 'unknown':
      if (requested) {
        return {
          snapshotId: requested,
          note: `which snapshot the data directory is could not be told (${identity.reason}); using --snapshot ${requested} as given`,
        };
      }
      return {
        refusal: `cannot tell which snapshot the data directory is: ${identity.reason}${clues}`,
        hint: 'give --snapshot ID of the snapshot this disk was restored from (snaplog list shows them; snaplog attach names the one it finds)',
      };
  }
}
