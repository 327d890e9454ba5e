import { expectedStoredName, isCompression } from './layout.js';
import type { LogMetadata } from './metadata.js';
import { isArchiveName, printableName } from './names.js';
import type { SnapshotRecord } from './snapshot-record.js';

/** An archive entry that is not used: forged, foreign, unreadable, or not a plain file. */
export interface RejectedEntry {
  /** Relative to the archive root, printable. */
  file: string;
  problem: string;
}

/**
 * Pure: why a log's metadata file cannot be trusted, or undefined. `stem` is the file's name without
 * `.json`: the metadata must describe the log of that name, stored under that name plus the suffix of
 * its compression.
 */
export function logMetadataProblem(metadata: LogMetadata, stem: string): string | undefined {
  if (!isArchiveName(metadata.name)) return `its name ${printableName(metadata.name)} is not a valid archive name`;
  if (metadata.name !== stem) return `its name ${printableName(metadata.name)} is not the file's own name ${stem}`;
  if (!isCompression(metadata.compression)) return `its compression ${printableName(metadata.compression)} is not none, gzip or zstd`;
  const stored = expectedStoredName(metadata.name, metadata.compression);
  if (metadata.storedName !== stored) return `its storedName ${printableName(metadata.storedName)} is not ${stored}`;
  if (!Number.isSafeInteger(metadata.sequence) || metadata.sequence < 0) return `its sequence ${printableName(metadata.sequence)} is not a whole number`;
  if (!Number.isSafeInteger(metadata.size) || metadata.size < 0) return `its size ${printableName(metadata.size)} is not a whole number`;
  return undefined;
}

/** Pure: why a snapshot record cannot be trusted for `systemId`, or undefined. `stem` is the file's name without `.json`. */
export function snapshotRecordProblem(record: SnapshotRecord, stem: string, systemId: string): string | undefined {
  if (!isArchiveName(record.id)) return `its id ${printableName(record.id)} is not a valid archive name`;
  if (record.id !== stem) return `its id ${printableName(record.id)} is not the file's own name ${stem}`;
  if (record.systemId !== systemId) return `it belongs to system ${printableName(record.systemId)}, not ${systemId} (a foreign record)`;
  if (Number.isNaN(Date.parse(record.time))) return `its time ${printableName(record.time)} is not a time`;
  return undefined;
}
