import type { Archive } from './archive.js';
import { buildCatalog } from './catalog.js';
import type { Catalog } from './catalog.js';
import type { LogFacts, LogMetadata, LogObserver } from './metadata.js';
import { digestArchivedLog } from './push.js';

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
}

/** Engine-specific format check: an observer that re-reads the bytes and reports what is wrong with them. */
export interface FormatChecker {
  observer(metadata: LogMetadata): LogObserver | undefined;
  problemsIn(facts: LogFacts, metadata: LogMetadata): string[];
}

/** Re-reads every archived log: checksum, size, format (via the engine), continuity of the chain; lists refused entries. */
export async function verifyArchive(archive: Archive, systemId: string, checker?: FormatChecker): Promise<VerifyReport> {
  await archive.assertMounted();
  const [systems, logs, snapshots] = await Promise.all([archive.scanSystems(), archive.scanLogs(systemId), archive.scanSnapshots(systemId)]);
  const archived = logs.found;
  const catalog = buildCatalog(archived);
  // Forged, foreign or linked entries first: each names its file; none of them is read further.
  const problems: VerifyProblem[] = [...systems.rejected, ...logs.rejected, ...snapshots.rejected].map(({ file, problem }) => ({ file, problem }));
  let checked = 0;
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
      if (digest.size !== metadata.size) problems.push({ file: log.name, problem: `size ${digest.size} differs from the recorded ${metadata.size} (truncated or replaced)` });
      if (digest.sha256 !== metadata.sha256) problems.push({ file: log.name, problem: `sha256 ${digest.sha256} differs from the recorded ${metadata.sha256}` });
      if (checker && observer) for (const problem of checker.problemsIn(facts, metadata)) problems.push({ file: log.name, problem });
    } catch (error) {
      problems.push({ file: log.name, problem: `unreadable: ${(error as Error).message}` });
    }
  }
  for (const gap of catalog.gaps) problems.push({ file: gap.before, problem: `gap: logs ${gap.missingSequences} between ${gap.after} and ${gap.before} are missing` });
  return { ok: problems.length === 0, checked, problems, ranges: catalog.ranges, gaps: catalog.gaps };
}
