import { watch } from 'node:fs';
import { sleep } from './deadline.js';

export interface IpcFileWatch {
  /** Resolves at the next change of one of the files, or after `recheckMs` (a missed event costs at most that). */
  next: (recheckMs: number) => Promise<void>;
  close: () => void;
}

/** Wakes a waiter when one of `names` in the ipc folder is written (state files are renamed into place). */
export function watchIpcFiles(ipcFolder: string, names: readonly string[]): IpcFileWatch {
  let wake: () => void = () => undefined;
  let changed = false;
  const watcher = watch(ipcFolder, (_event, name) => {
    if (name !== null && names.includes(name)) {
      changed = true;
      wake();
    }
  });
  watcher.on('error', () => undefined);
  return {
    next: async (recheckMs) => {
      if (!changed) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(recheckMs)]);
      changed = false;
      wake = () => undefined;
    },
    close: () => watcher.close(),
  };
}
