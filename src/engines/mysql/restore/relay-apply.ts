import { constants } from 'node:fs';
import { link, copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { SnaplogError } from '../../../errors.js';
import { queryRows } from '../connection.js';
import { readReplicaStatus } from '../dialect.js';
import { transactionsSince } from './gtid.js';
import type { ReplicaControl, ReplicaStatus } from '../dialect.js';
import { serverDialect } from '../quiesce.js';
import { chownOwnFile, removeOwnFile, writeOwnFile } from '../own-files.js';
import type { Owner } from '../own-files.js';

/** One log to apply through the SQL thread, already fetched and checked. */
export interface RelayLogInput {
  path: string;
  /** Replay starts here in the first log. */
  from: number;
  /** The source binlog's own name ("mysql-bin.000042"): the applier's source log name (MariaDB's parallel workers need one). */
  name?: string;
}

export interface RelayApplyRequest {
  socket: string;
  /** The private server's data directory: the relay logs go there, as the server expects them. */
  relayDir: string;
  logs: RelayLogInput[];
  /** Offset in the last log where replay stops; undefined = apply everything. */
  stopPosition?: number;
  /** Size of the last log: an UNTIL at its very end would never fire. */
  lastLogSize: number;
  /**
   * Without stopPosition: where the last complete transaction of the last log ends (default lastLogSize). The replay is
   * done when the applier has committed up to there: with parallel workers the SQL thread reads the whole log before
   * its workers have committed it, so "read all relay log" alone does not mean applied.
   */
  endPosition?: number;
  /** The GTID position before `from` (MariaDB), to count applied transactions for the progress. */
  baselineGtids?: string;
  onProgress?: (progress: RelayProgress) => void;
  pollMs?: number;
  /** SIGINT/SIGTERM of the restore: the SQL thread is stopped between transactions and the replay ends with ReplayInterruptedError. */
  signal?: AbortSignal;
}

export interface RelayProgress {
  fileIndex: number;
  /** Where the applier has committed up to (in order: with parallel workers too). */
  position: number;
  /** Transactions committed since `from` (from the GTID position; undefined when it cannot tell). */
  transactions?: number;
}

export interface RelayApplyResult {
  gtidSlavePos?: string;
  lastFile: string;
  lastPosition: number;
  /** Transactions applied (from the GTID positions; undefined when they cannot tell). */
  transactions?: number;
}

export class ReplayError extends SnaplogError {
  constructor(
    message: string,
    readonly failedAt: { fileIndex: number; position: number },
    hint: string,
  ) {
    super(message, { hint });
  }
}

/** The replay was stopped on request, between two transactions; `failedAt` is where it stands. */
export class ReplayInterruptedError extends ReplayError {}

/** snaplog's replication files in the data directory (besides the relay logs themselves). */
export const REPLAY_CONTROL_FILES = ['relay-bin.index', 'master.info', 'relay-log.info'];

export function relayName(index: number): string {
  return `relay-bin.${String(index + 1).padStart(6, '0')}`;
}

/**
 * Links (or copies) the fetched logs into the data directory as relay-bin.000001 … and writes the index
 * with `./` names, the layout the server itself writes (verified on MariaDB 10.11). What was at those
 * names (an older replay's files, a symlink planted on the restored disk) is removed first, never
 * followed; the files are handed to the server's user through their descriptors.
 */
export async function prepareRelayLogs(relayDir: string, logs: RelayLogInput[], owner?: Owner): Promise<void> {
  await removeReplayFiles(relayDir);
  const lines: string[] = [];
  for (const [i, log] of logs.entries()) {
    const target = join(relayDir, relayName(i));
    // link() and an exclusive copy (COPYFILE_EXCL) create the name and never follow a link there.
    await link(log.path, target).catch(() => copyFile(log.path, target, constants.COPYFILE_EXCL)); // trusted: O_EXCL creates the name
    if (owner) await chownOwnFile(target, owner);
    lines.push(`./${relayName(i)}`);
  }
  await writeOwnFile(join(relayDir, 'relay-bin.index'), `${lines.join('\n')}\n`, { mode: 0o600, owner });
}

/**
 * Removes relay logs, their index and the replication info files from a data directory (never following
 * a link planted there): done before any server starts on a restored disk, which would read them.
 */
export async function removeReplayFiles(datadir: string): Promise<void> {
  for (const entry of await readdir(datadir)) if (/^relay-bin\.\d{6,}$/.test(entry)) await removeOwnFile(join(datadir, entry));
  for (const name of REPLAY_CONTROL_FILES) await removeOwnFile(join(datadir, name));
}

async function replicaStatus(connection: Connection, control: ReplicaControl): Promise<ReplicaStatus> {
  const [row] = await queryRows(connection, control.status);
  if (!row)
    throw new SnaplogError(`${control.status} returned nothing: the replay channel is not configured`, {
      hint: 'run the same snaplog restore command with --resume',
    });
  return readReplicaStatus(row, control);
}

/** The applier's name for the source log: the archived binlog's own name when it looks like one. */
function sourceLogName(log: RelayLogInput): string {
  return log.name && /^[\w.-]{1,200}\.\d{1,10}$/.test(log.name) ? log.name : 'snaplog-source.000001';
}

/** MariaDB's parallel workers, and those holding an event group (any state but waiting for one); 0 and 0 without workers. */
const WORKERS =
  "SELECT COUNT(*) AS workers, COALESCE(SUM(STATE <> 'Waiting for work from SQL thread'), 0) AS busy " +
  "FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_worker'";

const PROGRESS_EVERY_MS = 1000;

/**
 * Replays through the private server's replication applier (no client round trips): the relay logs start at the
 * snapshot offset and stop exactly at the planned position (START SLAVE … UNTIL).
 *
 * With parallel workers (MariaDB slave_parallel_threads > 0; runbooks/replay-notes.md) the SQL thread stops queueing
 * at the UNTIL position and its workers finish only what was queued before it, committing in source order, so the
 * stop stays exact; `Relay_Log_Pos` is then where the workers have committed up to. What this function checks before
 * it returns: an UNTIL replay stands exactly at the stop offset; a replay to the end has committed through the last
 * transaction (the SQL thread reads the last log before its workers have applied it).
 */
export async function applyThroughRelay(request: RelayApplyRequest): Promise<RelayApplyResult> {
  const connection = await mysql.createConnection({ socketPath: request.socket, user: 'root' });
  const lastIndex = request.logs.length - 1;
  const lastFile = relayName(lastIndex);
  const indexOf = (file: string): number => Number(/\.(\d+)$/.exec(file)?.[1] ?? 1) - 1;
  const first = request.logs[0]!;
  try {
    // The private server's own dialect: MariaDB's SLAVE words, MySQL 8.0.22+'s REPLICA, 8.0.23+'s SOURCE.
    const control = (await serverDialect(connection)).replica;
    const status = (): Promise<ReplicaStatus> => replicaStatus(connection, control);
    const appliedGtids = async (): Promise<string | undefined> => {
      const [row] = await queryRows(connection, control.appliedGtids);
      return row?.['pos'] ? String(row['pos']) : undefined;
    };
    const workers = async (): Promise<{ workers: number; busy: number }> => {
      const [row] = await queryRows(connection, WORKERS).catch(() => [{ workers: 0, busy: 0 }]);
      return { workers: Number(row?.['workers'] ?? 0), busy: Number(row?.['busy'] ?? 0) };
    };
    const stopSqlThread = `${control.stop} SQL_THREAD`;
    await connection.query(control.stop).catch(() => undefined);
    await connection.query(control.reset).catch(() => undefined);
    await connection
      .query(control.startAt(relayName(0), Number(first.from), { file: sourceLogName(first), position: Number(first.from) }))
      .catch((error: Error) => {
        throw new SnaplogError(`the private server would not take the relay logs: ${error.message}`, {
          hint:
            'snaplog writes relay-bin.*, relay-bin.index, master.info and relay-log.info in the data directory; ' +
            'check that it is writable by its owner and not full, then run the same command with --resume',
        });
      });
    const untilEnd = request.stopPosition === undefined || request.stopPosition >= request.lastLogSize;
    const endPosition = Math.min(request.endPosition ?? request.lastLogSize, request.lastLogSize);
    const start = untilEnd ? control.startToEnd : control.startUntil(lastFile, Number(request.stopPosition));
    await connection.query(start);
    let lastProgress = 0;
    let previous: ReplicaStatus | undefined;
    let checkedAt: number | undefined;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, request.pollMs ?? 50));
      if (request.signal?.aborted) {
        await connection.query(stopSqlThread);
        const stopped = await status();
        throw new ReplayInterruptedError(
          `replay interrupted in ${relayName(indexOf(stopped.relayFile))} at offset ${stopped.relayPos} (between two transactions)`,
          { fileIndex: indexOf(stopped.relayFile), position: stopped.relayPos },
          'the transactions before it are applied; run the same snaplog restore command with --resume to finish',
        );
      }
      const now = await status().catch((error: Error & { code?: string }) => {
        if (error.code !== 'PROTOCOL_CONNECTION_LOST' && error.code !== 'ECONNREFUSED' && error.code !== 'ECONNRESET') throw error;
        const at = previous ?? { relayFile: relayName(0), relayPos: Number(first.from) };
        throw new ReplayError(
          `the private server stopped during the replay (it had applied up to ${relayName(indexOf(at.relayFile))} offset ${at.relayPos} when last asked)`,
          { fileIndex: indexOf(at.relayFile), position: at.relayPos },
          "look at the private server's error log (a crash or a kill); then run the same snaplog restore command with --resume, " +
            'adding --server-arg=--slave-parallel-threads=0 if it was a crash of a parallel worker',
        );
      });
      if (request.onProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        const transactions = transactionsSince(request.baselineGtids, await appliedGtids());
        request.onProgress({ fileIndex: indexOf(now.relayFile), position: now.relayPos, transactions });
      }
      if (now.errno !== 0) {
        throw new ReplayError(
          `replay failed in ${relayName(indexOf(now.relayFile))} at offset ${now.relayPos}: error ${now.errno}: ${now.error}`,
          { fileIndex: indexOf(now.relayFile), position: now.relayPos },
          'the transactions before it are applied; fix the cause on the restored server, then run the same snaplog restore command with --resume',
        );
      }
      const inLast = indexOf(now.relayFile) === lastIndex;
      if (untilEnd) {
        // Past the last log: the applier moved on to the server's own (empty) relay log after a source log's Stop event.
        if ((inLast && now.relayPos >= endPosition) || indexOf(now.relayFile) > lastIndex) break;
        // Everything read, no worker holding a group, nothing committed since the last poll: stop and look where it stands.
        const still = previous?.relayFile === now.relayFile && previous.relayPos === now.relayPos;
        const pool = inLast && control.caughtUp.test(now.state) && still ? await workers() : undefined;
        if (pool && pool.busy === 0) {
          await connection.query(stopSqlThread);
          const stopped = await status();
          if (indexOf(stopped.relayFile) > lastIndex) break;
          if (indexOf(stopped.relayFile) === lastIndex && stopped.relayPos >= endPosition) break;
          // One SQL thread has applied all it read: short of the end means the log is shorter than its metadata says.
          // With workers, a second look with no progress since the first: nothing is left (the log ends in events that are no transaction).
          if (pool.workers === 0 || (indexOf(stopped.relayFile) === lastIndex && stopped.relayPos === checkedAt)) {
            if (pool.workers > 0) break;
            throw new ReplayError(
              `replay read every relay log without reaching the end of the last transaction at offset ${endPosition} ` +
                `(it stands at ${stopped.relayPos} in ${relayName(indexOf(stopped.relayFile))})`,
              { fileIndex: indexOf(stopped.relayFile), position: stopped.relayPos },
              'the archived log is shorter than its metadata says: run snaplog verify; nothing after the offset above was applied',
            );
          }
          checkedAt = stopped.relayPos;
          await connection.query(control.startToEnd);
        } else if (!now.sqlRunning) {
          throw new ReplayError(
            `the replay stopped in ${relayName(indexOf(now.relayFile))} at offset ${now.relayPos} before the end of the last log`,
            { fileIndex: indexOf(now.relayFile), position: now.relayPos },
            "the transactions before it are applied; look at the private server's error log, then run the same snaplog restore command with --resume",
          );
        }
        previous = now;
        continue;
      }
      previous = now;
      if (!now.sqlRunning) break;
      // The thread waits for more events at the end of the last log instead of stopping.
      if (inLast && control.caughtUp.test(now.state)) {
        await connection.query(stopSqlThread);
        const stopped = await status();
        if (stopped.relayPos >= request.stopPosition!) break;
        throw new ReplayError(
          `replay read every relay log without reaching the stop offset ${request.stopPosition} ` +
            `(it stands at ${stopped.relayPos} in ${relayName(indexOf(stopped.relayFile))})`,
          { fileIndex: indexOf(stopped.relayFile), position: stopped.relayPos },
          'the archived log is shorter than its metadata says: run snaplog verify; nothing after the offset above was applied',
        );
      }
    }
    await connection.query(control.stop);
    const final = await status();
    const wrongStop = untilEnd ? indexOf(final.relayFile) < lastIndex : indexOf(final.relayFile) !== lastIndex || final.relayPos !== request.stopPosition;
    if (wrongStop) {
      throw new ReplayError(
        `the replay stopped in ${relayName(indexOf(final.relayFile))} at offset ${final.relayPos}, ` +
          `not at the planned stop ${lastFile}:${request.stopPosition ?? endPosition}`,
        { fileIndex: indexOf(final.relayFile), position: final.relayPos },
        "the restored data is not at the target: restore the snapshot's disk again " +
          'and rerun with --server-arg=--slave-parallel-threads=0 (one applier thread)',
      );
    }
    const gtids = await appliedGtids();
    await connection.query(control.reset);
    const beyond = indexOf(final.relayFile) > lastIndex;
    return {
      gtidSlavePos: gtids,
      lastFile: beyond ? lastFile : relayName(indexOf(final.relayFile)),
      lastPosition: beyond ? request.lastLogSize : final.relayPos,
      transactions: transactionsSince(request.baselineGtids, gtids),
    };
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
