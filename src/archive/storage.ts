import type { Readable } from 'node:stream';

export interface StoredFileInfo {
  size: number;
  mtimeMs: number;
}

/** An entry of a folder: only 'file' and 'dir' are ever used; a symbolic link or special file is refused. */
export interface StoredEntry {
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

/**
 * One backend of the archive. Paths are relative to the archive root and use '/'.
 * `create*` never replaces an existing file: a file appears under its final name only when whole.
 * A driver refuses any path with an empty, '.' or '..' segment, and never follows a link below its root.
 */
export interface StorageDriver {
  readonly location: string;
  stat(path: string): Promise<StoredFileInfo | undefined>;
  list(dir: string): Promise<string[]>;
  /** The folder's entries with what each one is (a missing folder has none). */
  entries(dir: string): Promise<StoredEntry[]>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Optional: several files of one folder, each its bytes or the error reading it (the folder is resolved
   * once; with thousands of metadata files that is most of the cost).
   */
  readFilesIn?(dir: string, names: string[]): Promise<(Buffer | Error)[]>;
  /** The file's bytes, or those from `start` up to `end` (exclusive) when given. */
  openRead(path: string, range?: { start: number; end: number }): Readable;
  /** Writes the chunks to a temp name, makes them durable, then publishes them under `path` unless it exists. */
  createFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<'created' | 'exists'>;
  /**
   * How many earlier chunks of createFromStream/replaceFromStream the driver may still be using when it asks
   * for the next one; undefined when it may keep any (then a source never reuses a chunk's memory).
   */
  readonly heldChunks?: number;
  createFile(path: string, content: Buffer | string): Promise<'created' | 'exists'>;
  /** For files that are meant to change (snapshot records, partial copies): atomic replace. */
  replaceFile(path: string, content: Buffer | string): Promise<void>;
  replaceFromStream(path: string, chunks: AsyncIterable<Buffer>): Promise<void>;
  remove(path: string): Promise<void>;
  ensureDir(path: string): Promise<void>;
  /** Removes temp files that a writer killed mid-copy left in `dir`; returns their names. */
  removeAbandonedTemps(dir: string): Promise<string[]>;
  freeBytes(): Promise<number | undefined>;
}
