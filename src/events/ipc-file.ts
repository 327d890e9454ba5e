import { constants, openSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { APPEND_NO_FOLLOW, checkIpcFolder, ensurePrivateFolder, READ_NO_FOLLOW } from './channel.js';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes a JSON state file into the ipc folder (0700) atomically, readable by root only (0600). */
export async function writeIpcJson(ipcFolder: string, name: string, value: unknown): Promise<void> {
  await ensurePrivateFolder(ipcFolder);
  const path = join(ipcFolder, name);
  const temp = `${path}.tmp-${process.pid}`;
  let handle;
  try {
    handle = await open(temp, CREATE_NEW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Left by a crashed process with this pid (or planted): removed, never written through.
    await unlink(temp);
    handle = await open(temp, CREATE_NEW, 0o600);
  }
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
  } finally {
    await handle.close();
  }
  // rename replaces whatever has the name (a symlink included) without following it.
  await rename(temp, path);
}

/**
 * A state file from the ipc folder; undefined when it is missing, torn, or not a plain file (a symlink).
 * An ipc folder another user owns is an error: its state could be forged.
 */
export async function readIpcJson<T>(ipcFolder: string, name: string): Promise<T | undefined> {
  if (!(await checkIpcFolder(ipcFolder))) return undefined;
  try {
    const handle = await open(join(ipcFolder, name), READ_NO_FOLLOW);
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      return JSON.parse(await handle.readFile('utf8')) as T;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** A log file in the ipc folder (the holder's stdout and stderr), opened for appending, 0600, never through a symlink. */
export function openIpcLogSync(ipcFolder: string, name: string): number {
  return openSync(join(ipcFolder, name), APPEND_NO_FOLLOW, 0o600);
}
