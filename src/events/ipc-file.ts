import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateFolder } from './channel.js';

/** Writes a JSON state file into the ipc folder (0700) atomically, readable by root only (0600). */
export async function writeIpcJson(ipcFolder: string, name: string, value: unknown): Promise<void> {
  await ensurePrivateFolder(ipcFolder);
  const path = join(ipcFolder, name);
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** A state file from the ipc folder; undefined when it is missing or torn. */
export async function readIpcJson<T>(ipcFolder: string, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(ipcFolder, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
}
