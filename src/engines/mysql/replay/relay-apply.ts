import { constants } from 'node:fs';
import { link, copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { SnaplogError } from '../../../errors.js';
import { queryRows } from '../connection.js';
import { readReplicaStatus } from '../dialect.js';
import type { ReplicaControl, ReplicaStatus } from '../dialect.js';
import { serverDialect } from '../quiesce.js';
import { chownOwnFile, removeOwnFile, writeOwnFile } from '../own-files.js';
import type { Owner } from '../own-files.js';

/** One log to apply through the SQL thread, already fetched and checked. */
export interface RelayLogInput {
  path: string;
  /** Replay starts here in the first log. */
  from: number;
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
  onProgress?: (progress: RelayProgress) => void;
  pollMs?: number;
  /** SIGINT/SIGTERM of the restore: the SQL thread is stopped between transactions and the replay ends with ReplayInterruptedError. */
  signal?: AbortSignal;
}

export interface RelayProgress {
  fileIndex: number;
  position: number;
}

export interface RelayApplyResult {
  gtidSlavePos?: string;
  lastFile: string;
  lastPosition: number;
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
  if (!row) throw new SnaplogError(`${control.status} returned nothing: the replay channel is not configured`, { hint: 'run the same snaplog restore command with --resume' });
  return readReplicaStatus(row, control);
}

/**
 * Replays through the private server's replication SQL thread (no client round trips): the relay logs
 * start at the snapshot offset and stop exactly at the planned position (START SLAVE … UNTIL).
 */
export async function applyThroughRelay(request: RelayApplyRequest): Promise<RelayApplyResult> {
  const connection = await mysql.createConnection({ socketPath: request.socket, user: 'root' });
  const lastIndex = request.logs.length - 1;
  const lastFile = relayName(lastIndex);
  const indexOf = (file: string): number => Number(/\.(\d+)$/.exec(file)?.[1] ?? 1) - 1;
  try {
    // The private server's own dialect: MariaDB's SLAVE words, MySQL 8.0.22+'s REPLICA, 8.0.23+'s SOURCE.
    const control = (await serverDialect(connection)).replica;
    const status = (): Promise<ReplicaStatus> => replicaStatus(connection, control);
    const stopSqlThread = `${control.stop} SQL_THREAD`;
    await connection.query(control.stop).catch(() => undefined);
    await connection.query(control.reset).catch(() => undefined);
    await connection
      .query(control.startAt(relayName(0), Number(request.logs[0]!.from)))
      .catch((error: Error) => {
        throw new SnaplogError(`the private server would not take the relay logs: ${error.message}`, {
          hint:
            'snaplog writes relay-bin.*, relay-bin.index, master.info and relay-log.info in the data directory; ' +
            'check that it is writable by its owner and not full, then run the same command with --resume',
        });
      });
    const untilEnd = request.stopPosition === undefined || request.stopPosition >= request.lastLogSize;
    await connection.query(untilEnd ? control.startToEnd : control.startUntil(lastFile, Number(request.stopPosition)));
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
      const now = await status();
      request.onProgress?.({ fileIndex: indexOf(now.relayFile), position: now.relayPos });
      if (now.errno !== 0) {
        throw new ReplayError(
          `replay failed in ${relayName(indexOf(now.relayFile))} at offset ${now.relayPos}: error ${now.errno}: ${now.error}`,
          { fileIndex: indexOf(now.relayFile), position: now.relayPos },
          'the transactions before it are applied; fix the cause on the restored server, then run the same snaplog restore command with --resume',
        );
      }
      if (!now.sqlRunning) break;
      // The thread waits for more events at the end of the last log instead of stopping.
      if (indexOf(now.relayFile) === lastIndex && control.caughtUp.test(now.state)) {
        if (untilEnd) break;
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
    const final = await status();
    const [gtidRow] = await queryRows(connection, control.appliedGtids);
    await connection.query(control.stop);
    await connection.query(control.reset);
    return { gtidSlavePos: gtidRow?.['pos'] ? String(gtidRow['pos']) : undefined, lastFile: relayName(indexOf(final.relayFile)), lastPosition: final.relayPos };
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
