import { constants, createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StorageDriver, StoredFileInfo } from './storage.js';
import { isProcessAlive } from '../processes.js';

const FILE_MODE = 0o640;
/** `.<name>.tmp-<pid>-<random>`: what writeTemp creates. */
const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

const DIR_MODE = 0o750;

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** One write in flight while the next chunk is read, hashed and parsed: the copy is not serialised. */
async function writeAll(handle: FileHandle, chunks: AsyncIterable<Buffer>): Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  for await (const chunk of chunks) {
    await inFlight;
    inFlight = writeFully(handle, chunk);
    inFlight.catch(() => undefined);
  }
  await inFlight;
}

async function* once(content: Buffer | string): AsyncIterable<Buffer> {
  yield typeof content === 'string' ? Buffer.from(content) : content;
}

/** The archive on a local or NFS-mounted folder: temp file, fsync, link/rename, fsync of the folder. */
export class PosixDriver implements StorageDriver {
  constructor(readonly location: string) {}

  private abs(path: string): string {
    return join(this.location, path);
  }

  async stat(path: string): Promise<StoredFileInfo | undefined> {
    try {
      const info = await stat(this.abs(path));
      return { size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await readdir(this.abs(dir))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(this.abs(path));
  }

  openRead(path: string, range?: { start: number; end: number }): Readable {
    if (range && range.end <= range.start) return Readable.from([]);
    return createReadStream(this.abs(path), { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
  }

  async ensureDir(path: string): Promise<void> {
    await mkdir(this.abs(path), { recursive: true, mode: DIR_MODE });
  }

  private async writeTemp(path: string, chunks: AsyncIterable<Buffer>): Promise<string> {
    const target = this.abs(path);
    await mkdir(dirname(target), { recursive: true, mode: DIR_MODE });
    const temp = `${dirname(target)}/.${path.split('/').pop()}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await writeAll(handle, chunks);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    return temp;
  }

  async createFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<'created' | 'exists'> {
    const temp = await this.writeTemp(path, chunks);
    const target = this.abs(path);
    try {
      // link() refuses to replace an existing name, unlike rename(): never overwrite an archived file.
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await fsyncDir(dirname(target));
    return 'created';
  }

  createFile(path: string, content: Buffer | string): Promise<'created' | 'exists'> {
    return this.createFromStream(path, once(content));
  }

  async replaceFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    const temp = await this.writeTemp(path, chunks);
    const target = this.abs(path);
    await rename(temp, target);
    await fsyncDir(dirname(target));
  }

  replaceFile(path: string, content: Buffer | string): Promise<void> {
    return this.replaceFromStream(path, once(content));
  }

  async remove(path: string): Promise<void> {
    await rm(this.abs(path), { force: true });
    await fsyncDir(dirname(this.abs(path))).catch(() => undefined);
  }

  async removeAbandonedTemps(dir: string): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await this.list(dir)) {
      const match = TEMP_NAME.exec(entry);
      if (!match || isProcessAlive(Number(match[1]))) continue;
      await rm(join(this.abs(dir), entry), { force: true });
      removed.push(entry);
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
