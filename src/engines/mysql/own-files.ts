import { constants } from 'node:fs';
import { lstat, mkdir, open, unlink } from 'node:fs/promises';
import { SnaplogError } from '../../errors.js';

/**
 * snaplog's own files inside a data directory it does not trust (a restored disk, the mysql user's
 * folder): whatever sits at the name is removed first (a planted symlink is unlinked, never followed),
 * then the file is created new with O_EXCL|O_NOFOLLOW, handed over with fchown on the descriptor.
 */
export interface Owner {
  uid: number;
  gid: number;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;
const NOT_THE_DATABASE = 'it is not part of the database';

/** Removes a file, symlink or socket at `path` without following it; a folder there is an error. */
export async function removeOwnFile(path: string): Promise<void> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return;
  if (info.isDirectory()) {
    throw new SnaplogError(`${path} is a folder where snaplog keeps a file of its own`, {
      hint: `move that folder away (${NOT_THE_DATABASE}) and run the command again`,
    });
  }
  await unlink(path);
}

/** Writes `data` to a new file at `path` (after removing what was there), fsynced; owned by `owner` when given. */
export async function writeOwnFile(path: string, data: string | Buffer, options: { mode?: number; owner?: Owner } = {}): Promise<void> {
  await removeOwnFile(path);
  const handle = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? 0o600);
  try {
    await handle.writeFile(data);
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a small regular file without following a symlink at its name; undefined when there is none. */
export async function readOwnFile(path: string, maxBytes = 1 << 20): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new SnaplogError(`${path} is a symbolic link, not a file snaplog wrote`, {
        hint: `remove it (${NOT_THE_DATABASE}) and run the command again`,
      });
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxBytes) {
      throw new SnaplogError(`${path} is not a small regular file`, {
        hint: `remove it (${NOT_THE_DATABASE}) and run the command again`,
      });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A new folder (non-recursive mkdir: an existing one, or a symlink at the name, is refused), mode 0700,
 * handed to `owner` through a descriptor opened without following links.
 */
export async function makeOwnFolder(path: string, owner?: Owner, mode = 0o700): Promise<void> {
  await mkdir(path, { mode });
  const handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** fchown of an existing regular file reached without following a symlink at its last component. */
export async function chownOwnFile(path: string, owner: Owner): Promise<void> {
  const handle = await open(path, O_RDONLY | O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new SnaplogError(`${path} is not a regular file`, { hint: 'remove it and run the command again' });
    await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}
