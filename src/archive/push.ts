import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { ArchiveDuplicateError, classifyWriteError } from './errors.js';
import { SnaplogError } from '../errors.js';
import { compressChunks } from './compression.js';
import { compressionSuffix, logDataPath, logMetadataPath, logsDir } from './layout.js';
import type { Compression } from './layout.js';
import type { LogFacts, LogMetadata, LogObserver } from './metadata.js';
import { storageOf } from './archive.js';
import type { Archive } from './archive.js';
import type { CloseMarker } from './close-marker.js';
import { readSourceFile } from '../source-file.js';
import { markerDigests } from './close-marker-digest.js';
import type { MarkerDigests } from './close-marker-digest.js';
import { HEAD_BYTES, StreamDigest } from './digest.js';
import type { Digest } from './digest.js';
import { SourcePass } from './source-pass.js';
import type { Hashing, SourcePassOptions } from './source-pass.js';

/** Every read of a source log goes through one O_NOFOLLOW descriptor of a regular file. */
function readSource(path: string): AsyncIterable<Buffer> {
  return readSourceFile(path);
}

export interface PushRequest {
  systemId: string;
  engine: string;
  name: string;
  sequence: number;
  stream?: string;
  sourcePath: string;
  compression: Compression;
  /** Learns the log's facts (times, positions, GTIDs) from the same pass that copies and hashes it. */
  observer?: LogObserver;
  /**
   * The bytes the server changes when it finishes closing a log: an archived copy that differs from the
   * source in these only, taken while the log still said open, is replaced by the cleanly closed one.
   */
  closeMarker?: CloseMarker;
}

export interface PushOptions {
  /** Where the sha256 of the source is computed (default 'auto': the hashing thread for large logs). */
  hashing?: Hashing;
  /**
   * The names (data or metadata) the caller's own listing of the system's logs/ folder held, taken earlier in the same
   * ship round. A log it did not hold is published at once without listing the folder again (O_EXCL publication
   * still settles a race with another shipper: then the folder is listed afresh); a log it held is always looked
   * up afresh. Without it, every push lists the folder.
   */
  listed?: ReadonlySet<string>;
}

/** 'replaced-closed-copy': the archived copy differed only in the close marker and now is the clean one. */
export type PushOutcome = 'shipped' | 'already-archived' | 'metadata-repaired' | 'replaced-closed-copy';

export interface PushResult {
  outcome: PushOutcome;
  metadata: LogMetadata;
  /** The metadata of the copy this push replaced ('replaced-closed-copy'). */
  replaced?: LogMetadata;
}

/** A pass that writes nothing holds no chunk: its buffers are reused at once. */
const READ_ONLY: SourcePassOptions = { heldByConsumer: 0 };

/** Chunks are handed straight to the driver only uncompressed: then the driver says how many it holds on to. */
function passOptions(archive: Archive, compression: Compression, options: PushOptions = {}): SourcePassOptions {
  const held = compression === 'none' ? storageOf(archive).heldChunks : undefined;
  return { hashing: options.hashing ?? 'auto', ...(held === undefined ? {} : { heldByConsumer: held }) };
}

/** Digest and facts of any stream of chunks (an archived copy), on this thread. */
async function digestOf(chunks: AsyncIterable<Buffer> | Readable, observer?: LogObserver): Promise<{ digest: Digest; facts: LogFacts }> {
  const digest = new StreamDigest();
  for await (const chunk of chunks as AsyncIterable<Buffer>) {
    digest.update(chunk);
    observer?.push(chunk);
  }
  return { digest: await digest.finish(), facts: observer?.finish() ?? {} };
}

function buildMetadata(request: PushRequest, digest: Digest, facts: LogFacts, storedSize: number): LogMetadata {
  return {
    formatVersion: 1,
    name: request.name,
    engine: request.engine,
    sequence: request.sequence,
    ...(request.stream ? { stream: request.stream } : {}),
    size: digest.size,
    sha256: digest.sha256,
    headSha256: digest.headSha256,
    compression: request.compression,
    storedName: `${request.name}${compressionSuffix(request.compression)}`,
    storedSize,
    ...facts,
    shippedAt: new Date().toISOString(),
    shippedBy: hostname(),
  };
}

