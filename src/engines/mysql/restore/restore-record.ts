import { join } from 'node:path';
import { SnaplogError } from '../../../errors.js';
import { readOwnFile, writeOwnFile } from '../own-files.js';
import { comparePositions } from '../snapshot-identity.js';
import type { ReplayMethod } from './restore.js';

/** What snaplog did to a data directory, kept in it: a re-run or --resume knows where it stands. */
export const RESTORE_RECORD = 'snaplog-restore.json';

export interface BinlogPoint {
  file: string;
  position: number;
}

export interface RestoreRecord {
  formatVersion: 1;
  snapshotId: string;
  method: ReplayMethod;
  /** recovering: crash recovery running; replaying: the SQL thread is (or was, when the process died) applying. */
  status: 'recovering' | 'replaying' | 'interrupted' | 'failed' | 'done';
  /** The target of the run that wrote this record. */
  target: Record<string, unknown>;
  stop: BinlogPoint & { gtid?: string };
  /** Where this run's replay started, and @@gtid_slave_pos before it: a resume finds its place from there. */
  replayFrom?: BinlogPoint;
  baselineGtid?: string;
  /** Everything up to here is applied (exact after a clean stop; see replayFrom after a crash). */
  appliedThrough?: BinlogPoint;
  lastAppliedGtid?: string;
  /** The private server of the replay: if snaplog is killed it keeps running, and the next run stops it. */
  serverPid?: number;
  stagingDir: string;
  updatedAt: string;
  error?: string;
}

export async function readRestoreRecord(datadir: string): Promise<RestoreRecord | undefined> {
  const text = await readOwnFile(join(datadir, RESTORE_RECORD), 256 * 1024);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as RestoreRecord;
    const valid = record.formatVersion === 1 && typeof record.snapshotId === 'string' && typeof record.status === 'string';
    if (valid && record.stop && typeof record.stop.position === 'number') return record;
  } catch {
    // fall through
  }
  throw new SnaplogError(`${join(datadir, RESTORE_RECORD)} is not a snaplog restore record`, {
    hint: "restore a fresh copy of the snapshot's disk (this one was changed by something else)",
  });
}

export async function writeRestoreRecord(datadir: string, record: RestoreRecord): Promise<void> {
  await writeOwnFile(join(datadir, RESTORE_RECORD), `${JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
}

/** How a restore of a data directory starts, given what an earlier one left there. */
export type RestoreStart =
  | { kind: 'fresh' }
  /** Already at this target: nothing to do. */
  | { kind: 'done'; record: RestoreRecord }
  /** An earlier restore reached an earlier target: replay on from there (no crash recovery). */
  | { kind: 'continue'; record: RestoreRecord; from: BinlogPoint }
  /** An earlier run stopped part way: find where the data directory stands and go on. */
  | { kind: 'resume'; record: RestoreRecord }
  | { kind: 'refuse'; message: string; hint: string };

const at = (point: BinlogPoint): string => `${point.file}:${point.position}`;

/** Pure: the decision table for a data directory that may have been restored before. */
export function decideRestoreStart(
  record: RestoreRecord | undefined,
  plan: { snapshotId: string; stop: BinlogPoint; method: ReplayMethod },
  resume: boolean,
): RestoreStart {
  const refuse = (message: string, hint: string): RestoreStart => ({ kind: 'refuse', message, hint });
  const freshCopy = "start again from a fresh copy of the snapshot's disk";
  if (!record || (record.status === 'done' && record.snapshotId !== plan.snapshotId)) {
    return resume ? refuse('nothing to resume: snaplog has not restored this data directory', 'run the restore without --resume') : { kind: 'fresh' };
  }
  if (record.snapshotId !== plan.snapshotId) {
    return refuse(
      `an unfinished restore from snapshot ${record.snapshotId} is in this data directory; this plan starts from ${plan.snapshotId}`,
      `resume it with --resume --snapshot ${record.snapshotId}, or ${freshCopy}`,
    );
  }
  if (record.status === 'done') {
    const order = comparePositions(plan.stop, record.stop);
    if (order === 0) return { kind: 'done', record };
    if (order > 0) return { kind: 'continue', record, from: record.stop };
    return refuse(
      `the data directory is already restored to ${at(record.stop)}, past this target (${at(plan.stop)})`,
      `a restore cannot go back: ${freshCopy}`,
    );
  }
  if (!resume) {
    return refuse(
      `an earlier restore of this data directory did not finish (${record.status}${record.error ? `: ${record.error.split('\n')[0]}` : ''})`,
      `run the same command with --resume to finish it (the same or a later target), or ${freshCopy}`,
    );
  }
  if (record.method === 'pipe' && record.status !== 'recovering') {
    return refuse(
      'a replay through mariadb-binlog | mariadb cannot be resumed exactly: where it stopped is not known',
      `${freshCopy} (--method relay, the default, can be resumed)`,
    );
  }
  return { kind: 'resume', record };
}
