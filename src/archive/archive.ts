import { hostname } from 'node:os';
import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ArchiveNotMountedError } from './errors.js';
import { SnaplogError } from '../errors.js';
import { ARCHIVE_MARKER, classifyLogEntry, logMetadataPath, logsDir, partialDir, partialPath, snapshotPath, snapshotsDir, storedLogPath } from './layout.js';
import { logMetadataProblem, snapshotRecordProblem } from './entry-rules.js';
import type { RejectedEntry } from './entry-rules.js';
import { isArchiveName, printableName } from './names.js';
import { parseLogMetadata } from './metadata.js';
import type { LogMetadata } from './metadata.js';
import { decompressStream } from './compression.js';
import { PosixDriver } from './posix-driver.js';
import type { StorageDriver } from './storage.js';
import { parseSnapshotRecord } from './snapshot-record.js';
import type { SnapshotRecord } from './snapshot-record.js';

export type { Compression } from './layout.js';

/** An archived log as found on storage: metadata may be missing when a run died between data and metadata. */
export interface ArchivedLog {
  name: string;
  dataEntry?: string;
  metadata?: LogMetadata;
  metadataError?: string;
}

const METADATA_READ_BATCH = 128;
const REMOVE_FORGED = 'run snaplog verify; remove the entry if snaplog did not write it';

/** What a scan of one folder of the archive found: the entries that can be used, and those that are refused. */
export interface Scan<T> {
  found: T[];
  rejected: RejectedEntry[];
}

export class Archive {
  private readonly metadataCache = new Map<string, LogMetadata>();
  private readonly rejectedSeen = new Map<string, RejectedEntry>();
  /** Told once per refused entry (forged, foreign, unreadable, a link): the CLI prints it as a warning. */
  onRejected: ((entry: RejectedEntry) => void) | undefined;

  private constructor(private readonly storage: StorageDriver) {}

  /** Opens the archive and checks its marker; nothing is read or written where the marker is missing. */
  static async open(path: string): Promise<Archive> {
    return Archive.openWith(new PosixDriver(path));
  }

  static async openWith(driver: StorageDriver): Promise<Archive> {
    const archive = new Archive(driver);
    await archive.assertMounted();
    return archive;
  }

  /** `snaplog archive init`: creates the folder and marker; idempotent. */
  static async init(path: string): Promise<{ archive: Archive; created: boolean }> {
    await mkdir(path, { recursive: true, mode: 0o750 });
    return Archive.initWith(new PosixDriver(path));
  }

  static async initWith(driver: StorageDriver): Promise<{ archive: Archive; created: boolean }> {
    const content = `${JSON.stringify({ format: 1, createdAt: new Date().toISOString(), createdOn: hostname() })}\n`;
    const created = (await driver.createFile(ARCHIVE_MARKER, content)) === 'created';
    return { archive: await Archive.openWith(driver), created };
  }

  get location(): string {
    return this.storage.location;
  }

