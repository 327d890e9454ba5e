/**
 * The staging folder of an IRIS or Oracle restore, where the archived logs are fetched for the instance to
 * read. snaplog runs as root and the archive is not trusted, so the folder is created new (a random name
 * under the temp folder, or the --staging path, which must not exist yet) and checked, every file in it
 * is created with O_EXCL|O_NOFOLLOW and checked against its sha256, and ownership goes to the database
 * user through fchown on open descriptors, files first, the folder last: no path is ever followed.
 */
import { writeNewFile } from '../safe-files.js';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, mkdir, mkdtemp, open, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import type { Archive } from '../archive/archive.js';
import { SnaplogError } from '../errors.js';
import { currentUserName } from '../processes.js';
import { LogChecksumError } from '../archive/fetch.js';
import type { FetchedLog, PlannedLog } from '../archive/fetch.js';

export interface UserIds {
  uid: number;
  gid: number;
}

export interface Staging {
  path: string;
  /** Who the files are handed to; undefined when this process's user is the database user (or not root). */
  owner?: UserIds;
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const FILE_MODE = 0o640;
const FOLDER_MODE = 0o750;

/** Pure: uid and gid from a passwd line (`name:x:uid:gid:…`), as `getent passwd NAME` prints it. */
export function parsePasswdLine(line: string, user: string): UserIds | undefined {
  const fields = line.trim().split(':');
  if (fields.length < 4 || fields[0] !== user || !/^\d+$/.test(fields[2]!) || !/^\d+$/.test(fields[3]!)) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Pure: a name from the archive as a file name in the staging folder, or an error (never a path). */
export function stagedFileName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/.test(name) || name.includes('..')) {
    throw new SnaplogError(`the archive names a log ${JSON.stringify(name.slice(0, 80))}, which is not a plain file name: nothing was fetched or applied`, {
      hint: 'run snaplog verify: an entry in the archive was forged or damaged',
    });
  }
  return name;
}

/** The ids of [workload] linux_user when snaplog (as root) must hand the staged files to it. */
export async function databaseUserIds(user: string): Promise<UserIds | undefined> {
  if (process.geteuid?.() !== 0 || user === 'root' || user === currentUserName()) return undefined;
  const lookup = await execa('getent', ['passwd', user], { reject: false });
  const ids = parsePasswdLine(String(lookup.stdout ?? '').split('\n')[0] ?? '', user);
  if (!ids) {
    throw new SnaplogError(`[workload] linux_user ${user} is not a user on this machine: the instance could not read the fetched logs`, {
      hint: 'set linux_user to the database owner (IRIS: ls -l <install>/mgr, e.g. irisowner; Oracle: oracle)',
    });
  }
  return ids;
}

/**
 * Creates the staging folder: `requested` (a path that does not exist yet, in a folder only root or this
 * user can change), or a new random folder under the temp folder. Checked after creation: a real folder,
 * owned by this process's user, mode 0700.
 */
export async function createStaging(requested: string | undefined, label: string, owner: UserIds | undefined): Promise<Staging> {
  let path: string;
  if (requested === undefined) path = await mkdtemp(join(tmpdir(), `snaplog-${label}-`));
  else {
    path = resolve(requested);
    await checkParent(path);
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const why = 'the staging folder is always created new, so nothing another user put there (files, links) is used';
        throw new SnaplogError(`--staging ${path} already exists: ${why}`, {
          hint: 'give a path that does not exist yet (its parent must), or leave --staging out for a new folder under the temp folder',
        });
      }
      throw new SnaplogError(`could not create the staging folder ${path}: ${(error as Error).message}`, {
        hint: 'its parent folder must exist and be writable by root',
      });
    }
  }
  const info = await lstat(path);
  const euid = process.geteuid?.() ?? info.uid;
  if (!info.isDirectory() || info.uid !== euid || (info.mode & 0o777) !== 0o700) {
    const found = `owner uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)}`;
    throw new SnaplogError(`the staging folder ${path} is not the private folder snaplog just created (${found})`, {
      hint: 'another process is changing the parent folder: use --staging in a folder only root can write',
    });
  }
  return { path, owner };
}

