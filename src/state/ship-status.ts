import { readIpcJson, writeIpcJson } from './ipc-folder.js';

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

/**
 * The ship service's heartbeat, for `snaplog status`: written only by the service (never by `ship --once`
 * or a freeze's catch-up run, which share the status file above), at the start and end of every round
 * and when it stops. `status` tells a running service from a stopped, dead or stuck one with it.
 */
export interface ShipHeartbeat {
  pid: number;
  startedAt: string;
  heartbeatAt: string;
  /** Set on a clean exit (SIGTERM); a dead service leaves it unset. */
  stoppedAt?: string;
  /** Longest quiet time between two heartbeats of a healthy service: a rescan or a retry backoff. */
  quietSeconds: number;
}

export const SHIP_HEARTBEAT_FILE = 'ship-heartbeat.json';

export function writeShipHeartbeat(ipcFolder: string, heartbeat: ShipHeartbeat): Promise<void> {
  return writeIpcJson(ipcFolder, SHIP_HEARTBEAT_FILE, heartbeat);
}

export function readShipHeartbeat(ipcFolder: string): Promise<ShipHeartbeat | undefined> {
  return readIpcJson<ShipHeartbeat>(ipcFolder, SHIP_HEARTBEAT_FILE);
}
