import { constants } from 'node:fs';
import type { Dirent } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, statfs, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StorageDriver, StoredEntry, StoredFileInfo } from './storage.js';
import { archivePathSegments, UnsafeArchivePathError } from './names.js';
import { isProcessAlive } from '../processes.js';

const FILE_MODE = 0o640;
const DIR_MODE = 0o750;
/** `.<name>.tmp-<pid>-<random>`: what writeTemp creates. */
const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** O_NONBLOCK: a FIFO planted in the archive must not hang the open; it is refused as not a regular file. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * A name inside an open folder, as a path the kernel resolves from that folder's descriptor (what openat
 * does): the folder cannot be swapped for a symbolic link between the check and the use.
 */
function at(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Written bytes after which the data so far is flushed to disk in the background (fdatasync) while the copy goes on. */
const FLUSH_EVERY_BYTES = 32 << 20;

/**
 * One write in flight while the next chunk is read, hashed and parsed: the copy is not serialised. Every
 * FLUSH_EVERY_BYTES a background fdatasync starts writing back what is already in the page cache, so the
 * final flush (the caller's) waits for the tail only, not for the whole file. A background flush's error is
 * the copy's error: Linux reports a write-back error to one fsync only, so the final one could not see it.
 */
async function writeAll(handle: FileHandle, chunks: AsyncIterable<Buffer>): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  let unflushed = 0;
  try {
    for await (const chunk of chunks) {
      await inFlight;
      if (flushError) throw flushError;
      inFlight = writeFully(handle, chunk);
      inFlight.catch(() => undefined);
      unflushed += chunk.length;
      if (unflushed >= FLUSH_EVERY_BYTES && !flushing) {
        unflushed = 0;
        flushing = handle.datasync().then(
          () => void (flushing = undefined),
          (error: unknown) => void ((flushError ??= error), (flushing = undefined)),
        );
      }
    }
    await inFlight;
  } finally {
    // Never leave a flush running on a descriptor the caller is about to close.
    await flushing;
  }
  if (flushError) throw flushError;
}

async function* once(content: Buffer | string): AsyncIterable<Buffer> {
  yield typeof content === 'string' ? Buffer.from(content) : content;
}

