import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { Archive } from './archive.js';
import { SnaplogError } from '../errors.js';
import { checkArchiveName } from './names.js';
import type { LogMetadata } from './metadata.js';

/** One archived log a restore replays, and the stretch of it to replay. */
export interface PlannedLog {
  name: string;
  sequence: number;
  size: number;
  sha256: string;
  storedName: string;
  compression: LogMetadata['compression'];
  /** Replay starts here in this log (the snapshot position in the first, the first event elsewhere). */
  from: number;
  /** Replay ends here (exclusive) in the last log; absent = to the end of the log. */
  to?: number;
}

/** The stretch of an archived log a restore replays, from `from` to its end. */
export function plannedLog(log: LogMetadata, from: number): PlannedLog {
  return { name: log.name, sequence: log.sequence, size: log.size, sha256: log.sha256, storedName: log.storedName, compression: log.compression, from };
}

export class LogChecksumError extends SnaplogError {
  constructor(name: string, expected: string, found: string) {
    super(`archived ${name} does not match its recorded checksum (sha256 ${found.slice(0, 16)}…, expected ${expected.slice(0, 16)}…): nothing was applied`, {
      hint: 'run snaplog verify; restore from an older snapshot or a replica copy of this log',
    });
  }
}

export interface FetchedLog extends PlannedLog {
  path: string;
}

/**
 * Copies the planned logs out of the archive into `dir` (decompressing), checking each sha256 before
 * anything is applied. Two at a time: the next log is fetched while the previous one is checked.
 */
export async function fetchLogs(
  archive: Archive,
  systemId: string,
  logs: PlannedLog[],
  dir: string,
  onFetched?: (log: FetchedLog) => void,
): Promise<FetchedLog[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const queue = new PQueue({ concurrency: 2 });
  let failure: { reason: unknown } | undefined;
  // allSettled: a failed log must not return while the other copy is still writing into `dir` (the caller
  // removes a staging folder it made; a write still in flight would race that). After a failure no new copy starts.
  const settled = await Promise.allSettled(
    logs.map((log) =>
      queue.add(async () => {
        if (failure) throw failure.reason;
        try {
          const result = await fetchOne(archive, systemId, log, dir);
          onFetched?.(result);
          return result;
        } catch (error) {
          failure ??= { reason: error };
          throw error;
        }
      }),
    ),
  );
  if (failure) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<FetchedLog>).value);
}

/** One log into `dir`, whole and checked: a copy already there with the right sha256 is kept. */
async function fetchOne(archive: Archive, systemId: string, log: PlannedLog, dir: string): Promise<FetchedLog> {
  // The name comes from the archive: a checked name is one path segment, so the copy stays in `dir`.
  const path = join(dir, checkArchiveName(log.name, 'log name'));
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isFile() && existing.size === log.size && (await sha256OfFile(path)) === log.sha256) return { ...log, path };
  const temp = `${path}.fetch`;
  await unlink(temp).catch(() => undefined);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  const hash = createHash('sha256');
  try {
    try {
      for await (const chunk of archive.openLog(systemId, log)) {
        hash.update(chunk as Buffer);
        await handle.write(chunk as Buffer);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const digest = hash.digest('hex');
    if (digest !== log.sha256) throw new LogChecksumError(log.name, log.sha256, digest);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await rename(temp, path);
  return { ...log, path };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}
