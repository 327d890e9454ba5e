import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LogPosition } from '../../archive/snapshot-record.js';
import { readOwnFile, removeOwnFile, writeOwnFile } from './own-files.js';
import { fsyncFolder } from '../../safe-files.js';

/**
 * The note `freeze` leaves in the data directory while the lock is held (removed again at thaw): a copy
 * of the disk taken during the freeze says which snapshot it is.
 */
export const SNAPSHOT_MARKER = 'snaplog-snapshot.json';

export interface SnapshotMarker {
  formatVersion: 1;
  snapshotId: string;
  position: LogPosition;
  writtenAt: string;
  host: string;
}

const SNAPSHOT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const BINLOG_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Pure: the marker, or why the text is not one (the data directory is hostile input). */
export function parseSnapshotMarker(text: string): SnapshotMarker | { problem: string } {
  let value: Partial<SnapshotMarker>;
  try {
    value = JSON.parse(text) as Partial<SnapshotMarker>;
  } catch {
    return { problem: 'not JSON' };
  }
  const position = value.position;
  if (
    value.formatVersion !== 1 ||
    typeof value.snapshotId !== 'string' ||
    !SNAPSHOT_ID.test(value.snapshotId) ||
    typeof position !== 'object' ||
    position === null ||
    typeof position.file !== 'string' ||
    !BINLOG_NAME.test(position.file) ||
    !Number.isSafeInteger(position.position) ||
    (position.gtid !== undefined && typeof position.gtid !== 'string')
  ) {
    return { problem: 'not a snaplog snapshot marker (formatVersion 1, snapshotId, position)' };
  }
  return {
    formatVersion: 1,
    snapshotId: value.snapshotId,
    position: { file: position.file, position: position.position, ...(position.gtid ? { gtid: position.gtid } : {}) },
    writtenAt: String(value.writtenAt ?? ''),
    host: String(value.host ?? ''),
  };
}

/** Written by root into the live data directory: a new file, never through a link planted at the name. */
export async function writeSnapshotMarker(datadir: string, snapshotId: string, position: LogPosition): Promise<void> {
  const marker: SnapshotMarker = { formatVersion: 1, snapshotId, position, writtenAt: new Date().toISOString(), host: hostname() };
  await writeOwnFile(join(datadir, SNAPSHOT_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
  await fsyncFolder(datadir);
}

export async function removeSnapshotMarker(datadir: string): Promise<void> {
  await removeOwnFile(join(datadir, SNAPSHOT_MARKER));
}

export async function readSnapshotMarker(datadir: string): Promise<SnapshotMarker | { problem: string } | undefined> {
  let text: string | undefined;
  try {
    text = await readOwnFile(join(datadir, SNAPSHOT_MARKER), 64 * 1024);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return text === undefined ? undefined : parseSnapshotMarker(text);
}
