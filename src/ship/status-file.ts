import { readIpcJson, writeIpcJson } from '../events/ipc-file.js';

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

export function writeShipStatus(ipcFolder: string, status: ShipStatus): Promise<void> {
  return writeIpcJson(ipcFolder, SHIP_STATUS_FILE, status);
}

export function readShipStatus(ipcFolder: string): Promise<ShipStatus | undefined> {
  return readIpcJson<ShipStatus>(ipcFolder, SHIP_STATUS_FILE);
}
