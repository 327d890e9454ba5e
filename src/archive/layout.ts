/** Where things live in the archive. Pure: names in, relative paths out. */
export const ARCHIVE_MARKER = '.snaplog-archive';

export type Compression = 'none' | 'gzip' | 'zstd';

const COMPRESSION_SUFFIX: Record<Compression, string> = { none: '', gzip: '.gz', zstd: '.zst' };

export function compressionSuffix(compression: Compression): string {
  return COMPRESSION_SUFFIX[compression];
}

export function systemDir(systemId: string): string {
  return systemId;
}

export function logsDir(systemId: string): string {
  return `${systemId}/logs`;
}

export function logDataPath(systemId: string, name: string, compression: Compression): string {
  return `${logsDir(systemId)}/${name}${compressionSuffix(compression)}`;
}

export function logMetadataPath(systemId: string, name: string): string {
  return `${logsDir(systemId)}/${name}.json`;
}

export function snapshotsDir(systemId: string): string {
  return `${systemId}/snapshots`;
}

export function snapshotPath(systemId: string, id: string): string {
  return `${snapshotsDir(systemId)}/${id}.json`;
}

export function partialDir(systemId: string): string {
  return `${systemId}/partial`;
}

export function partialPath(systemId: string, name: string): string {
  return `${partialDir(systemId)}/${name}.partial`;
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

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}