  async assertMounted(): Promise<void> {
    let info;
    try {
      info = await this.storage.stat(ARCHIVE_MARKER);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EACCES' || code.startsWith('HTTP_')) {
        throw new SnaplogError(`cannot read the archive at ${this.storage.location}: ${(error as Error).message}`, {
          hint:
            code === 'EACCES'
              ? 'check the credentials (connection string, SAS token: expired? read/write/list allowed?) or the folder permissions'
              : 'check the archive service and its URL',
        });
      }
      info = undefined;
    }
    if (!info) throw new ArchiveNotMountedError(this.storage.location);
  }

  /** Every refused entry met so far by this Archive (each once), for `warnings` in JSON output. */
  rejectedEntries(): RejectedEntry[] {
    return [...this.rejectedSeen.values()];
  }

  private reject(entries: RejectedEntry[]): void {
    for (const entry of entries) {
      if (this.rejectedSeen.has(entry.file)) continue;
      this.rejectedSeen.set(entry.file, entry);
      this.onRejected?.(entry);
    }
  }

  async systemIds(): Promise<string[]> {
    const scan = await this.scanSystems();
    this.reject(scan.rejected);
    return scan.found;
  }

  /** The system folders at the root; entries that are not a folder with a valid name are refused. */
  async scanSystems(): Promise<Scan<string>> {
    const found: string[] = [];
    const rejected: RejectedEntry[] = [];
    for (const entry of await this.storage.entries('.')) {
      if (entry.name.startsWith('.')) continue;
      if (!isArchiveName(entry.name)) {
        rejected.push({ file: printableName(entry.name), problem: 'not a valid system id: ignored' });
      } else if (entry.kind !== 'dir') {
        rejected.push({ file: entry.name, problem: `${describeKind(entry.kind)} at the archive root, not a system folder: ignored` });
      } else found.push(entry.name);
    }
    return { found, rejected };
  }

  async listLogs(systemId: string): Promise<ArchivedLog[]> {
    const scan = await this.scanLogs(systemId);
    this.reject(scan.rejected);
    return scan.found;
  }

  /**
   * The logs of a system. A metadata file is used only when it describes the log of its own file name,
   * stored under that name; a data file only when it is a regular file with a valid name. The rest is
   * refused (and reported), never turned into a path.
   */
  async scanLogs(systemId: string): Promise<Scan<ArchivedLog>> {
    const dir = logsDir(systemId);
    const byName = new Map<string, ArchivedLog>();
    const rejected: RejectedEntry[] = [];
    const entry = (name: string): ArchivedLog => {
      let log = byName.get(name);
      if (!log) byName.set(name, (log = { name }));
      return log;
    };
    const metadataFiles: string[] = [];
    for (const found of await this.storage.entries(dir)) {
      const kind = classifyLogEntry(found.name);
      if (!kind) continue;
      const file = `${dir}/${printableName(found.name)}`;
      if (!isArchiveName(kind.name)) rejected.push({ file, problem: 'not a valid log name: ignored' });
      else if (found.kind !== 'file') rejected.push({ file, problem: `${describeKind(found.kind)}, not a regular file: ignored` });
      else if (kind.kind === 'metadata') metadataFiles.push(found.name);
      else entry(kind.name).dataEntry = found.name;
    }
    // Metadata files are written once and never changed: read each once per process, a few at a time.
    const uncached = metadataFiles.filter((file) => {
      const cached = this.metadataCache.get(`${systemId}/${file}`);
      if (cached) entry(classifyLogEntry(file)!.name).metadata = cached;
      return !cached;
    });
    for (let i = 0; i < uncached.length; i += METADATA_READ_BATCH) {
      const batch = uncached.slice(i, i + METADATA_READ_BATCH);
      const contents = await this.readBatch(dir, batch);
      for (const [j, file] of batch.entries()) {
        const stem = classifyLogEntry(file)!.name;
        const key = `${systemId}/${file}`;
        let metadata: LogMetadata;
        try {
          const content = contents[j]!;
          if (content instanceof Error) throw content;
          metadata = parseLogMetadata(content.toString('utf8'), file);
        } catch (error) {
          entry(stem).metadataError = (error as Error).message;
          continue;
        }
        const problem = logMetadataProblem(metadata, stem);
        if (problem) {
          rejected.push({ file: `${dir}/${file}`, problem: `forged or foreign metadata: ${problem}; ignored` });
          continue;
        }
        this.metadataCache.set(key, metadata);
        entry(stem).metadata = metadata;
      }
    }
    const found = [...byName.values()].sort((a, b) => (a.metadata?.sequence ?? 0) - (b.metadata?.sequence ?? 0) || a.name.localeCompare(b.name));
    return { found, rejected: rejected.sort((a, b) => a.file.localeCompare(b.file)) };
  }

  /** Files of one folder: in one pass when the driver can, else one read each (errors kept per file). */
  private async readBatch(dir: string, files: string[]): Promise<(Buffer | Error)[]> {
    if (this.storage.readFilesIn) return this.storage.readFilesIn(dir, files);
    return Promise.all(
      files.map((file) => this.storage.readFile(`${dir}/${file}`).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))),
    );
  }

  /** The metadata of every archived log that has usable metadata, in sequence order (what plan, restore and find chain). */
  async listLogMetadata(systemId: string): Promise<LogMetadata[]> {
    return (await this.listLogs(systemId)).flatMap((log) => (log.metadata ? [log.metadata] : []));
  }

  /** Removes an archived log: its metadata first (a log without metadata is re-checked, never trusted), then its data. */
  async removeLog(systemId: string, log: Pick<LogMetadata, 'name' | 'storedName' | 'compression'>): Promise<void> {
    await this.storage.remove(logMetadataPath(systemId, log.name));
    await this.storage.remove(storedLogPath(systemId, log.storedName, log.compression));
  }

  /** Removes temp files that a writer killed mid-copy left in the system's logs/ folder; returns their names. */
  async removeAbandonedTemps(systemId: string): Promise<string[]> {
    return this.storage.removeAbandonedTemps(logsDir(systemId));
  }

  /**
   * Replaces the copy of the open log `name` in partial/ (what the shipper tails so the recovery point does
   * not wait for rotation) with `chunks`, atomically.
   */
  async writePartialCopy(systemId: string, name: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    await this.storage.ensureDir(partialDir(systemId));
    await this.storage.replaceFromStream(partialPath(systemId, name), chunks);
  }

  /** Removes the partial/ copy of `name` (once the closed log is archived); a missing copy is not an error. */
  async removePartialCopy(systemId: string, name: string): Promise<void> {
    await this.storage.remove(partialPath(systemId, name));
  }

  /** Free space where the archive is stored; undefined when the driver cannot tell. */
  async freeBytes(): Promise<number | undefined> {
    return this.storage.freeBytes();
  }

  async readLogMetadata(systemId: string, name: string): Promise<LogMetadata | undefined> {
    const path = logMetadataPath(systemId, name);
    if (!(await this.storage.stat(path))) return undefined;
    const metadata = parseLogMetadata((await this.storage.readFile(path)).toString('utf8'), path);
    const problem = logMetadataProblem(metadata, name);
    if (problem) throw new SnaplogError(`${path}: forged or foreign metadata: ${problem}`, { hint: REMOVE_FORGED });
    return metadata;
  }

  /** The original bytes of an archived log, decompressed. */
  openLog(systemId: string, metadata: Pick<LogMetadata, 'storedName' | 'compression'>): Readable {
    return decompressStream(this.storage.openRead(storedLogPath(systemId, metadata.storedName, metadata.compression)), metadata.compression);
  }

  /** Bytes [start, end) of an uncompressed archived log, read without the rest. */
  openLogRange(systemId: string, metadata: Pick<LogMetadata, 'storedName' | 'compression'>, start: number, end: number): Readable {
    if (metadata.compression !== 'none') throw new Error(`${metadata.storedName} is compressed: it can only be read whole`);
    return this.storage.openRead(storedLogPath(systemId, metadata.storedName, metadata.compression), { start, end });
  }

  async writeSnapshot(systemId: string, record: SnapshotRecord): Promise<void> {
    await this.assertMounted();
    await this.storage.replaceFile(snapshotPath(systemId, record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  async readSnapshot(systemId: string, id: string): Promise<SnapshotRecord | undefined> {
    const path = snapshotPath(systemId, id);
    if (!(await this.storage.stat(path))) return undefined;
    const record = parseSnapshotRecord((await this.storage.readFile(path)).toString('utf8'), path);
    const problem = snapshotRecordProblem(record, id, systemId);
    if (problem) throw new SnaplogError(`${path}: forged or foreign snapshot record: ${problem}`, { hint: REMOVE_FORGED });
    return record;
  }

  /** Removes a snapshot record; a missing record is not an error. */
  async removeSnapshot(systemId: string, id: string): Promise<void> {
    await this.storage.remove(snapshotPath(systemId, id));
  }

  async listSnapshots(systemId: string): Promise<SnapshotRecord[]> {
    const scan = await this.scanSnapshots(systemId);
    this.reject(scan.rejected);
    return scan.found;
  }

  /** The snapshot records of a system; an unreadable, forged or foreign record is refused (and reported), not fatal. */
  async scanSnapshots(systemId: string): Promise<Scan<SnapshotRecord>> {
    const dir = snapshotsDir(systemId);
    const rejected: RejectedEntry[] = [];
    const records = await Promise.all(
      (await this.storage.entries(dir)).map(async (found): Promise<SnapshotRecord | undefined> => {
        if (!found.name.endsWith('.json') || found.name.startsWith('.')) return undefined;
        const file = `${dir}/${printableName(found.name)}`;
        const stem = found.name.slice(0, -'.json'.length);
        if (!isArchiveName(stem)) return void rejected.push({ file, problem: 'not a valid snapshot id: ignored' });
        if (found.kind !== 'file') return void rejected.push({ file, problem: `${describeKind(found.kind)}, not a regular file: ignored` });
        let record: SnapshotRecord;
        try {
          record = parseSnapshotRecord((await this.storage.readFile(`${dir}/${found.name}`)).toString('utf8'), file);
        } catch (error) {
          return void rejected.push({ file, problem: `unreadable snapshot record (${(error as Error).message}): ignored` });
        }
        const problem = snapshotRecordProblem(record, stem, systemId);
        if (problem) return void rejected.push({ file, problem: `forged or foreign snapshot record: ${problem}; ignored` });
        return record;
      }),
    );
    const found = records.filter((record): record is SnapshotRecord => record !== undefined).sort((a, b) => a.time.localeCompare(b.time));
    return { found, rejected: rejected.sort((a, b) => a.file.localeCompare(b.file)) };
  }
}

/**
 * The driver behind an archive, for the writers inside src/archive/ (push.ts) only: everything else goes through
 * Archive's methods, which build every path with layout.ts (test/archive/boundary.test.ts keeps it so).
 */
export function storageOf(archive: Archive): StorageDriver {
  return archive['storage'];
}

function describeKind(kind: 'file' | 'dir' | 'symlink' | 'other'): string {
  return kind === 'symlink' ? 'a symbolic link' : kind === 'dir' ? 'a folder' : kind === 'other' ? 'a special file (FIFO, socket or device)' : 'a file';
}
