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
  const fetched = await Promise.all(
    logs.map((log) =>
      queue.add(async () => {
        // The name comes from the archive: a checked name is one path segment, so the copy stays in `dir`.
        const path = join(dir, checkArchiveName(log.name, 'log name'));
        const existing = await lstat(path).catch(() => undefined);
        if (existing?.isFile() && existing.size === log.size && (await sha256OfFile(path)) === log.sha256) return { ...log, path };
        const temp = `${path}.fetch`;
        await unlink(temp).catch(() => undefined);
        const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        const hash = createHash('sha256');
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
        await rename(temp, path);
        const result = { ...log, path };
        onFetched?.(result);
        return result;
      }),
    ),
  );
  return fetched as FetchedLog[];
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
