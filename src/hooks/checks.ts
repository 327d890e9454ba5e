/**
 * Product switches outside the hook files that decide whether the product runs them at all. Read-only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURE_WORKLOAD_CONF } from './azure.js';
import { readGcpSnapshotSettings } from './gcp-agent.js';
import { iniValue } from './ini.js';

export { iniValue } from './ini.js';

function underRoot(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The workload names for which Azure Backup's extension takes its own database path (VMBackup/main/
 * workloadPatch: FLUSH TABLES WITH READ LOCK + read_only for MySQL/MariaDB, BEGIN BACKUP for Oracle, its
 * PostgreSQL path) instead of the ScriptRunner scripts. Any other name (e.g. snaplog's `iris`) is ignored
 * by Azure, so it may stay in workload.conf, where snaplog reads it.
 */
export const AZURE_DIVERTING_WORKLOADS = ['oracle', 'mysql', 'mariadb', 'postgres'] as const;

/** Pure: does this workload_name make Azure run its own freeze? (Compared without case: refusing too much is the safe side.) */
export function azureDivertsFor(workloadName: string): boolean {
  return (AZURE_DIVERTING_WORKLOADS as readonly string[]).includes(workloadName.trim().toLowerCase());
}

/**
 * The workload_name in /etc/azure/workload.conf when it is one for which Azure Backup runs its own database
 * freeze and skips snaplog's scripts; undefined when the scripts will run.
 */
export async function azureWorkloadName(root: string): Promise<string | undefined> {
  const text = await readOptional(underRoot(root, AZURE_WORKLOAD_CONF));
  const name = text === undefined ? undefined : iniValue(text, 'workload', 'workload_name');
  return name && azureDivertsFor(name) ? name : undefined;
}

/** Is google-guest-agent's `[Snapshots] enabled` on, spelled any way the agent accepts, in the file that wins? */
export async function gcpSnapshotsEnabled(root: string): Promise<boolean> {
  return (await readGcpSnapshotSettings(root)).enabled.value;
}
