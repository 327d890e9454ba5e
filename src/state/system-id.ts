import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SnaplogError } from '../errors.js';
import { publishNewFile } from '../safe-files.js';
import { ensurePrivateFolder, readIpcJson } from './ipc-folder.js';
import { SHIP_STATUS_FILE } from './ship-status.js';

/**
 * The archive folder a database system ships to. Neither the server's own ids will do: MariaDB's default
 * server_id is 1 on every host, and a cloned image carries the source's server_uuid. snaplog chooses an id
 * once per VM, keeps it in the ipc folder and binds it to the machine id: a clone (a new machine id with
 * the same file) must not write into the original's folder.
 */
export interface StoredSystemId {
  id: string;
  machineId: string;
  chosenAt: string;
  /** 'generated', or 'adopted' from the ship status of an installation that predates this file. */
  origin: 'generated' | 'adopted';
}

export const SYSTEM_ID_FILE = 'system-id.json';

function machineIdFile(): string {
  return process.env['SNAPLOG_MACHINE_ID_FILE'] ?? '/etc/machine-id';
}

async function currentMachineId(): Promise<string> {
  return (await readFile(machineIdFile(), 'utf8').catch(() => 'unknown')).trim() || 'unknown';
}

/** Pure: a new id from the host name (cut to the archive's name rule) and 48 random bits. */
export function newSystemId(host: string, random: Buffer): string {
  const base =
    host
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 40) || 'db';
  return `${base}-${random.toString('hex')}`;
}

export async function stableSystemId(ipcFolder: string): Promise<string> {
  const machineId = await currentMachineId();
  const stored = await readIpcJson<StoredSystemId>(ipcFolder, SYSTEM_ID_FILE);
  if (stored?.id) return checkedAgainstMachine(stored, machineId, ipcFolder);
  // An installation from before system-id.json recorded its id in the ship status.
  const previous = (await readIpcJson<{ systemId?: string }>(ipcFolder, SHIP_STATUS_FILE))?.systemId;
  const record: StoredSystemId = {
    id: previous ?? newSystemId(hostname(), randomBytes(6)),
    machineId,
    chosenAt: new Date().toISOString(),
    origin: previous ? 'adopted' : 'generated',
  };
  await ensurePrivateFolder(ipcFolder);
  try {
    await publishNewFile(join(ipcFolder, SYSTEM_ID_FILE), `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another snaplog process chose first: its choice stands.
    const chosen = await readIpcJson<StoredSystemId>(ipcFolder, SYSTEM_ID_FILE);
    if (!chosen?.id) throw error;
    return checkedAgainstMachine(chosen, machineId, ipcFolder);
  }
  return record.id;
}

function checkedAgainstMachine(stored: StoredSystemId, machineId: string, ipcFolder: string): string {
  if (stored.machineId === machineId) return stored.id;
  throw new SnaplogError(
    `this machine's id (${machineIdFile()}) is not the one system id ${stored.id} was chosen on: this VM looks like a clone or a copy of another`,
    {
      exitCode: 2,
      hint:
        `a clone must ship into its own folder: remove ${ipcFolder}/${SYSTEM_ID_FILE} (a new id is chosen) or set [archive] system_id; ` +
        `if this really is the same VM (its machine id was regenerated), set [archive] system_id = ${stored.id}`,
    },
  );
}
