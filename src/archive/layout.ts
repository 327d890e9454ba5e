import { checkArchiveName, isArchiveName, UnsafeArchiveNameError } from './names.js';

/**
 * Where things live in the archive. Pure: names in, relative paths out. Every name is checked against the
 * archive name rule here, so no path is ever built from a name that could leave its folder.
 */
export const ARCHIVE_MARKER = '.snaplog-archive';

export type Compression = 'none' | 'gzip' | 'zstd';

const COMPRESSION_SUFFIX: Record<Compression, string> = { none: '', gzip: '.gz', zstd: '.zst' };

export function compressionSuffix(compression: Compression): string {
  return COMPRESSION_SUFFIX[compression];
}

export function isCompression(value: unknown): value is Compression {
  return value === 'none' || value === 'gzip' || value === 'zstd';
}

/** What `storedName` must be for a log `name` stored with `compression`. */
export function expectedStoredName(name: string, compression: Compression): string {
  return `${name}${compressionSuffix(compression)}`;
}

export function systemDir(systemId: string): string {
  return checkArchiveName(systemId, 'system id');
}

export function logsDir(systemId: string): string {
  return `${systemDir(systemId)}/logs`;
}

export function logDataPath(systemId: string, name: string, compression: Compression): string {
  return `${logsDir(systemId)}/${checkArchiveName(name, 'log name')}${compressionSuffix(compression)}`;
}

/** The data file named by a log's metadata: `storedName` must be an archive name with the compression's suffix. */
export function storedLogPath(systemId: string, storedName: string, compression: Compression): string {
  const suffix = compressionSuffix(compression);
  if (!isArchiveName(storedName) || !storedName.endsWith(suffix) || !isArchiveName(storedName.slice(0, storedName.length - suffix.length))) {
    throw new UnsafeArchiveNameError(`stored log name (${compression})`, storedName);
  }
  return `${logsDir(systemId)}/${storedName}`;
}

export function logMetadataPath(systemId: string, name: string): string {
  return `${logsDir(systemId)}/${checkArchiveName(name, 'log name')}.json`;
}

export function snapshotsDir(systemId: string): string {
  return `${systemDir(systemId)}/snapshots`;
}

export function snapshotPath(systemId: string, id: string): string {
  return `${snapshotsDir(systemId)}/${checkArchiveName(id, 'snapshot id')}.json`;
}

export function partialDir(systemId: string): string {
  return `${systemDir(systemId)}/partial`;
}

export function partialPath(systemId: string, name: string): string {
  return `${partialDir(systemId)}/${checkArchiveName(name, 'log name')}.partial`;
}

/** Splits an entry of logs/ into the log name and what kind of file it is. */
export function classifyLogEntry(entry: string): { name: string; kind: 'metadata' | 'data'; compression: Compression } | undefined {
  if (entry.startsWith('.')) return undefined;
  if (entry.endsWith('.json')) return { name: entry.slice(0, -'.json'.length), kind: 'metadata', compression: 'none' };
  if (entry.endsWith('.gz')) return { name: entry.slice(0, -'.gz'.length), kind: 'data', compression: 'gzip' };
  if (entry.endsWith('.zst')) return { name: entry.slice(0, -'.zst'.length), kind: 'data', compression: 'zstd' };
  if (entry.includes('.tmp-')) return undefined;
  return { name: entry, kind: 'data', compression: 'none' };
}
