import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SnaplogError } from './errors.js';

/**
 * File access for folders someone else can write (archive, restored disk, staging, ipc): never through a
 * symlink, new files never over an existing name. Every write goes through an open descriptor.
 */
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

/** Reads a regular file without following a symlink at its last component. */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  const handle = await open(path, O_RDONLY | O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new SnaplogError(`${path} is not a regular file`, { hint: 'something replaced it: check who can write to its folder' });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Creates a new file (fails if the name exists, even as a dangling symlink) and writes it through the descriptor. */
export async function writeNewFile(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const handle = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Opens a new file for streaming writes: O_EXCL|O_NOFOLLOW. */
export function createNewFile(path: string, mode = 0o600): Promise<FileHandle> {
  return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

/**
 * A folder only its owner can use: created 0700 if missing; an existing one must be a real directory
 * (not a symlink) owned by `uid` and closed to group and others.
 */
export async function ensurePrivateDir(path: string, uid = process.getuid?.() ?? 0): Promise<void> {
  await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(path);
  if (!info.isDirectory())
    throw new SnaplogError(`${path} is not a directory (a symlink or a file is in its place)`, { hint: `remove ${path}; snaplog creates it` });
  if (info.uid !== uid)
    throw new SnaplogError(`${path} is owned by uid ${info.uid}, not ${uid}`, {
      hint: `remove ${path} or chown it to uid ${uid}; snaplog trusts only its own folder`,
    });
  if ((info.mode & 0o077) !== 0)
    throw new SnaplogError(`${path} is open to other users (mode ${(info.mode & 0o777).toString(8)})`, { hint: `chmod 700 ${path}` });
}

/** fsync of a folder: a rename or create in it is durable once this returns. */
export async function fsyncFolder(path: string): Promise<void> {
  const handle = await open(path, O_RDONLY | O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A fresh temp file beside `target` (O_EXCL|O_NOFOLLOW) holding `content` with its mode and owner, synced. */
async function writeTempBeside(target: string, content: string | Buffer, options: { mode: number; owner?: { uid: number; gid: number } }): Promise<string> {
  const temp = join(dirname(target), `.${basename(target)}.snaplog-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const handle = await createNewFile(temp, 0o600);
  try {
    await handle.writeFile(content);
    await handle.chmod(options.mode);
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temp;
}

/**
 * A fresh temp file beside `target` (O_EXCL|O_NOFOLLOW) → content, mode, owner, fsync → rename over the
 * target → fsync the folder. A reader never sees half a file, and a symlink at `target` is replaced, not followed.
 */
export async function writeFileAtomic(
  target: string,
  content: string | Buffer,
  options: { mode: number; owner?: { uid: number; gid: number } },
): Promise<void> {
  const temp = await writeTempBeside(target, content, options);
  try {
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncFolder(dirname(target));
}

/**
 * Like writeNewFile (EEXIST when `target` exists, whatever it is), but the file appears whole: written to a
 * temp file first, then hard-linked to `target`. Two processes racing to create it: one wins, and the other
 * reads the winner's complete content, never an empty file.
 */
export async function publishNewFile(target: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const temp = await writeTempBeside(target, content, { mode });
  try {
    await link(temp, target);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await fsyncFolder(dirname(target));
}
