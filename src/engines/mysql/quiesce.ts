import type { Connection } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import type { FreezeMethod } from '../../config/index.js';
import type { Quiesced } from '../types.js';
import { globalVariable, queryRows } from './connection.js';
import { chooseFreezeMethod, dialectFromVersion } from './dialect.js';
import type { ServerDialect } from './dialect.js';

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
 * (no read_only): nothing outlives the session.
 */
export async function quiesceMysql(connection: Connection, configured: FreezeMethod): Promise<Quiesced> {
  const dialect = await serverDialect(connection);
  const statements = dialect.freezeStatements(chooseFreezeMethod(dialect, configured));
  try {
    for (const statement of statements.lock) await connection.query(statement);
    const position = await readBinlogPosition(connection, dialect);
    return {
      position,
      serverVersion: dialect.versionString,
      serverFlavor: dialect.flavor,
      method: statements.method,
      release: async () => {
        await connection.query(statements.unlock);
      },
    };
  } catch (error) {
    // A lock taken before the failure must not wait for the session to end.
    await connection.query(statements.unlock).catch(() => undefined);
    throw error;
  }
}