function kindOf(entry: Dirent): StoredEntry['kind'] {
  return entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'symlink' : 'other';
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * The archive on a local or NFS-mounted folder: temp file, fsync, link/rename, fsync of the folder.
 * The configured root is trusted; below it nothing is: every folder is opened O_NOFOLLOW from its parent's
 * descriptor and every file O_NOFOLLOW, so a symbolic link anywhere below the root (which an NFS client
 * would follow into the local disk) is refused, never followed — for reads, writes, removals and listings.
 */
export class PosixDriver implements StorageDriver {
  /** writeAll: the write in flight while the next chunk is asked for. */
  readonly heldChunks = 1;

  constructor(readonly location: string) {}

  /** Opens the folder `segments` below the root, refusing symbolic links; creates missing ones when asked. */
  private async openDir(segments: string[], create = false): Promise<FileHandle> {
    if (create) await mkdir(this.location, { recursive: true, mode: DIR_MODE });
    let dir = await open(this.location, constants.O_RDONLY | constants.O_DIRECTORY);
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      try {
        if (create) await mkdir(at(dir, segment), { mode: DIR_MODE }).catch((error: unknown) => (isCode(error, 'EEXIST') ? undefined : Promise.reject(error)));
        const next = await open(at(dir, segment), DIR_FLAGS);
        await dir.close();
        dir = next;
      } catch (error) {
        const refused = await this.refusal(dir, segment, segments.slice(0, index + 1).join('/'), error);
        await dir.close().catch(() => undefined);
        throw refused;
      }
    }
    return dir;
  }

  /** A symbolic link, or something else where a folder or file must be: a clear refusal; other errors as they are. */
  private async refusal(dir: FileHandle, leaf: string, path: string, error: unknown): Promise<unknown> {
    if (!isCode(error, 'ELOOP', 'ENOTDIR', 'EISDIR', 'EEXIST')) return error;
    const info = await lstat(at(dir, leaf)).catch(() => undefined);
    if (info?.isSymbolicLink()) return new UnsafeArchivePathError(path, 'is a symbolic link');
    if (isCode(error, 'ENOTDIR')) return new UnsafeArchivePathError(path, 'is not a folder');
    return error;
  }

  /** Runs `work` with the descriptor of the path's folder and the path's last segment. */
  private async inDir<T>(path: string, work: (dir: FileHandle, leaf: string) => Promise<T>, create = false): Promise<T> {
    const segments = archivePathSegments(path);
    const leaf = segments.pop();
    if (leaf === undefined) throw new UnsafeArchivePathError(path, 'names the archive root, not a file');
    const dir = await this.openDir(segments, create);
    try {
      return await work(dir, leaf);
    } finally {
      await dir.close().catch(() => undefined);
    }
  }

  /** Opens a regular file for reading: a symbolic link, FIFO, device or folder is refused. */
  private async openFile(path: string): Promise<FileHandle> {
    return this.inDir(path, async (dir, leaf) => {
      let handle: FileHandle;
      try {
        handle = await open(at(dir, leaf), READ_FLAGS);
      } catch (error) {
        throw await this.refusal(dir, leaf, path, error);
      }
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw new UnsafeArchivePathError(path, 'is not a regular file');
      }
      return handle;
    });
  }

  async stat(path: string): Promise<StoredFileInfo | undefined> {
    try {
      return await this.inDir(path, async (dir, leaf) => {
        const info = await lstat(at(dir, leaf));
        if (info.isSymbolicLink()) throw new UnsafeArchivePathError(path, 'is a symbolic link');
        return { size: info.size, mtimeMs: info.mtimeMs };
      });
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async entries(dir: string): Promise<StoredEntry[]> {
    let handle: FileHandle;
    try {
      handle = await this.openDir(archivePathSegments(dir));
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    }
    try {
      const found = await readdir(`/proc/self/fd/${handle.fd}`, { withFileTypes: true });
      return found.map((entry): StoredEntry => ({ name: entry.name, kind: kindOf(entry) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async list(dir: string): Promise<string[]> {
    return (await this.entries(dir)).map((entry) => entry.name);
  }

  async readFilesIn(dirPath: string, names: string[]): Promise<(Buffer | Error)[]> {
    const dir = await this.openDir(archivePathSegments(dirPath));
    try {
      return await Promise.all(
        names.map(async (name): Promise<Buffer | Error> => {
          const path = `${dirPath}/${name}`;
          try {
            archivePathSegments(path);
            const handle = await open(at(dir, name), READ_FLAGS).catch(async (error: unknown) => Promise.reject(await this.refusal(dir, name, path, error)));
            try {
              if (!(await handle.stat()).isFile()) return new UnsafeArchivePathError(path, 'is not a regular file');
              return await handle.readFile();
            } finally {
              await handle.close().catch(() => undefined);
            }
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      );
    } finally {
      await dir.close().catch(() => undefined);
    }
  }

  async readFile(path: string): Promise<Buffer> {
    const handle = await this.openFile(path);
    try {
      return await handle.readFile();
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  openRead(path: string, range?: { start: number; end: number }): Readable {
    if (range && range.end <= range.start) return Readable.from([]);
    return Readable.from(this.readChunks(path, range), { objectMode: false, highWaterMark: 1 << 20 });
  }

  private async *readChunks(path: string, range?: { start: number; end: number }): AsyncIterable<Buffer> {
    const handle = await this.openFile(path);
    try {
      const stream = handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async ensureDir(path: string): Promise<void> {
    const dir = await this.openDir(archivePathSegments(path), true);
    await dir.close();
  }

  /** Writes the chunks to a new temp file in the target's folder (held open), then `publish` moves it into place. */
  private async writeThenPublish<T>(
    path: string,
    chunks: AsyncIterable<Buffer>,
    publish: (dir: FileHandle, temp: string, leaf: string) => Promise<T>,
  ): Promise<T> {
    return this.inDir(
      path,
      async (dir, leaf) => {
        const temp = `.${leaf}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
        const handle = await open(at(dir, temp), CREATE_FLAGS, FILE_MODE);
        try {
          await writeAll(handle, chunks);
          // fdatasync: the data and the size a reader needs; the name is made durable by the fsync of the folder.
          await handle.datasync();
        } catch (error) {
          await handle.close().catch(() => undefined);
          await unlink(at(dir, temp)).catch(() => undefined);
          throw error;
        }
        await handle.close();
        try {
          return await publish(dir, temp, leaf);
        } catch (error) {
          await unlink(at(dir, temp)).catch(() => undefined);
          throw await this.refusal(dir, leaf, path, error);
        }
      },
      true,
    );
  }

  createFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<'created' | 'exists'> {
    return this.writeThenPublish(path, chunks, async (dir, temp, leaf) => {
      try {
        // link() refuses to replace an existing name (a symbolic link included), unlike rename(): never overwrite an archived file.
        await link(at(dir, temp), at(dir, leaf));
      } catch (error) {
        if (isCode(error, 'EEXIST')) return 'exists';
        throw error;
      } finally {
        await unlink(at(dir, temp)).catch(() => undefined);
      }
      await dir.sync();
      return 'created';
    });
  }

  createFile(path: string, content: Buffer | string): Promise<'created' | 'exists'> {
    return this.createFromStream(path, once(content));
  }

  async replaceFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    await this.writeThenPublish(path, chunks, async (dir, temp, leaf) => {
      // rename() replaces the name itself: a symbolic link planted there is replaced, its target untouched.
      await rename(at(dir, temp), at(dir, leaf));
      await dir.sync();
    });
  }

  replaceFile(path: string, content: Buffer | string): Promise<void> {
    return this.replaceFromStream(path, once(content));
  }

  /** unlink() removes the name, never what a symbolic link points to; a missing file is not an error. */
  async remove(path: string): Promise<void> {
    try {
      await this.inDir(path, async (dir, leaf) => {
        await unlink(at(dir, leaf)).catch((error: unknown) => (isCode(error, 'ENOENT') ? undefined : Promise.reject(error)));
        await dir.sync().catch(() => undefined);
      });
    } catch (error) {
      if (isCode(error, 'ENOENT')) return;
      throw error;
    }
  }

  async removeAbandonedTemps(dir: string): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await this.entries(dir)) {
      const match = TEMP_NAME.exec(entry.name);
      if (!match || entry.kind === 'dir' || isProcessAlive(Number(match[1]))) continue;
      await this.remove(`${dir}/${entry.name}`);
      removed.push(entry.name);
    }
    return removed;
  }

  async freeBytes(): Promise<number | undefined> {
    try {
      const info = await statfs(this.location);
      return info.bavail * info.bsize;
    } catch {
      return undefined;
    }
  }
}
