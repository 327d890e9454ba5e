import { hostname } from 'node:os';
import { readdir, readFile } from 'node:fs/promises';
import type { Connection } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import type { LogObserver } from '../../archive/metadata.js';
import type { FreezeMethod } from '../../config/index.js';
import type { Engine, Quiesced, SourceLog } from '../types.js';
import { quiesceMysql } from './quiesce.js';
import { connectMysql, globalVariable } from './connection.js';
import type { MysqlEndpoint } from './connection.js';
import { binlogName, binlogSequence, parseBinlogIndex } from './binlog-index.js';
import { binlogObserver, firstTransactionAgeSeconds } from './log-facts.js';

export interface MysqlEngineOptions {
  endpoint: MysqlEndpoint;
  /** From config: where the binlog index is when the server cannot be asked (it is down). */
  binlogDir?: string;
  systemId?: string;
  freezeMethod: FreezeMethod;
}

interface ServerFacts {
  serverId: string;
  version: string;
  serverUuid?: string;
  indexPath: string;
}

/** MySQL and MariaDB: binlogs, FLUSH BINARY LOGS, server identity. One connection, opened lazily. */
export class MysqlEngine implements Engine {
  readonly kind = 'mysql';
  private connection: Connection | undefined;
  private facts: ServerFacts | undefined;

  constructor(private readonly options: MysqlEngineOptions) {}

  private async open(): Promise<Connection> {
    if (!this.connection) {
      this.connection = await connectMysql(this.options.endpoint);
      this.connection.on('error', () => {
        this.connection = undefined;
      });
    }
    return this.connection;
  }

  /** Runs `work` on the connection; a dropped connection is reopened once (the server restarted). */
  async withConnection<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    try {
      return await work(await this.open());
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      this.connection = undefined;
      return work(await this.open());
    }
  }

  async serverFacts(): Promise<ServerFacts> {
    if (this.facts) return this.facts;
    this.facts = await this.withConnection(async (connection) => {
      const logBin = await globalVariable(connection, 'log_bin');
      if (logBin !== 'ON' && logBin !== '1') {
        throw new SnaplogError('binary logging is off on this server: there is nothing to ship', {
          hint: 'enable it (log_bin = mysql-bin, binlog_format = ROW, server_id = N in the server config) and restart the server',
        });
      }
      const indexPath = (await globalVariable(connection, 'log_bin_index')) ?? '';
      return {
        serverId: (await globalVariable(connection, 'server_id')) ?? '0',
        version: (await globalVariable(connection, 'version')) ?? 'unknown',
        serverUuid: await globalVariable(connection, 'server_uuid'),
        indexPath,
      };
    });
    return this.facts;
  }

  async systemId(): Promise<string> {
    if (this.options.systemId) return this.options.systemId;
    const facts = await this.serverFacts();
    return facts.serverUuid ?? `mariadb-${hostname()}-${facts.serverId}`;
  }

  private async indexPath(): Promise<string> {
    try {
      const facts = await this.serverFacts();
      if (facts.indexPath) return facts.indexPath;
    } catch (error) {
      if (!this.options.binlogDir) throw error;
    }
    if (!this.options.binlogDir) {
      throw new SnaplogError('the server did not report its binlog index (log_bin_index)', { hint: 'set [mysql] binlog_dir in the config' });
    }
    const index = (await readdir(this.options.binlogDir)).find((entry) => entry.endsWith('.index'));
    if (!index) throw new SnaplogError(`no binlog index file (*.index) in ${this.options.binlogDir}`, { hint: 'check [mysql] binlog_dir' });
    return `${this.options.binlogDir}/${index}`;
  }

  async listSourceLogs(): Promise<SourceLog[]> {
    const indexPath = await this.indexPath();
    const paths = parseBinlogIndex(await readFile(indexPath, 'utf8'), indexPath);
    return paths.map((path, i) => ({ name: binlogName(path), path, sequence: binlogSequence(binlogName(path)), closed: i < paths.length - 1 }));
  }

  observeLog(): LogObserver {
    return binlogObserver();
  }

  async switchLog(): Promise<void> {
    await this.withConnection((connection) => connection.query('FLUSH BINARY LOGS'));
  }

  firstTransactionAgeSeconds(log: SourceLog): Promise<number | undefined> {
    return firstTransactionAgeSeconds(log.path);
  }

  /** Uses its own connection: the lock must live exactly as long as the holder keeps it. */
  async quiesce(context?: { snapshotId: string }): Promise<Quiesced> {
    const connection = await connectMysql(this.options.endpoint);
    try {
      // A server reached over its socket runs here: its data directory gets the snapshot marker.
      const quiesced = await quiesceMysql(connection, this.options.freezeMethod, this.options.endpoint.socket ? context?.snapshotId : undefined);
      return {
        ...quiesced,
        release: async () => {
          try {
            await quiesced.release();
          } finally {
            await connection.end().catch(() => connection.destroy());
          }
        },
      };
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.end().catch(() => undefined);
  }
}

function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ER_SERVER_SHUTDOWN' || (error as Error).message?.includes('closed state');
}
