import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import mysql from 'mysql2';
import { BinlogBuilder } from '../../src/engines/mysql/binlog/builder.js';
import { EventType } from '../../src/engines/mysql/binlog/constants.js';
import { atLeast, parseVersion } from '../../src/engines/mysql/dialect.js';
import type { ServerVersion } from '../../src/engines/mysql/dialect.js';

/**
 * A scripted MySQL model (no MySQL server can be installed here): a mysql2 protocol server on a Unix
 * socket that answers like MySQL <version> for what snaplog asks, and records every statement. Its
 * script follows the reference manual: SHOW BINARY LOG STATUS from 8.2; SHOW MASTER STATUS, CHANGE MASTER,
 * START/STOP/RESET SLAVE and SHOW SLAVE STATUS rejected from 8.4; START/STOP/RESET REPLICA and SHOW REPLICA
 * STATUS from 8.0.22; CHANGE REPLICATION SOURCE TO from 8.0.23; MariaDB's BACKUP STAGE and MASTER_USE_GTID never.
 * A statement the version does not know gets ER_PARSE_ERROR (1064); one the script has no answer for gets an
 * error naming it, so a test sees every unexpected statement. Binlogs are real files written by the
 * project's binlog builder (flavor mysql, this version in the format description event).
 */

export const MODEL_UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const ER_PARSE_ERROR = 1064;
const ER_UNKNOWN_COM_ERROR = 1047;

export interface ModelStatement {
  connection: number;
  sql: string;
  /** The error number the model answered with (1064 = not in this version). */
  error?: number;
}

interface Column {
  catalog: string;
  schema: string;
  table: string;
  orgTable: string;
  name: string;
  orgName: string;
  characterSet: number;
  columnLength: number;
  columnType: number;
  flags: number;
  decimals: number;
}

/** The server side of a mysql2 connection (lib/base/connection.js): the part the model uses. */
interface ServerConnection extends EventEmitter {
  serverHandshake(args: Record<string, unknown>): void;
  writeOk(args?: { affectedRows?: number; message?: string }): void;
  writeError(args: { code: number; message: string }): void;
  writeTextResult(rows: Record<string, string | null>[], columns: Column[]): void;
  /** Packet sequence number: a new command starts at 0, and mysql2's server does not reset it by itself. */
  sequenceId: number;
}

interface ModelServer {
  listen(path: string, callback?: () => void): unknown;
  close(callback?: () => void): void;
  _server: { close(callback?: () => void): void };
}

const column = (name: string): Column => ({
  catalog: 'def',
  schema: '',
  table: '',
  orgTable: '',
  name,
  orgName: name,
  characterSet: 33,
  columnLength: 1024,
  columnType: 253,
  flags: 0,
  decimals: 0,
});

export class ScriptedMysqlModel {
  readonly statements: ModelStatement[] = [];
  readonly socket: string;
  readonly binlogDir: string;
  readonly version: ServerVersion;
  /** The connection holding FLUSH TABLES WITH READ LOCK, if any (released by UNLOCK TABLES or when it closes). */
  lockedBy: number | undefined;
  readOnly = false;
  private server: ModelServer | undefined;
  private nextConnection = 1;
  private fileNumber = 1;
  private gno = 0;
  private currentSize = 0;
  private replica: { file: string; pos: number; configured: boolean } = { file: '', pos: 0, configured: false };

  constructor(
    readonly versionString: string,
    readonly dir: string,
    readonly options: { gtids?: boolean; serverId?: number } = {},
  ) {
    const parsed = parseVersion(versionString);
    if (parsed.flavor !== 'mysql') throw new Error('the scripted model plays MySQL only; MariaDB tests use the real server');
    this.version = parsed.version;
    this.socket = join(dir, 'mysqld.sock');
    this.binlogDir = join(dir, 'binlog');
  }

  get gtids(): boolean {
    return this.options.gtids ?? true;
  }

