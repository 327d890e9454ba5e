import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { SnaplogError } from './errors.js';

const READ_CHUNK = 1 << 20;

/** A database file snaplog will not read: a symlink or not a regular file (the database user could point root anywhere). */
export class SourceFileRefusedError extends SnaplogError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refusing to read ${path}: ${reason}`, {
      hint: "snaplog reads the database's logs and their index only as regular files, never through a symlink (the database's user could make root read any file): find out who replaced it, put the real file back, then run snaplog ship again",
    });
  }
}

/**
 * Opens a file the database owns for reading: the last path component is never followed (O_NOFOLLOW),
 * and only a regular file is accepted (no FIFO that blocks, no device). Every read of a source log goes
 * through the descriptor this returns.
 */
export async function openSourceFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new SourceFileRefusedError(path, 'it is a symbolic link');
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new SourceFileRefusedError(path, 'it is not a regular file');
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** The file's bytes from `start` (default 0) up to `end` (exclusive; default: its end), read through one O_NOFOLLOW descriptor. */
export async function* readSourceFile(path: string, range: { start?: number; end?: number } = {}): AsyncIterable<Buffer> {
  const handle = await openSourceFile(path);
  try {
    let position = range.start ?? 0;
    const end = range.end ?? Number.POSITIVE_INFINITY;
    while (position < end) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Size of a source file, through the same O_NOFOLLOW open. */
export async function sourceFileSize(path: string): Promise<number> {
  const handle = await openSourceFile(path);
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
