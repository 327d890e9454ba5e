/**
 * How snaplog talks to the instance: one interface, two ways in. With [oracle] password_file, node-oracledb
 * in Thin mode (SYSDBA/SYSBACKUP with the password from the 0600 file). Without, `sqlplus -S /nolog`
 * run as linux_user with OS authentication (`connect / as sysdba`), the script on stdin.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { SnaplogError } from '../../errors.js';
import { currentUserName } from '../../processes.js';
import type { OracleConfig } from './config.js';
import { findOraError, isConnectionLost, oracleError, OutcomeUnknownError } from './errors.js';

export type Row = Record<string, string>;

export interface Query {
  columns: Record<string, string>;
  rest: string;
}

export interface OracleSession {
  /** SELECT <columns as aliases> <rest>; values as text (NULL → ''). */
  query(columns: Record<string, string>, rest: string, what: string): Promise<Row[]>;
  /** An optional statement, then the queries, in one round trip where the client allows (one sqlplus run); stops at the first error. */
  batch(statement: string | undefined, queries: Query[], what: string): Promise<Row[][]>;
  execute(statement: string, what: string): Promise<void>;
  /**
   * Every call from now on ends by `deadlineMs` (the freeze pre-step's deadline) as well as within
   * call_timeout; undefined lifts the limit.
   */
  limitTo(deadlineMs: number | undefined): void;
  close(): Promise<void>;
}

/** Pure: how long the next call may take, in ms: call_timeout, or less when a deadline comes first. */
export function callBudgetMs(callTimeoutSeconds: number, deadlineMs: number | undefined, now = Date.now()): number {
  const budget = callTimeoutSeconds * 1000;
  if (deadlineMs === undefined) return budget;
  const left = deadlineMs - now;
  if (left < 1000) {
    throw new SnaplogError('no time left before the freeze deadline for another database call', {
      hint: 'the pre-step took the whole [workload] timeout: check the archive and the database, or raise the timeout',
    });
  }
  return Math.min(budget, left);
}