async function writeMetadata(archive: Archive, request: PushRequest, metadata: LogMetadata): Promise<'created' | 'exists'> {
  return storageOf(archive).createFile(logMetadataPath(request.systemId, request.name), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** The same push, with the folder listed again: what decided a race must not be judged on an earlier listing. */
function fresh(options: PushOptions): PushOptions {
  const { listed: _listed, ...rest } = options;
  return rest;
}

/**
 * Ships one closed log: copy + hash + observe in one pass, publish under the final name only when whole,
 * then write the metadata. An existing log with the same checksum is skipped; one that differs only in its
 * close marker (copied before the server finished closing it) is replaced by the clean one; any other is refused.
 */
export async function pushLog(archive: Archive, request: PushRequest, options: PushOptions = {}): Promise<PushResult> {
  await archive.assertMounted();
  const knownAbsent = options.listed !== undefined && !options.listed.has(request.name);
  const existing = knownAbsent ? undefined : (await archive.listLogs(request.systemId)).find((log) => log.name === request.name);
  if (existing?.metadata) return compareWithArchived(archive, request, existing.metadata);
  if (existing?.dataEntry) return repairMetadata(archive, request, existing.dataEntry);

  const pass = new SourcePass(request.sourcePath, request.observer, passOptions(archive, request.compression, options));
  const dataPath = logDataPath(request.systemId, request.name, request.compression);
  let outcome: 'created' | 'exists';
  try {
    await storageOf(archive).ensureDir(logsDir(request.systemId));
    outcome = await storageOf(archive).createFromStream(dataPath, compressChunks(pass.chunks(), request.compression));
  } catch (error) {
    throw classifyWriteError(archive.location, error);
  }
  if (outcome === 'exists') return pushLog(archive, request, fresh(options));
  const stored = await storageOf(archive).stat(dataPath);
  const metadata = buildMetadata(request, pass.digest(), pass.facts(), stored?.size ?? 0);
  let written: 'created' | 'exists';
  try {
    written = await writeMetadata(archive, request, metadata);
  } catch (error) {
    throw classifyWriteError(archive.location, error);
  }
  if (written === 'exists') {
    // Another shipper published this log under another compression and won the metadata: the log is its copy.
    const winner = (await archive.listLogs(request.systemId)).find((log) => log.name === request.name)?.metadata;
    if (winner) {
      // The copy this push published is named by no metadata: it goes, so the folder holds one copy of the log.
      if (winner.storedName !== metadata.storedName) await storageOf(archive).remove(dataPath);
      return compareWithArchived(archive, request, winner);
    }
  }
  return { outcome: 'shipped', metadata };
}

async function compareWithArchived(archive: Archive, request: PushRequest, archived: LogMetadata): Promise<PushResult> {
  const { digest } = await new SourcePass(request.sourcePath, undefined, READ_ONLY).drain();
  if (digest.sha256 === archived.sha256) return { outcome: 'already-archived', metadata: archived };
  const detail = `archived sha256 ${archived.sha256.slice(0, 12)}…, source ${digest.sha256.slice(0, 12)}…`;
  if (!request.closeMarker) throw new ArchiveDuplicateError(request.name, detail);
  return settleCloseMarkerDifference(archive, request, request.closeMarker, archived, detail);
}

/**
 * The archived copy and the server's file differ. When the difference is the close marker alone (the copy
 * was taken before the server had finished closing the log, and the server has since closed it cleanly),
 * the archived copy is the same log: it is replaced, atomically, by the clean one and the metadata says
 * so. Any other difference is refused and the archived copy is never touched.
 */
async function settleCloseMarkerDifference(
  archive: Archive,
  request: PushRequest,
  marker: CloseMarker,
  archived: LogMetadata,
  detail: string,
): Promise<PushResult> {
  const source = await markerDigests(readSource(request.sourcePath), marker);
  const stored = await markerDigests(archive.openLog(request.systemId, archived), marker);
  // Only a copy stored under its own name is ever replaced, and only by a file the server has closed cleanly.
  const replaceable = source.saysOpen === false && archived.storedName === `${request.name}${compressionSuffix(archived.compression)}`;
  if (replaceable && stored.actual === archived.sha256 && stored.saysOpen === true && stored.asClosed === source.actual) {
    return replaceWithClosedCopy(archive, request, archived, source);
  }
  if (replaceable && stored.actual === source.actual && archived.sha256 === source.asOpen) {
    // A replacement published the clean data and died before rewriting the metadata.
    return { outcome: 'replaced-closed-copy', metadata: await rewriteReplacedMetadata(archive, request, archived, source.actual), replaced: archived };
  }
  const flagOnly = stored.asClosed === source.asClosed;
  throw new ArchiveDuplicateError(
    request.name,
    flagOnly ? `${detail}; they differ only in ${marker.description}` : detail,
    flagOnly ? 'close-marker-only' : 'different',
  );
}

/** Publishes the server's cleanly closed copy in place of the archived one (temp, fsync, rename, fsync of the folder). */
async function replaceWithClosedCopy(archive: Archive, request: PushRequest, archived: LogMetadata, source: MarkerDigests): Promise<PushResult> {
  const pass = new SourcePass(request.sourcePath, request.observer, passOptions(archive, archived.compression));
  const dataPath = logDataPath(request.systemId, request.name, archived.compression);
  const checked = async function* (chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    yield* chunks;
    // Refuse to publish unless what was written is exactly what was compared: a throw here discards the temp file.
    if (pass.digest().sha256 !== source.actual) {
      throw new SnaplogError(`${request.sourcePath} changed while snaplog was copying it`, {
        hint: 'nothing was replaced; snaplog ship tries again on its next round',
      });
    }
  };
  try {
    await storageOf(archive).replaceFromStream(dataPath, compressChunks(checked(pass.chunks()), archived.compression));
  } catch (error) {
    throw classifyWriteError(archive.location, error);
  }
  const stored = await storageOf(archive).stat(dataPath);
  const built = buildMetadata({ ...request, compression: archived.compression }, pass.digest(), pass.facts(), stored?.size ?? 0);
  const metadata: LogMetadata = { ...built, replaced: replacedRecord(archived) };
  await replaceMetadata(archive, request, metadata);
  return { outcome: 'replaced-closed-copy', metadata, replaced: archived };
}

async function rewriteReplacedMetadata(archive: Archive, request: PushRequest, archived: LogMetadata, expectedSha256: string): Promise<LogMetadata> {
  const source = await new SourcePass(request.sourcePath, request.observer, READ_ONLY).drain();
  if (source.digest.sha256 !== expectedSha256) {
    throw new SnaplogError(`${request.sourcePath} changed while snaplog was reading it`, {
      hint: 'nothing was written; snaplog ship tries again on its next round',
    });
  }
  const metadata: LogMetadata = {
    ...buildMetadata({ ...request, compression: archived.compression }, source.digest, source.facts, archived.storedSize),
    replaced: replacedRecord(archived),
  };
  await replaceMetadata(archive, request, metadata);
  return metadata;
}

function replacedRecord(archived: LogMetadata): NonNullable<LogMetadata['replaced']> {
  return {
    sha256: archived.sha256,
    headSha256: archived.headSha256,
    shippedAt: archived.shippedAt,
    reason: 'the archived copy was taken before the server had finished closing the log and differed from it only in its close marker',
    replacedAt: new Date().toISOString(),
  };
}

async function replaceMetadata(archive: Archive, request: PushRequest, metadata: LogMetadata): Promise<void> {
  try {
    await storageOf(archive).replaceFile(logMetadataPath(request.systemId, request.name), `${JSON.stringify(metadata, null, 2)}\n`);
  } catch (error) {
    throw classifyWriteError(archive.location, error);
  }
}

/**
 * Data without metadata: a run died in between. The data is whole (it was published after fsync); check it
 * matches the source (read once more for its facts: a rare path), or differs only in the close marker.
 */
async function repairMetadata(archive: Archive, request: PushRequest, dataEntry: string): Promise<PushResult> {
  const compression: Compression = dataEntry.endsWith('.gz') ? 'gzip' : dataEntry.endsWith('.zst') ? 'zstd' : 'none';
  const source = await new SourcePass(request.sourcePath, undefined, READ_ONLY).drain();
  const archived = await digestOf(archive.openLog(request.systemId, { storedName: dataEntry, compression }));
  const stored = await storageOf(archive).stat(`${logsDir(request.systemId)}/${dataEntry}`);
  if (archived.digest.sha256 !== source.digest.sha256) {
    const detail = `archived data without metadata has sha256 ${archived.digest.sha256.slice(0, 12)}…, source ${source.digest.sha256.slice(0, 12)}…`;
    if (!request.closeMarker) throw new ArchiveDuplicateError(request.name, detail);
    const orphan = buildMetadata({ ...request, compression }, archived.digest, {}, stored?.size ?? 0);
    return settleCloseMarkerDifference(
      archive,
      request,
      request.closeMarker,
      { ...orphan, shippedAt: new Date(stored?.mtimeMs ?? Date.now()).toISOString() },
      detail,
    );
  }
  const { digest, facts } = await new SourcePass(request.sourcePath, request.observer, READ_ONLY).drain();
  if (digest.sha256 !== archived.digest.sha256) {
    throw new SnaplogError(`${request.sourcePath} changed while snaplog was reading it`, {
      hint: 'nothing was written; snaplog ship tries again on its next round',
    });
  }
  const metadata = buildMetadata({ ...request, compression }, digest, facts, stored?.size ?? 0);
  await writeMetadata(archive, request, metadata);
  return { outcome: 'metadata-repaired', metadata };
}

/** sha256 of the archived original bytes, for verify. */
export async function digestArchivedLog(archive: Archive, systemId: string, metadata: Pick<LogMetadata, 'storedName' | 'compression'>, observer?: LogObserver) {
  return digestOf(archive.openLog(systemId, metadata), observer);
}

/** Cheap identity check of a source log against its archived copy: size and the head hash. */
export async function headDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readSourceFile(path, { end: HEAD_BYTES })) hash.update(chunk);
  return hash.digest('hex');
}
