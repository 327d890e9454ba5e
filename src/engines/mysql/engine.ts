import { lstat, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import type { LogObserver } from '../../archive/metadata.js';
import type { FreezeMethod } from './config.js';
import type { CloseState, Engine, PrivilegeReport, QuiesceContext, Quiesced, SourceLog } from '../types.js';
import { checkMysqlPrivileges } from './privileges.js';
import { readSourceFile } from '../../source-file.js';
import { quiesceMysql } from './quiesce.js';
import { asPrivilegeError, connectMysql, globalVariable } from './connection.js';
import type { MysqlEndpoint } from './connection.js';
import { binlogSequence, parseBinlogIndex } from './binlog-index.js';
import { binlogInInnodb, innodbBinlogError } from './binlog-storage.js';
import type { BinlogIndexEntry } from './binlog-index.js';
import { binlogCloseMarker, settleBinlogClose } from './binlog-close-flag.js';
import { binlogObserver, CHECKPOINT_BYTES, firstTransactionAgeSeconds } from './log-facts.js';
import type { BinlogKey } from './binlog/decrypt.js';
import { lastCommitInBinlog } from './live-state.js';
import { dialectFromVersion } from './dialect.js';
import type { ServerDialect } from './dialect.js';

export interface MysqlEngineOptions {
  endpoint: MysqlEndpoint;
  /** From config: the binlog folder, where the index is when the server cannot be asked (it is down). */
  binlogDir?: string;
  /** From config: the binlogs' base name (log_bin_basename without its folder), whose index is `<basename>.index`. */
  binlogBasename?: string;
  /** `[archive] system_id`, or how to get the id snaplog chose for this VM. */
  systemId: string | (() => Promise<string>);
  freezeMethod: FreezeMethod;
  /** The key of `[mysql] binlog_key_file`: the binlogs are encrypted (encrypt_binlog = ON) and read with it. */
  binlogKey?: BinlogKey;
}

interface ServerFacts {
  serverId: string;
  version: string;
  indexPath: string;
  /** The folder of log_bin_basename: every binlog the index lists must be directly in it. */
  binlogDir: string;
  /** MariaDB 12.3+: binlog_storage_engine (absent on other servers). */
  binlogStorageEngine?: string;
}

/** MySQL and MariaDB: binlogs, FLUSH BINARY LOGS, server identity. One connection, opened lazily. */
export class MysqlEngine implements Engine {
  readonly kind = 'mysql';
  readonly closeMarker = binlogCloseMarker;
  private connection: Connection | undefined;
  private facts: ServerFacts | undefined;
  private chosenSystemId: string | undefined;

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
      if (!isConnectionLost(error)) throw asPrivilegeError(error);
      this.connection = undefined;
      return work(await this.open()).catch((again: unknown) => Promise.reject(asPrivilegeError(again)));
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
      const basename = await globalVariable(connection, 'log_bin_basename');
      const binlogStorageEngine = await globalVariable(connection, 'binlog_storage_engine');
      return {
        binlogDir: basename && isAbsolute(basename) ? dirname(basename) : dirname(indexPath),
        serverId: (await globalVariable(connection, 'server_id')) ?? '0',
        version: (await globalVariable(connection, 'version')) ?? 'unknown',
        indexPath,
        ...(binlogStorageEngine === undefined ? {} : { binlogStorageEngine }),
      };
    });
    return this.facts;
  }

  async systemId(): Promise<string> {
    const configured = this.options.systemId;
    return typeof configured === 'string' ? configured : (this.chosenSystemId ??= await configured());
  }

  /** The index and the folder its binlogs must be in: from the server, or from the config while the server is down. */
  private async binlogIndex(): Promise<{ indexPath: string; binlogDir: string }> {
    try {
      const facts = await this.serverFacts();
      if (facts.indexPath) return { indexPath: facts.indexPath, binlogDir: facts.binlogDir };
    } catch (error) {
      if (!this.options.binlogDir) throw error;
    }
    const binlogDir = this.options.binlogDir;
    if (!binlogDir) {
      throw new SnaplogError('the server did not report its binlog index (log_bin_index)', {
        hint: 'set [mysql] binlog_dir (and binlog_basename) in the config',
      });
    }
    return { indexPath: join(binlogDir, `${this.options.binlogBasename ?? (await this.guessBinlogBasename(binlogDir))}.index`), binlogDir };
  }

  /** Without [mysql] binlog_basename: the one index in the folder that is not a relay log's. */
  private async guessBinlogBasename(binlogDir: string): Promise<string> {
    const names = await readdir(binlogDir);
    const indexes = names.filter((entry) => entry.endsWith('.index') && !/relay/i.test(entry));
    if (indexes.length === 0 && binlogInInnodb(undefined, names)) throw innodbBinlogError(`${binlogDir} holds .ibb files and no binlog index`);
    if (indexes.length !== 1) {
      throw new SnaplogError(
        `the server is down and ${binlogDir} holds ${indexes.length ? `${indexes.length} binlog index candidates (${indexes.join(', ')})` : 'no binlog index (*.index)'}`,
        {
          hint: "set [mysql] binlog_basename to the name part of the server's log_bin_basename (e.g. mysql-bin for /var/lib/mysql/mysql-bin), and check [mysql] binlog_dir",
        },
      );
    }
    return indexes[0]!.slice(0, -'.index'.length);
  }

  /**
   * The binlogs the index lists, oldest first. The index and the folder belong to the server's user: an
   * entry outside the binlog folder, a symlink or anything but a regular file is listed as refused, never read.
   */
  async listSourceLogs(): Promise<SourceLog[]> {
    const { indexPath, binlogDir } = await this.binlogIndex();
    if (binlogInInnodb(this.facts?.binlogStorageEngine, [])) throw innodbBinlogError('the binlogs cannot be shipped');
    const chunks: Buffer[] = [];
    for await (const chunk of readSourceFile(indexPath)) chunks.push(chunk);
    const entries = parseBinlogIndex(Buffer.concat(chunks).toString('utf8'), indexPath, binlogDir);
    if (
      binlogInInnodb(
        undefined,
        entries.map((entry) => entry.name),
      )
    )
      throw innodbBinlogError(`${indexPath} lists .ibb files`);
    return Promise.all(
      entries.map(async (entry, i) => ({
        name: entry.name,
        path: entry.path,
        sequence: binlogSequence(entry.name),
        closed: i < entries.length - 1,
        ...(await refusal(entry)),
      })),
    );
  }

  settleClosedLog(log: SourceLog): Promise<CloseState> {
    return settleBinlogClose(log.path);
  }

  observeLog(): LogObserver {
    return binlogObserver(CHECKPOINT_BYTES, this.options.binlogKey);
  }

  async switchLog(): Promise<void> {
    await this.withConnection((connection) => connection.query('FLUSH BINARY LOGS'));
  }

  firstTransactionAgeSeconds(log: SourceLog): Promise<number | undefined> {
    if (log.refused) return Promise.resolve(undefined);
    return firstTransactionAgeSeconds(log.path, Date.now(), this.options.binlogKey);
  }

  lastCommitIn(log: SourceLog): Promise<{ time: string; estimated: boolean } | undefined> {
    return lastCommitInBinlog(log.path, this.options.binlogKey);
  }

  /** The server's dialect (flavor, version, the statements it accepts), from the version it reports. */
  async dialect(): Promise<ServerDialect> {
    return dialectFromVersion((await this.serverFacts()).version);
  }

  /** Needs no privilege: @@gtid_binlog_pos (MariaDB) or @@gtid_executed (MySQL) is readable by any user. */
  async currentTransactionId(): Promise<string | undefined> {
    const variable = (await this.dialect()).binlogStatus.gtidVariable;
    return this.withConnection(async (connection) => (await globalVariable(connection, variable))?.trim() || undefined);
  }

  checkPrivileges(uses: { shipSwitchesLogs: boolean }): Promise<PrivilegeReport> {
    return this.withConnection((connection) => checkMysqlPrivileges(connection, { ...uses, freezeMethod: this.options.freezeMethod }));
  }

  /** Uses its own connection: the lock must live exactly as long as the holder keeps it. */
  async quiesce(context?: QuiesceContext): Promise<Quiesced> {
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
      throw asPrivilegeError(error);
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.end().catch(() => undefined);
  }
}

/** Why an index entry must not be read: outside the folder (from the index), or a symlink / not a regular file now. */
async function refusal(entry: BinlogIndexEntry): Promise<{ refused?: string }> {
  if (entry.refused) return { refused: entry.refused };
  try {
    const info = await lstat(entry.path);
    if (info.isSymbolicLink()) return { refused: `${entry.path} is a symbolic link` };
    if (!info.isFile()) return { refused: `${entry.path} is not a regular file` };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {};
}

function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'PROTOCOL_CONNECTION_LOST' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ER_SERVER_SHUTDOWN' ||
    (error as Error).message?.includes('closed state')
  );
}