/** Pure: a date column as UTC ISO text, using the server's own time zone (SYSTIMESTAMP's) for DATE values. */
export function utcText(column: string): string {
  return `TO_CHAR(SYS_EXTRACT_UTC(FROM_TZ(CAST(${column} AS TIMESTAMP), TO_CHAR(SYSTIMESTAMP, 'TZR'))), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

/** Pure: the sqlplus script that prints one `<tag>|v1|v2…` line per row (a tag per query of a batch). */
export function sqlplusQueryScript(columns: Record<string, string>, rest: string, tag = 'ROW'): string {
  const select = Object.values(columns)
    .map((expression) => `NVL(TO_CHAR(${expression}), '')`)
    .join(` || '|' || `);
  return `SELECT '${tag}|' || ${select} FROM ${rest};`;
}

/** Pure: rows back from `<tag>|…` lines. */
export function parseSqlplusRows(output: string, columns: Record<string, string>, tag = 'ROW'): Row[] {
  const names = Object.keys(columns);
  return output
    .split(/\r?\n/)
    .filter((line) => line.startsWith(`${tag}|`))
    .map((line) => {
      const values = line.slice(tag.length + 1).split('|');
      return Object.fromEntries(names.map((name, index) => [name, (values[index] ?? '').trim()]));
    });
}

/** Pure: argv for a client tool (sqlplus, rman) as linux_user; never a credential. */
export function clientInvocation(
  config: Pick<OracleConfig, 'binDir' | 'linuxUser'>,
  tool: string,
  args: string[],
  currentUser: string,
): { file: string; args: string[] } {
  const path = join(config.binDir, tool);
  return config.linuxUser !== 'root' && config.linuxUser !== currentUser
    ? { file: 'runuser', args: ['-u', config.linuxUser, '--', path, ...args] }
    : { file: path, args };
}

/** Pure: a statement as sqlplus takes it: SQL ends with `;`, a PL/SQL block with a `/` line. */
export function sqlplusStatement(statement: string): string {
  return /^(BEGIN|DECLARE)\b/i.test(statement) ? `${statement}\n/` : `${statement};`;
}

const PREAMBLE = ['WHENEVER SQLERROR EXIT FAILURE', 'SET HEADING OFF FEEDBACK OFF PAGESIZE 0 LINESIZE 32767 TRIMSPOOL ON ECHO OFF VERIFY OFF'];

export class SqlplusSession implements OracleSession {
  private readonly currentUser = currentUserName();
  private deadlineMs: number | undefined;

  constructor(private readonly config: OracleConfig) {}

  limitTo(deadlineMs: number | undefined): void {
    this.deadlineMs = deadlineMs;
  }

  private async run(body: string, what: string): Promise<string> {
    const { file, args } = clientInvocation(this.config, 'sqlplus', ['-S', '-L', '/nolog'], this.currentUser);
    const input = `${['CONNECT / AS SYSDBA', ...PREAMBLE, body, 'EXIT'].join('\n')}\n`;
    const budgetMs = callBudgetMs(this.config.callTimeoutSeconds, this.deadlineMs);
    const result = await execa(file, args, {
      input,
      reject: false,
      timeout: budgetMs,
      forceKillAfterDelay: 2000,
      env: { ORACLE_SID: this.config.sid, ORACLE_HOME: this.config.oracleHome },
    });
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
    const ora = findOraError(output);
    if (ora) throw oracleError(what, ora.code, ora.message);
    if (result.timedOut) {
      const cut = budgetMs < this.config.callTimeoutSeconds * 1000;
      const limit = cut ? `by the freeze deadline (${Math.round(budgetMs / 1000)} s)` : `within ${this.config.callTimeoutSeconds} s`;
      throw new OutcomeUnknownError(`${what}: sqlplus did not finish ${limit}; it may or may not have run`, {
        hint: 'check the instance (alert log); raise [workload] timeout or [oracle] call_timeout if it is only slow',
      });
    }
    if (result.exitCode !== 0) {
      throw new SnaplogError(
        `${what}: sqlplus exited with ${result.exitCode ?? 'a signal'}: ${output.trim().split('\n').slice(-2).join(' / ') || 'no output'}`,
        {
          hint:
            (result as { code?: string }).code === 'ENOENT'
              ? 'check [workload] command_path (the folder of sqlplus) or ORACLE_HOME in oratab'
              : 'is the instance up? does linux_user have OS authentication (dba group)?',
        },
      );
    }
    return output;
  }

  async query(columns: Record<string, string>, rest: string, what: string): Promise<Row[]> {
    return parseSqlplusRows(await this.run(sqlplusQueryScript(columns, rest), what), columns);
  }

  async execute(statement: string, what: string): Promise<void> {
    await this.run(sqlplusStatement(statement), what);
  }

  async batch(statement: string | undefined, queries: Query[], what: string): Promise<Row[][]> {
    const body = [
      ...(statement ? [sqlplusStatement(statement)] : []),
      ...queries.map((query, index) => sqlplusQueryScript(query.columns, query.rest, `ROW${index}`)),
    ].join('\n');
    const output = await this.run(body, what);
    return queries.map((query, index) => parseSqlplusRows(output, query.columns, `ROW${index}`));
  }

  async close(): Promise<void> {}
}

/** What ThinSession needs of an oracledb Connection (a fake one in tests). */
export interface ThinConnection {
  execute(sql: string, binds?: unknown[], options?: { outFormat?: number }): Promise<{ rows?: unknown[] }>;
  /** node-oracledb's per-round-trip limit in ms (0 = none): how a deadline reaches a Thin call. */
  callTimeout?: number;
  close(): Promise<void>;
}

/** Statements that may run twice: a second run of BEGIN BACKUP or CREATE_JOB would fail or duplicate. */
const isRepeatable = (statement: string): boolean => !/BEGIN BACKUP|CREATE_JOB/i.test(statement);

export class ThinSession implements OracleSession {
  private deadlineMs: number | undefined;

  constructor(
    private connection: ThinConnection,
    private readonly objectFormat: number,
    /** A new connection when the old one is lost (the watchdog's may sit idle for the whole timeout). */
    private readonly reconnect?: () => Promise<ThinConnection>,
    private readonly callTimeoutSeconds = 120,
  ) {}

  limitTo(deadlineMs: number | undefined): void {
    this.deadlineMs = deadlineMs;
  }

  private mapError(what: string, error: unknown): Error {
    if (error instanceof SnaplogError) return error;
    const text = error instanceof Error ? error.message : String(error);
    if (isConnectionLost(text))
      return new OutcomeUnknownError(`${what}: the connection was lost (${text.split('\n')[0]}); it may or may not have run`, {
        hint: 'check the instance and the listener; snaplog ended backup mode if it could',
      });
    const ora = findOraError(text);
    if (ora) return oracleError(what, ora.code, ora.message);
    return new SnaplogError(`${what} failed: ${text}`, { hint: 'check [oracle] connect_string and that the listener is up' });
  }

  private async call<T>(what: string, work: (connection: ThinConnection) => Promise<T>, repeatable: boolean): Promise<T> {
    this.connection.callTimeout = this.deadlineMs === undefined ? 0 : callBudgetMs(this.callTimeoutSeconds, this.deadlineMs);
    try {
      return await work(this.connection);
    } catch (error) {
      const lost = !(error instanceof SnaplogError) && isConnectionLost(error instanceof Error ? error.message : String(error));
      if (!lost || !this.reconnect) throw this.mapError(what, error);
      await this.connection.close().catch(() => undefined);
      try {
        this.connection = await this.reconnect();
      } catch (reconnectError) {
        throw this.mapError(`${what} (reconnecting)`, reconnectError);
      }
      if (!repeatable) throw this.mapError(what, error);
      try {
        return await work(this.connection);
      } catch (retryError) {
        throw this.mapError(what, retryError);
      }
    }
  }

  async query(columns: Record<string, string>, rest: string, what: string): Promise<Row[]> {
    const select = Object.entries(columns)
      .map(([alias, expression]) => `TO_CHAR(${expression}) AS "${alias}"`)
      .join(', ');
    const result = await this.call(what, (connection) => connection.execute(`SELECT ${select} FROM ${rest}`, [], { outFormat: this.objectFormat }), true);
    return (result.rows ?? []).map((row) =>
      Object.fromEntries(Object.keys(columns).map((alias) => [alias, String((row as Record<string, unknown>)[alias] ?? '')])),
    );
  }

  async execute(statement: string, what: string): Promise<void> {
    await this.call(what, (connection) => connection.execute(statement), isRepeatable(statement));
  }

  async batch(statement: string | undefined, queries: Query[], what: string): Promise<Row[][]> {
    if (statement) await this.execute(statement, what);
    const rows: Row[][] = [];
    for (const query of queries) rows.push(await this.query(query.columns, query.rest, what));
    return rows;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** The session the config asks for. Thin mode reads the password from the 0600 file when it connects. */
export async function openSession(config: OracleConfig, readPassword: () => Promise<string>): Promise<OracleSession> {
  if (config.auth.kind === 'os') return new SqlplusSession(config);
  const { default: oracledb } = await import('oracledb');
  const auth = config.auth;
  const what = `connecting to ${auth.connectString} as ${auth.user} (${auth.privilege})`;
  const connect = async (): Promise<ThinConnection> =>
    (await oracledb.getConnection({
      user: auth.user,
      password: await readPassword(),
      connectString: auth.connectString,
      privilege: auth.privilege === 'sysbackup' ? oracledb.SYSBACKUP : oracledb.SYSDBA,
    })) as ThinConnection;
  try {
    return new ThinSession(await connect(), oracledb.OUT_FORMAT_OBJECT, connect, config.callTimeoutSeconds);
  } catch (error) {
    if (error instanceof SnaplogError) throw error;
    const ora = findOraError((error as Error).message);
    if (ora) throw oracleError(what, ora.code, ora.message);
    throw new SnaplogError(`${what} failed: ${(error as Error).message.split('\n')[0]}`, { hint: 'check [oracle] connect_string and that the listener is up' });
  }
}
