import { createHash } from 'node:crypto';
import type { Archive } from './archive.js';
import { buildCatalog } from './catalog.js';
import { lineageBreak } from './lineage.js';
import type { Catalog } from './catalog.js';
import type { LogFacts, LogMetadata, LogObserver } from './metadata.js';
import { digestArchivedLog } from './push.js';
import { markerDigests } from './close-marker-digest.js';
import type { CloseMarker } from './close-marker.js';
import { readSourceFile, sourceFileSize } from '../source-file.js';

export interface VerifyProblem {
  file: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  problems: VerifyProblem[];
  ranges: Catalog['ranges'];
  gaps: Catalog['gaps'];
  /** The archived copies compared with the server's files of the same name, or why that was skipped. */
  sourceCheck: { compared: number; skipped?: string };
}

/** The server's closed logs, to compare the archived copies with; or why they could not be listed. */
export type SourceLogsForVerify = { logs: { name: string; path: string }[]; closeMarker?: CloseMarker } | { skipped: string };

/** Engine-specific format check: an observer that re-reads the bytes and reports what is wrong with them. */
export interface FormatChecker {
  observer(metadata: LogMetadata): LogObserver | undefined;
  problemsIn(facts: LogFacts, metadata: LogMetadata): string[];
}

/** Logs of one stream whose sequence numbers follow each other. */
function consecutivePairs(logs: LogMetadata[]): [LogMetadata, LogMetadata][] {
  const pairs: [LogMetadata, LogMetadata][] = [];
  for (let i = 1; i < logs.length; i++) {
    const [previous, next] = [logs[i - 1]!, logs[i]!];
    if ((previous.stream ?? '') === (next.stream ?? '') && next.sequence === previous.sequence + 1) pairs.push([previous, next]);
  }
  return pairs;
}

/** Re-reads every archived log: checksum, size, format (via the engine), continuity of the chain; lists refused entries. */
export async function verifyArchive(archive: Archive, systemId: string, checker?: FormatChecker, source?: SourceLogsForVerify): Promise<VerifyReport> {
  await archive.assertMounted();
  const [systems, logs, snapshots] = await Promise.all([archive.scanSystems(), archive.scanLogs(systemId), archive.scanSnapshots(systemId)]);
  const archived = logs.found;
  const catalog = buildCatalog(archived);
  // Forged, foreign or linked entries first: each names its file; none of them is read further.
  const problems: VerifyProblem[] = [...systems.rejected, ...logs.rejected, ...snapshots.rejected].map(({ file, problem }) => ({ file, problem }));
  let checked = 0;
  /** What each archived copy really holds (its metadata may lie): compared with the server's file. */
  const copies: ArchivedCopy[] = [];
  for (const log of archived) {
    if (log.metadataError) {
      problems.push({ file: log.name, problem: `metadata unreadable: ${log.metadataError}` });
      continue;
    }
    if (!log.metadata) {
      problems.push({ file: log.name, problem: 'data without metadata (a ship run died in between; the next ship run checks it and writes the metadata)' });
      continue;
    }
    if (!log.dataEntry) {
      problems.push({ file: log.name, problem: 'metadata without data: the log file is missing from the archive' });
      continue;
    }
    checked++;
    const metadata = log.metadata;
    try {
      const observer = checker?.observer(metadata);
      const { digest, facts } = await digestArchivedLog(archive, systemId, metadata, observer);
      copies.push({ name: log.name, size: digest.size, sha256: digest.sha256 });
      if (digest.size !== metadata.size)
        problems.push({ file: log.name, problem: `size ${digest.size} differs from the recorded ${metadata.size} (truncated or replaced)` });
      if (digest.sha256 !== metadata.sha256) problems.push({ file: log.name, problem: `sha256 ${digest.sha256} differs from the recorded ${metadata.sha256}` });
      if (checker && observer) for (const problem of checker.problemsIn(facts, metadata)) problems.push({ file: log.name, problem });
    } catch (error) {
      problems.push({ file: log.name, problem: `unreadable: ${(error as Error).message}` });
    }
  }
  for (const gap of catalog.gaps)
    problems.push({ file: gap.before, problem: `gap: logs ${gap.missingSequences} between ${gap.after} and ${gap.before} are missing` });
  for (const [previous, next] of consecutivePairs(catalog.logs)) {
    const reason = lineageBreak(previous, next);
    if (reason)
      problems.push({ file: next.name, problem: `does not continue ${previous.name}: ${reason} (another server or history shipped into this system folder)` });
  }
  const sourceCheck = await compareWithSource(copies, source, problems);
  return { ok: problems.length === 0, checked, problems, ranges: catalog.ranges, gaps: catalog.gaps, sourceCheck };
}

interface ArchivedCopy {
  name: string;
  size: number;
  sha256: string;
}

/** Every archived log the server still has must be byte for byte the server's file. */
async function compareWithSource(
  archived: ArchivedCopy[],
  source: SourceLogsForVerify | undefined,
  problems: VerifyProblem[],
): Promise<VerifyReport['sourceCheck']> {
  if (!source) return { compared: 0, skipped: 'no server to compare with' };
  if ('skipped' in source) return { compared: 0, skipped: source.skipped };
  const byName = new Map(source.logs.map((log) => [log.name, log]));
  let compared = 0;
  for (const copy of archived) {
    const log = byName.get(copy.name);
    if (!log) continue;
    try {
      const problem = await differenceFromSource(copy, log.path, source.closeMarker);
      compared++;
      if (problem) problems.push({ file: copy.name, problem });
    } catch (error) {
      problems.push({ file: copy.name, problem: `could not compare with the server's ${log.path}: ${(error as Error).message}` });
    }
  }
  return { compared };
}

async function differenceFromSource(copy: ArchivedCopy, path: string, closeMarker: CloseMarker | undefined): Promise<string | undefined> {
  const size = await sourceFileSize(path);
  const different = `differs from the server's ${path} (archived ${copy.size} bytes`;
  if (size !== copy.size) return `${different}, server ${size} bytes): a different log under the same name, or the server's file was changed`;
  if (!closeMarker) {
    const hash = await sha256OfSourceFile(path);
    return hash === copy.sha256
      ? undefined
      : `${different}, sha256 ${copy.sha256.slice(0, 12)}… vs ${hash.slice(0, 12)}…): a different log under the same name`;
  }
  const digests = await markerDigests(readSourceFile(path), closeMarker);
  if (digests.actual === copy.sha256) return undefined;
  if (copy.sha256 === digests.asOpen && digests.saysOpen === false) {
    return `differs from the server's ${path} only in ${closeMarker.description}: it was archived before the server finished closing it; the next snaplog ship replaces it with the cleanly closed file`;
  }
  if (copy.sha256 === digests.asClosed)
    return `differs from the server's ${path} only in ${closeMarker.description}: the archived copy says closed, the server's says open; the archived copy is kept`;
  return `${different}, sha256 ${copy.sha256.slice(0, 12)}… vs ${digests.actual.slice(0, 12)}…): a different log under the same name`;
}

async function sha256OfSourceFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readSourceFile(path)) hash.update(chunk);
  return hash.digest('hex');
}
