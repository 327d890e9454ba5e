import type { Connection } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import type { FreezeMethod } from './config.js';
import type { Quiesced } from '../types.js';
import { globalVariable, queryRows } from './connection.js';
import { chooseFreezeMethod, dialectFromVersion } from './dialect.js';
import type { ServerDialect } from './dialect.js';
import { removeSnapshotMarker, writeSnapshotMarker } from './snapshot-marker.js';

/** The server's dialect, from its version (readable by any user). */
export async function serverDialect(connection: Connection): Promise<ServerDialect> {
  const [row] = await queryRows(connection, 'SELECT VERSION() AS version');
  return dialectFromVersion(String(row?.['version'] ?? ''));
}

/** The binlog file, offset and GTID position, read by the dialect's statement; call it while the lock is held. */
export async function readBinlogPosition(connection: Connection, dialect: ServerDialect): Promise<{ file: string; position: number; gtid?: string }> {
  const query = dialect.binlogStatus;
  const [status] = await queryRows(connection, query.statement);
  if (!status) throw new SnaplogError('the server reports no binlog position (is binary logging on?)', { hint: 'enable log_bin on the server' });
  const fromRow = query.gtidColumn ? status[query.gtidColumn] : undefined;
  const gtid = fromRow !== undefined && fromRow !== null ? String(fromRow) : await globalVariable(connection, query.gtidVariable);
  return { file: String(status[query.fileColumn]), position: Number(status[query.positionColumn]), gtid: gtid?.trim() || undefined };
}

/**
 * Takes the lock on this session and reads the exact binlog position while it is held. The lock belongs
 * to the connection: if the process holding it dies, the server releases it. No global state is set
 * (no read_only): nothing outlives the session. With `markSnapshot` (a server on this machine) the position
 * is also left in the data directory (snaplog-snapshot.json) until the release, so a disk copied meanwhile
 * says which snapshot it is.
 */
export async function quiesceMysql(connection: Connection, configured: FreezeMethod, markSnapshot?: string): Promise<Quiesced> {
  const dialect = await serverDialect(connection);
  const statements = dialect.freezeStatements(chooseFreezeMethod(dialect, configured));
  try {
    for (const statement of statements.lock) await connection.query(statement);
    const position = await readBinlogPosition(connection, dialect);
    const datadir = markSnapshot ? await globalVariable(connection, 'datadir') : undefined;
    // Best effort: the marker is one of several clues to a copy's identity (restore also reads the binlogs).
    const marked = datadir
      ? await writeSnapshotMarker(datadir, markSnapshot!, position).then(
          () => true,
          () => false,
        )
      : false;
    return {
      position,
      serverVersion: dialect.versionString,
      serverFlavor: dialect.flavor,
      method: statements.method,
      release: async () => {
        if (marked) await removeSnapshotMarker(datadir!).catch(() => undefined);
        await connection.query(statements.unlock);
      },
    };
  } catch (error) {
    // A lock taken before the failure must not wait for the session to end.
    await connection.query(statements.unlock).catch(() => undefined);
    throw error;
  }
}