  get currentFile(): string {
    return binlogName(this.fileNumber);
  }

  /** What SHOW MASTER/BINARY LOG STATUS reports now. */
  get position(): { file: string; position: number; gtid?: string } {
    return { file: this.currentFile, position: this.currentSize, ...(this.gtids && this.gno ? { gtid: this.executedGtids() } : {}) };
  }

  /** Statements of one connection, in order. */
  sentBy(connection: number): string[] {
    return this.statements.filter((s) => s.connection === connection).map((s) => s.sql);
  }

  async start(): Promise<void> {
    await mkdir(this.binlogDir, { recursive: true });
    await this.writeBinlog(1, true);
    await this.writeIndex();
    const server = mysql.createServer((connection) => this.accept(connection as unknown as ServerConnection)) as unknown as ModelServer;
    await new Promise<void>((resolve) => server.listen(this.socket, resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server._server.close(() => resolve()));
    await rm(this.socket, { force: true });
  }

  private accept(connection: ServerConnection): void {
    const id = this.nextConnection++;
    connection.serverHandshake({
      protocolVersion: 10,
      serverVersion: this.versionString,
      connectionId: id,
      statusFlags: 2,
      characterSet: 33,
      capabilityFlags: 0xf7ff, // CLIENT_LONG_PASSWORD … CLIENT_SECURE_CONNECTION, without CLIENT_SSL
      authPluginName: 'mysql_native_password',
      // Any user may connect. The OK is written inside the callback; the next command then starts a new sequence.
      authCallback: (_client: unknown, done: (error: null) => void) => {
        done(null);
        connection.sequenceId = 0;
      },
    });
    const release = (): void => {
      if (this.lockedBy === id) this.lockedBy = undefined;
    };
    connection.on('end', release);
    connection.on('close', release);
    connection.on('error', release);
    const answer = (sql: string): void => {
      // The client's command was packet 0: the reply starts at 1.
      connection.sequenceId = 1;
      void this.answer(connection, id, sql).finally(() => (connection.sequenceId = 0));
    };
    connection.on('query', answer);
    // mysql2's server hands statements starting with SET or PREPARE to this event instead.
    connection.on('stmt_prepare', answer);
  }

  private async answer(connection: ServerConnection, id: number, raw: string): Promise<void> {
    const sql = raw.trim().replace(/\s+/g, ' ');
    const entry: ModelStatement = { connection: id, sql };
    this.statements.push(entry);
    const fail = (code: number, message: string): void => {
      entry.error = code;
      connection.writeError({ code, message });
    };
    const parseError = (): void =>
      fail(
        ER_PARSE_ERROR,
        'You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version ' +
          `for the right syntax to use near '${sql.slice(0, 40)}' at line 1`,
      );
    const rows = (result: Record<string, string | null>[], names: string[]): void => connection.writeTextResult(result, names.map(column));
    const known = this.knownInThisVersion(sql);
    if (!known) return parseError();

    let match: RegExpExecArray | null;
    if (/^SELECT VERSION\(\)( AS version)?$/i.test(sql)) return rows([{ version: this.versionString }], ['version']);
    if ((match = /^SHOW GLOBAL VARIABLES LIKE '([a-z_]+)'$/i.exec(sql))) {
      const value = this.variable(match[1]!.toLowerCase());
      return rows(value === undefined ? [] : [{ Variable_name: match[1]!, Value: value }], ['Variable_name', 'Value']);
    }
    if ((match = /^SELECT @@(?:GLOBAL\.)?([a-z_]+)(?: AS (\w+))?$/i.exec(sql))) {
      const value = this.variable(match[1]!.toLowerCase());
      if (value === undefined) return fail(1193, `Unknown system variable '${match[1]}'`);
      return rows([{ [match[2] ?? `@@${match[1]}`]: value }], [match[2] ?? `@@${match[1]}`]);
    }
    if (/^SELECT CURRENT_USER\(\) AS account$/i.test(sql)) return rows([{ account: 'root@localhost' }], ['account']);
    if (/^FLUSH BINARY LOGS$/i.test(sql)) {
      return this.rotate().then(
        () => connection.writeOk(),
        (error: Error) => fail(ER_UNKNOWN_COM_ERROR, error.message),
      );
    }
    if (/^FLUSH TABLES WITH READ LOCK$/i.test(sql)) {
      if (this.lockedBy !== undefined && this.lockedBy !== id) return fail(1205, 'Lock wait timeout exceeded (the scripted model does not queue)');
      this.lockedBy = id;
      return connection.writeOk();
    }
    if (/^UNLOCK TABLES$/i.test(sql)) {
      if (this.lockedBy === id) this.lockedBy = undefined;
      return connection.writeOk();
    }
    if (/^FLUSH LOCAL TABLES `snaplog_privilege_probe`/i.test(sql)) return connection.writeOk();
    if (/^SHOW (MASTER|BINARY LOG) STATUS$/i.test(sql)) {
      const now = this.position;
      return rows(
        [{ File: now.file, Position: String(now.position), Binlog_Do_DB: '', Binlog_Ignore_DB: '', Executed_Gtid_Set: now.gtid ?? '' }],
        ['File', 'Position', 'Binlog_Do_DB', 'Binlog_Ignore_DB', 'Executed_Gtid_Set'],
      );
    }
    if (/^SET GLOBAL (super_)?read_only ?= ?(1|ON)$/i.test(sql)) {
      this.readOnly = true;
      return connection.writeOk();
    }
    if (/^SET GLOBAL (super_)?read_only ?= ?(0|OFF)$/i.test(sql)) {
      this.readOnly = false;
      return connection.writeOk();
    }
    if ((match = /^CHANGE (?:MASTER|REPLICATION SOURCE) TO .*RELAY_LOG_FILE='([^']+)', RELAY_LOG_POS=(\d+)$/i.exec(sql))) {
      this.replica = { file: match[1]!, pos: Number(match[2]), configured: true };
      return connection.writeOk();
    }
    if ((match = /^START (?:SLAVE|REPLICA) SQL_THREAD(?: UNTIL RELAY_LOG_FILE='([^']+)', RELAY_LOG_POS=(\d+))?$/i.exec(sql))) {
      if (!this.replica.configured) return fail(1200, 'The server is not configured as replica; fix in config file or with CHANGE REPLICATION SOURCE TO');
      // The model applies at once: the SQL thread stops at the UNTIL position (or at the end it was pointed at).
      if (match[1]) this.replica = { ...this.replica, file: match[1], pos: Number(match[2]) };
      return connection.writeOk();
    }
    if (/^SHOW (SLAVE|REPLICA) STATUS$/i.test(sql)) {
      if (!this.replica.configured) return rows([], ['Relay_Log_File']);
      const words = atLeast(this.version, 8, 0, 22) ? 'Replica' : 'Slave';
      const state = `${words} has read all relay log; waiting for more updates`;
      const row = {
        [`${words}_SQL_Running`]: 'No',
        [`${words}_SQL_Running_State`]: state,
        Relay_Log_File: this.replica.file,
        Relay_Log_Pos: String(this.replica.pos),
        Last_SQL_Errno: '0',
        Last_SQL_Error: '',
      };
      return rows([row], Object.keys(row));
    }
    if (/^STOP (SLAVE|REPLICA)$/i.test(sql)) return connection.writeOk();
    if (/^RESET (SLAVE|REPLICA) ALL$/i.test(sql)) {
      this.replica = { file: '', pos: 0, configured: false };
      return connection.writeOk();
    }
    fail(ER_UNKNOWN_COM_ERROR, `the scripted MySQL model has no answer for: ${sql}`);
  }

