import { SnaplogError } from '../errors.js';
import type { SnaplogConfig } from '../config/index.js';
import { readMysqlPassword } from './mysql/config.js';
import type { FormatChecker } from '../archive/verify.js';
import type { Engine } from './types.js';
import { stableSystemId } from '../state/system-id.js';
import { MysqlEngine } from './mysql/engine.js';
import type { MysqlEndpoint } from './mysql/connection.js';
import { binlogObserver, binlogProblems, CHECKPOINT_BYTES } from './mysql/log-facts.js';
import { loadBinlogKey } from './mysql/binlog-key.js';
import type { BinlogKey } from './mysql/binlog/decrypt.js';
import { oracleFormatChecker } from './oracle/redo-header.js';

export function isMysqlFamily(config: SnaplogConfig): boolean {
  return config.workload.name === 'mysql' || config.workload.name === 'mariadb';
}

export async function mysqlEndpoint(config: SnaplogConfig): Promise<MysqlEndpoint> {
  const mysql = config.mysql;
  if (!mysql) throw new SnaplogError('no [mysql] section in the config', { exitCode: 2, hint: 'add [mysql] with socket (or host/port) and user' });
  const password = await readMysqlPassword(config);
  const source = mysql.passwordFile
    ? `[mysql] password_file = ${mysql.passwordFile}`
    : mysql.defaultsFile
      ? `[mysql] defaults_file = ${mysql.defaultsFile}`
      : `[mysql] user = ${mysql.user} (no password_file set)`;
  return { socket: mysql.socket, host: mysql.host, port: mysql.port, user: mysql.user, password, credentialSource: source };
}

export async function createEngine(config: SnaplogConfig): Promise<Engine> {
  if (isMysqlFamily(config)) {
    return new MysqlEngine({
      endpoint: await mysqlEndpoint(config),
      binlogDir: config.mysql?.binlogDir,
      binlogBasename: config.mysql?.binlogBasename,
      systemId: config.archive.systemId ?? (() => stableSystemId(config.workload.ipcFolder)),
      freezeMethod: config.mysql?.freezeMethod ?? 'auto',
      binlogKey: await loadBinlogKey(config),
    });
  }
  if (config.workload.name === 'oracle') return (await import('./oracle/index.js')).createOracleEngine(config);
  if (config.workload.name === 'iris' || config.workload.name === 'cache') return (await import('./iris/index.js')).createIrisEngine(config);
  throw new SnaplogError(`workload_name = ${config.workload.name} is not supported by this snaplog version yet`, {
    exitCode: 2,
    hint: 'snaplog ships MySQL and MariaDB binlogs today; Oracle and IRIS support are on the way',
  });
}

/** The format check `verify` runs over each archived log of this engine. */
export function formatChecker(engine: string, binlogKey?: BinlogKey): FormatChecker | undefined {
  if (engine === 'oracle') return oracleFormatChecker;
  if (engine !== 'mysql') return undefined;
  return {
    observer: () => binlogObserver(CHECKPOINT_BYTES, binlogKey),
    problemsIn: (facts, metadata) => binlogProblems(facts, metadata),
  };
}
