import type { Archive } from '../archive/archive.js';
import { engineOfArchive } from '../engines/registry.js';
import type { SystemArchive, SystemEngine } from './model.js';

/** Reads one system's logs and snapshot records: metadata only, never a log's data. */
export async function readSystemArchive(archive: Archive, systemId: string): Promise<SystemArchive> {
  const [logs, snapshots] = await Promise.all([
    archive.listLogs(systemId),
    archive.listSnapshots(systemId).then(
      (records) => ({ records }),
      (error: unknown) => ({ records: [], error: (error as Error).message }),
    ),
  ]);
  const archiveName = logs.find((log) => log.metadata)?.metadata?.engine ?? snapshots.records[0]?.engine;
  const engine = await systemEngine(archiveName);
  return { systemId, logs, snapshots: snapshots.records, ...(engine ? { engine } : {}), ...('error' in snapshots ? { snapshotsError: snapshots.error } : {}) };
}

/** What the report needs to know of the engine that wrote a system's archive (the registry's answer, as data). */
export async function systemEngine(archiveName: string | undefined): Promise<SystemEngine | undefined> {
  const entry = engineOfArchive(archiveName);
  if (!entry) return undefined;
  const chainRules = await entry.chainRules?.();
  return {
    name: entry.archiveName,
    ...(entry.positionLabel ? { positionLabel: entry.positionLabel } : {}),
    restoreInto: entry.restoreIntoExample ?? [],
    ...(chainRules ? { chainRules } : {}),
  };
}

/** Every system under the archive root, one after the other (each reads its metadata a batch at a time). */
export async function readFleet(archive: Archive, systemIds: string[]): Promise<SystemArchive[]> {
  const systems: SystemArchive[] = [];
  for (const systemId of systemIds) systems.push(await readSystemArchive(archive, systemId));
  return systems;
}
