/**
 * The ipc folder ([workload] ipc_folder): snaplog's own 0700 folder for the state files the ship service, the
 * freeze hooks and `status` share, and the events channel. Owning it, and reading and writing its files.
 */
import { constants, openSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { SnaplogError } from '../errors.js';

/** Every file in the ipc folder is opened without following a symlink planted in its place. */
export const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
export const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates the folder 0700, or tightens it when it exists with looser bits. It must be a real folder (not
 * a symlink) owned by the user snaplog runs as: a folder another user owns could be handed symlinks or
 * forged state (a holder pid to signal), so it is refused, not used.
 */
export async function ensurePrivateFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const info = await checkIpcFolder(folder);
  if (info && (info.mode & 0o077) !== 0) await chmod(folder, 0o700); // trusted: checkIpcFolder proved it a real folder of ours
}

/** The ipc folder's lstat when it is a real folder owned by snaplog's user; undefined when missing; else an error saying what to do. */
export async function checkIpcFolder(folder: string): Promise<Stats | undefined> {
  let info: Stats;
  try {
    info = await lstat(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const euid = process.geteuid?.() ?? info.uid;
  if (!info.isDirectory()) {
    throw new SnaplogError(`the ipc folder ${folder} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}`, {
      hint: 'set [workload] ipc_folder to a real folder path (no symlink), e.g. /var/lib/snaplog/ipc',
    });
  }
  if (info.uid !== euid) {
    const user = userName(euid);
    const owner = `owned by uid ${info.uid}, not by ${user} (uid ${euid}) that snaplog runs as`;
    throw new SnaplogError(`the ipc folder ${folder} is ${owner}: another user could plant files in it`, {
      hint:
        `give it back: chown ${euid}:${process.getegid?.() ?? 0} ${folder} && chmod 0700 ${folder} ` +
        `(the ship service, hooks and thaw all run as ${user}), or point [workload] ipc_folder at a new folder`,
    });
  }
  return info;
}

function userName(uid: number): string {
  try {
    return userInfo().uid === uid ? userInfo().username : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

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