  /** False for syntax this MySQL version does not have (the server answers ER_PARSE_ERROR). */
  private knownInThisVersion(sql: string): boolean {
    const v = this.version;
    if (/^BACKUP STAGE|MASTER_USE_GTID|^SHOW BINLOG STATUS/i.test(sql)) return false;
    if (/^SHOW BINARY LOG STATUS/i.test(sql)) return atLeast(v, 8, 2);
    if (/^(SHOW MASTER STATUS|CHANGE MASTER TO|(START|STOP|RESET) SLAVE|SHOW SLAVE STATUS)/i.test(sql)) return !atLeast(v, 8, 4);
    if (/^((START|STOP|RESET) REPLICA|SHOW REPLICA STATUS)/i.test(sql)) return atLeast(v, 8, 0, 22);
    if (/^CHANGE REPLICATION SOURCE TO/i.test(sql)) return atLeast(v, 8, 0, 23);
    return true;
  }

  private variable(name: string): string | undefined {
    const values: Record<string, string> = {
      version: this.versionString,
      log_bin: 'ON',
      log_bin_basename: join(this.binlogDir, 'mysql-bin'),
      log_bin_index: join(this.binlogDir, 'mysql-bin.index'),
      server_id: String(this.options.serverId ?? 1),
      server_uuid: MODEL_UUID,
      gtid_mode: this.gtids ? 'ON' : 'OFF',
      enforce_gtid_consistency: this.gtids ? 'ON' : 'OFF',
      gtid_executed: this.gtids && this.gno ? this.executedGtids() : '',
      read_only: this.readOnly ? 'ON' : 'OFF',
    };
    return values[name];
  }

