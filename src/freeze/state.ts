import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FREEZE_STATE_FILE = 'freeze.json';

/** What the freeze holder writes to the ipc folder: who holds what since when. */
export interface FreezeState {
  state: 'idle' | 'freezing' | 'frozen' | 'thawed' | 'timed-out' | 'failed';
  snapshotId?: string;
  holderPid?: number;
  since?: string;
  deadline?: string;
  method?: string;
  lastFrozenMs?: number;
  message?: string;
}

export async function readFreezeState(ipcFolder: string): Promise<FreezeState | undefined> {
  try {
    return JSON.parse(await readFile(join(ipcFolder, FREEZE_STATE_FILE), 'utf8')) as FreezeState;
  } catch {
    return undefined;
  }
}
