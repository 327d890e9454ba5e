/** Builds the MySQL/MariaDB engine, its endpoint and its archive format check from the config. */
import { SnaplogError } from '../../errors.js';
import type { SnaplogConfig } from '../../config/index.js';
import { readMysqlPassword } from './config.js';
import type { FormatChecker } from '../../archive/verify.js';
import { stableSystemId } from '../../state/system-id.js';
import { MysqlEngine } from './engine.js';
import type { MysqlEndpoint } from './connection.js';
import { binlogObserver, binlogProblems, CHECKPOINT_BYTES } from './log-facts.js';
import { loadBinlogKey } from './binlog-key.js';

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

export async function createMysqlEngine(config: SnaplogConfig): Promise<MysqlEngine> {
  return new MysqlEngine({
    endpoint: await mysqlEndpoint(config),
    binlogDir: config.mysql?.binlogDir,
    binlogBasename: config.mysql?.binlogBasename,
    systemId: config.archive.systemId ?? (() => stableSystemId(config.workload.ipcFolder)),
    freezeMethod: config.mysql?.freezeMethod ?? 'auto',
    binlogKey: await loadBinlogKey(config),
  });
}

/** The format check `verify` runs over each archived binlog (with the key of encrypted binlogs). */
export async function mysqlFormatChecker(config: SnaplogConfig): Promise<FormatChecker> {
  const binlogKey = await loadBinlogKey(config);
  return {
    observer: () => binlogObserver(CHECKPOINT_BYTES, binlogKey),
    problemsIn: (facts, metadata) => binlogProblems(facts, metadata),
  };
}