  private executedGtids(): string {
    return `${MODEL_UUID}:1-${this.gno}`;
  }

  /** FLUSH BINARY LOGS: the open binlog gets its ROTATE and a clean close, a new one is opened and indexed. */
  private async rotate(): Promise<void> {
    await this.writeBinlog(this.fileNumber, false);
    this.fileNumber += 1;
    await this.writeBinlog(this.fileNumber, true);
    await this.writeIndex();
  }

  /** Two small transactions per binlog; the same file is rewritten whole (never torn) when it closes. */
  private async writeBinlog(number: number, open: boolean): Promise<void> {
    const firstGno = (number - 1) * 2 + 1;
    const serverId = this.options.serverId ?? 1;
    const builder = new BinlogBuilder({ flavor: 'mysql', serverVersion: this.versionString, serverId, inUse: open, time: 1_790_000_000 + number * 60 });
    builder.previousGtids(this.gtids && firstGno > 1 ? { [MODEL_UUID]: [[1, firstGno - 1]] } : {});
    for (const gno of [firstGno, firstGno + 1]) {
      builder.mysqlGtid(MODEL_UUID, gno, !this.gtids);
      builder.query('BEGIN');
      builder.tableMap(70, 'app', 't');
      builder.rows(70, 20, EventType.WRITE_ROWS_V2);
      builder.xid(gno);
    }
    if (!open) builder.rotate(binlogName(number + 1));
    const bytes = builder.toBuffer();
    const path = join(this.binlogDir, binlogName(number));
    await writeFile(`${path}.tmp`, bytes, { mode: 0o640 });
    await rename(`${path}.tmp`, path);
    if (open) {
      this.currentSize = bytes.length;
      this.gno = firstGno + 1;
    }
  }

  private async writeIndex(): Promise<void> {
    const lines = Array.from({ length: this.fileNumber }, (_, i) => `./${binlogName(i + 1)}`);
    const path = join(this.binlogDir, 'mysql-bin.index');
    await writeFile(`${path}.tmp`, `${lines.join('\n')}\n`, { mode: 0o640 });
    await rename(`${path}.tmp`, path);
  }
}

function binlogName(number: number): string {
  return `mysql-bin.${String(number).padStart(6, '0')}`;
}
