import type { Archive } from '../archive/archive.js';
import type { SystemArchive } from './model.js';

/** Reads one system's logs and snapshot records: metadata only, never a log's data. */
export async function readSystemArchive(archive: Archive, systemId: string): Promise<SystemArchive> {
  const [logs, snapshots] = await Promise.all([
    archive.listLogs(systemId),
    archive.listSnapshots(systemId).then(
      (records) => ({ records }),
      (error: unknown) => ({ records: [], error: (error as Error).message }),
    ),
  ]);
  return { systemId, logs, snapshots: snapshots.records, ...('error' in snapshots ? { snapshotsError: snapshots.error } : {}) };
}

/** Every system under the archive root, one after the other (each reads its metadata a batch at a time). */
export async function readFleet(archive: Archive, systemIds: string[]): Promise<SystemArchive[]> {
  const systems: SystemArchive[] = [];
  for (const systemId of systemIds) systems.push(await readSystemArchive(archive, systemId));
  return systems;
}
