import type { Connection, RowDataPacket } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';

export interface MysqlEndpoint {
  socket?: string;
  host?: string;
  port: number;
  user: string;
  /** Read from a 0600 file by the caller: it travels only inside the protocol, never on a command line. */
  password?: string;
  /** Where the user/password came from, for error messages. */
  credentialSource: string;
}

export class DatabaseUnavailableError extends SnaplogError {
  constructor(where: string, cause: unknown) {
    super(`cannot connect to the database at ${where}: ${(cause as Error).message}`, {
      hint: 'check that the server is running and that [mysql] socket (or host/port) in the config points at it',
      cause,
    });
  }
}

export class DatabaseAuthError extends SnaplogError {
  constructor(user: string, source: string) {
    super(`the database refused user '${user}' (wrong password or missing grant)`, {
      hint: `check the credentials at ${source}; the password file must hold just the password, mode 0600`,
    });
  }
}

export class DatabasePrivilegeError extends SnaplogError {
  constructor(cause: unknown) {
    super(`the database refused: ${(cause as Error).message}`, {
      hint: "'snaplog config check --database' lists every privilege snaplog needs that this user lacks, and the GRANT that adds them",
      cause,
    });
  }
}

const PRIVILEGE_DENIED = new Set(['ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

/** The server refused a statement for a missing privilege (not a wrong password: that fails the connection). */
export function isPrivilegeDenied(error: unknown): boolean {
  return PRIVILEGE_DENIED.has((error as { code?: string }).code ?? '');
}

/** A server's "Access denied; you need … privilege" as an error that says how to find every missing grant. */
export function asPrivilegeError(error: unknown): unknown {
  return isPrivilegeDenied(error) ? new DatabasePrivilegeError(error) : error;
}

export function describeEndpoint(endpoint: MysqlEndpoint): string {
  return endpoint.socket ? `socket ${endpoint.socket}` : `${endpoint.host ?? 'localhost'}:${endpoint.port}`;
}

export async function connectMysql(endpoint: MysqlEndpoint): Promise<Connection> {
  // Loaded on first use: commands that never connect (status, thaw, --version) do not pay for the driver.
  const { default: mysql } = await import('mysql2/promise');
  try {
    return await mysql.createConnection({
      ...(endpoint.socket ? { socketPath: endpoint.socket } : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port }),
      user: endpoint.user,
      password: endpoint.password,
      multipleStatements: false,
      connectTimeout: 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR')
      throw new DatabaseAuthError(endpoint.user, endpoint.credentialSource);
    throw new DatabaseUnavailableError(describeEndpoint(endpoint), error);
  }
}

export async function queryRows(connection: Connection, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [rows] = await connection.query<RowDataPacket[]>(sql, values);
  return rows as Record<string, unknown>[];
}

/** One global variable, or undefined when this server flavour does not have it. */
export async function globalVariable(connection: Connection, name: string): Promise<string | undefined> {
  const rows = await queryRows(connection, 'SHOW GLOBAL VARIABLES LIKE ?', [name]);
  const value = rows[0]?.['Value'];
  return value === undefined || value === null ? undefined : String(value);
}
