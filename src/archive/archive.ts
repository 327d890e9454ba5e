import { hostname } from 'node:os';
import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ArchiveNotMountedError } from './errors.js';
import { SnaplogError } from '../errors.js';
import { ARCHIVE_MARKER, classifyLogEntry, logMetadataPath, logsDir, snapshotPath, snapshotsDir } from './layout.js';
import { parseLogMetadata } from './metadata.js';
import type { LogMetadata } from './metadata.js';
import { decompressStream } from './compression.js';
import { PosixDriver } from './posix-driver.js';
import type { StorageDriver } from './storage.js';
import { parseSnapshotRecord } from './snapshot-record.js';
import type { SnapshotRecord } from './snapshot-record.js';

/** An archived log as found on storage: metadata may be missing when a run died between data and metadata. */
export interface ArchivedLog {
  name: string;
  dataEntry?: string;
  metadata?: LogMetadata;
  metadataError?: string;
}

const METADATA_READ_BATCH = 32;

export class Archive {
  private readonly metadataCache = new Map<string, LogMetadata>();

  private constructor(readonly storage: StorageDriver) {}

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
          hint: code === 'EACCES' ? 'check the credentials (connection string, SAS token: expired? read/write/list allowed?) or the folder permissions' : 'check the archive service and its URL',
        });
      }
      info = undefined;
    }
    if (!info) throw new ArchiveNotMountedError(this.storage.location);
  }

  async systemIds(): Promise<string[]> {
    const entries = await this.storage.list('.');
    return entries.filter((entry) => !entry.startsWith('.'));
  }

  async listLogs(systemId: string): Promise<ArchivedLog[]> {
    const byName = new Map<string, ArchivedLog>();
    const entry = (name: string): ArchivedLog => {
      let log = byName.get(name);
      if (!log) byName.set(name, (log = { name }));
      return log;
    };
    const entries = await this.storage.list(logsDir(systemId));
    for (const file of entries) {
      const kind = classifyLogEntry(file);
      if (!kind) continue;
      if (kind.kind === 'data') entry(kind.name).dataEntry = file;
    }
    const metadataFiles = entries.filter((file) => classifyLogEntry(file)?.kind === 'metadata');
    // Metadata files are written once and never changed: read each once per process, a few at a time.
    for (let i = 0; i < metadataFiles.length; i += METADATA_READ_BATCH) {
      await Promise.all(
        metadataFiles.slice(i, i + METADATA_READ_BATCH).map(async (file) => {
          const log = entry(classifyLogEntry(file)!.name);
          const key = `${systemId}/${file}`;
          const cached = this.metadataCache.get(key);
          if (cached) return void (log.metadata = cached);
          try {
            log.metadata = parseLogMetadata((await this.storage.readFile(`${logsDir(systemId)}/${file}`)).toString('utf8'), file);
            this.metadataCache.set(key, log.metadata);
          } catch (error) {
            log.metadataError = (error as Error).message;
          }
        }),
      );
    }
    return [...byName.values()].sort((a, b) => (a.metadata?.sequence ?? 0) - (b.metadata?.sequence ?? 0) || a.name.localeCompare(b.name));
  }

  async readLogMetadata(systemId: string, name: string): Promise<LogMetadata | undefined> {
    const path = logMetadataPath(systemId, name);
    if (!(await this.storage.stat(path))) return undefined;
    return parseLogMetadata((await this.storage.readFile(path)).toString('utf8'), path);
  }

  /** The original bytes of an archived log, decompressed. */
  openLog(systemId: string, metadata: Pick<LogMetadata, 'storedName' | 'compression'>): Readable {
    return decompressStream(this.storage.openRead(`${logsDir(systemId)}/${metadata.storedName}`), metadata.compression);
  }

  /** Bytes [start, end) of an uncompressed archived log, read without the rest. */
  openLogRange(systemId: string, metadata: Pick<LogMetadata, 'storedName' | 'compression'>, start: number, end: number): Readable {
    if (metadata.compression !== 'none') throw new Error(`${metadata.storedName} is compressed: it can only be read whole`);
    return this.storage.openRead(`${logsDir(systemId)}/${metadata.storedName}`, { start, end });
  }

  async writeSnapshot(systemId: string, record: SnapshotRecord): Promise<void> {
    await this.assertMounted();
    await this.storage.replaceFile(snapshotPath(systemId, record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  async readSnapshot(systemId: string, id: string): Promise<SnapshotRecord | undefined> {
    const path = snapshotPath(systemId, id);
    if (!(await this.storage.stat(path))) return undefined;
    return parseSnapshotRecord((await this.storage.readFile(path)).toString('utf8'), path);
  }

  async listSnapshots(systemId: string): Promise<SnapshotRecord[]> {
    const files = (await this.storage.list(snapshotsDir(systemId))).filter((file) => file.endsWith('.json') && !file.startsWith('.'));
    const records = await Promise.all(
      files.map(async (file) => parseSnapshotRecord((await this.storage.readFile(`${snapshotsDir(systemId)}/${file}`)).toString('utf8'), file)),
    );
    return records.sort((a, b) => a.time.localeCompare(b.time));
  }
}
