import { readFile } from 'node:fs/promises';
import type { LogPosition } from '../archive/snapshot-record.js';
import { readIpcJson, writeIpcJson } from '../events/ipc-file.js';
import { isProcessAlive } from '../processes.js';

export const FREEZE_STATE_FILE = 'freeze.json';

export type FreezeStateName = 'freezing' | 'frozen' | 'thawed' | 'timed-out' | 'failed';

/** The ipc folder's account of the current or last freeze: who holds what since when. */
export interface FreezeState {
  state: FreezeStateName;
  snapshotId: string;
  systemId?: string;
  /** The pre-step's process while it runs, then the detached holder that owns the database session. */
  prePid?: number;
  holderPid?: number;
  startedAt: string;
  frozenAt?: string;
  deadline?: string;
  releasedAt?: string;
  frozenMs?: number;
  method?: string;
  position?: LogPosition;
  product?: string;
  message?: string;
  /** The snapshot record in the archive carries the final state (written after the lock is released). */
  recordUpdated?: boolean;
  /** The watchdog process of a global freeze (IRIS, Oracle) while it watches. */
  watchdogPid?: number;
  /** Who ended the freeze when the holder could not: the watchdog. */
  releasedBy?: 'watchdog';
  /** The pre-step while it undoes a failed freeze: the watchdog leaves ending the freeze to it. */
  undoPid?: number;
  /** A thaw has reported this failed freeze (the next one says "nothing frozen"). */
  failureReported?: boolean;
}

export function readFreezeState(ipcFolder: string): Promise<FreezeState | undefined> {
  return readIpcJson<FreezeState>(ipcFolder, FREEZE_STATE_FILE);
}

export function writeFreezeState(ipcFolder: string, state: FreezeState): Promise<void> {
  return writeIpcJson(ipcFolder, FREEZE_STATE_FILE, state);
}

export { isProcessAlive } from '../processes.js';

/** A pid from a state file is only signalled if it is still our holder (pids get reused). */
export async function isHolderProcess(pid: number | undefined, snapshotId: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.includes('__freeze-holder') && cmdline.includes(snapshotId);
  } catch {
    return false;
  }
}

/** Pure: a freeze that is still in force (its holder alive) blocks a second one. */
export function isActive(state: FreezeState | undefined, holderAlive: boolean): boolean {
  if (!state) return false;
  if (state.state === 'frozen') return holderAlive;
  if (state.state === 'freezing') return holderAlive || isProcessAlive(state.prePid);
  return false;
}

export function newSnapshotId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
}
