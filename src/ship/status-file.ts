import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateFolder } from '../events/channel.js';

/** What the shipping loop last knew, for `snaplog status` (which must not need the database). */
export interface ShipStatus {
  updatedAt: string;
  pid: number;
  mode: 'service' | 'once';
  systemId?: string;
  lastShipped?: { name: string; time?: string; shippedAt: string };
  pending: string[];
  openLog?: string;
  /** Seconds since the oldest commit that is not yet in the archive (0 when all closed logs are shipped and the open log is empty). */
  lagSeconds: number;
  gaps: { before: string; after?: string; missing: string }[];
  lastError?: { time: string; kind: string; message: string };
  consecutiveFailures: number;
}

export const SHIP_STATUS_FILE = 'ship-status.json';

export async function writeShipStatus(ipcFolder: string, status: ShipStatus): Promise<void> {
  await ensurePrivateFolder(ipcFolder);
  const path = join(ipcFolder, SHIP_STATUS_FILE);
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

export async function readShipStatus(ipcFolder: string): Promise<ShipStatus | undefined> {
  try {
    return JSON.parse(await readFile(join(ipcFolder, SHIP_STATUS_FILE), 'utf8')) as ShipStatus;
  } catch {
    return undefined;
  }
}