/** The parent of --staging must not let anyone else rename or replace what snaplog creates in it. */
async function checkParent(path: string): Promise<void> {
  const parent = dirname(path);
  const info = await stat(parent).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SnaplogError(`the parent of --staging ${path} is not a folder`, { hint: `create ${parent} first, or leave --staging out` });
  }
  const euid = process.geteuid?.() ?? info.uid;
  const sticky = (info.mode & 0o1000) !== 0;
  const othersMayWrite = (info.mode & 0o022) !== 0 && !sticky;
  if ((info.uid !== 0 && info.uid !== euid) || othersMayWrite) {
    const found = `owner uid ${info.uid}, mode ${(info.mode & 0o7777).toString(8)}`;
    throw new SnaplogError(`--staging ${path} is in ${parent}, which another user can change (${found})`, {
      hint: 'put the staging folder in a folder owned by root and writable only by it (or /tmp), or leave --staging out',
    });
  }
}

/** Gives an open file (or folder) to the database user and sets its mode, on the descriptor. */
async function handOver(handle: FileHandle, staging: Staging, mode: number): Promise<void> {
  if (staging.owner) await handle.chown(staging.owner.uid, staging.owner.gid);
  await handle.chmod(mode);
}

/**
 * Fetches the planned logs into the staging folder, one new file each, checking every sha256 before the
 * file is handed over; a log that does not match is removed and nothing is applied.
 */
export async function fetchIntoStaging(
  archive: Archive,
  systemId: string,
  logs: PlannedLog[],
  staging: Staging,
  onFetched?: (log: FetchedLog) => void,
): Promise<FetchedLog[]> {
  const fetched: FetchedLog[] = [];
  for (const log of logs) {
    const path = join(staging.path, stagedFileName(log.name));
    const handle = await open(path, CREATE_NEW, 0o600);
    let ok = false;
    try {
      const hash = createHash('sha256');
      for await (const chunk of archive.openLog(systemId, log)) {
        hash.update(chunk as Buffer);
        await handle.write(chunk as Buffer);
      }
      await handle.sync();
      const digest = hash.digest('hex');
      if (digest !== log.sha256) throw new LogChecksumError(log.name, log.sha256, digest);
      await handOver(handle, staging, FILE_MODE);
      ok = true;
    } finally {
      await handle.close();
      if (!ok) await unlink(path).catch(() => undefined);
    }
    const result = { ...log, path };
    fetched.push(result);
    onFetched?.(result);
  }
  return fetched;
}

/** Writes a new file (a script, a file list) into the staging folder and hands it over. */
export async function writeStagingFile(staging: Staging, name: string, content: string): Promise<string> {
  const path = join(staging.path, stagedFileName(name));
  const handle = await open(path, CREATE_NEW, 0o600);
  try {
    await handle.writeFile(content);
    await handOver(handle, staging, FILE_MODE);
  } finally {
    await handle.close();
  }
  return path;
}

/** Last: the folder itself goes to the database user (read and search only for its group). */
export async function sealStaging(staging: Staging): Promise<void> {
  const handle = await open(staging.path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handOver(handle, staging, FOLDER_MODE);
  } finally {
    await handle.close();
  }
}

/** What --dry-run shows for the staging folder when none is given (the real one gets a random suffix). */
export function stagingPlaceholder(requested: string | undefined, label: string): string {
  return requested === undefined ? join(tmpdir(), `snaplog-${label}-XXXXXX`) : resolve(requested);
}

/** A file the user names for output (--iris-script): created new, never through a symlink, never over another file. */
export async function writeNewOutputFile(path: string, content: string, mode = 0o644): Promise<void> {
  await writeNewFile(path, content, mode).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
    throw new SnaplogError(`${path} already exists`, { hint: 'give a new file name; snaplog does not overwrite files' });
  });
}
