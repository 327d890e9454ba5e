/**
 * The MySQL/MariaDB part of the config: the `[mysql]` keys, checked by the config loader through
 * MYSQL_SECTION (type errors name file, line and key), and the reading of the password and key files they name.
 *
 * [mysql]
 * socket = /run/mysqld/mysqld.sock   ; or host + port
 * user = root
 * password_file = /etc/snaplog/mysql.pw   ; 0600; else defaults_file, else Azure's credString
 */
import { ConfigError } from '../../errors.js';
import { compact, enumKey, intKey, pathKey, readSecretFile, spec, typedSection, wordKey } from '../../config/index.js';
import type { SnaplogConfig } from '../../config/index.js';
import { interpretCredString } from './credstring.js';
import { passwordFromOptionFile } from './option-file.js';

export type FreezeMethod = 'auto' | 'backup-stage' | 'ftwrl';
/** MariaDB file_key_management_encryption_algorithm: how encrypted binlogs were written. */
export type BinlogKeyAlgorithm = 'aes_cbc' | 'aes_ctr';

export interface MysqlConfig {
  socket?: string;
  host?: string;
  port: number;
  user: string;
  /** A file holding only the password; mode 0600 or stricter. */
  passwordFile?: string;
  /** A MySQL option file with `[client] password=…`; from `[mysql] defaults_file`, else from Azure's credString. */
  defaultsFile?: string;
  binlogDir?: string;
  /** The binlogs' base name (mysql-bin): with the server down, the index is `<binlogDir>/<binlogBasename>.index`. */
  binlogBasename?: string;
  freezeMethod: FreezeMethod;
  /**
   * The server's file_key_management key file (0600), for binlogs written with encrypt_binlog = ON: the
   * reader decrypts in memory and the restore's private server loads the same key.
   */
  binlogKeyFile?: string;
  binlogKeyAlgorithm: BinlogKeyAlgorithm;
  /** server_id of the private server used for replay. */
  serverId?: number;
}

declare module '../../config/types.js' {
  interface EngineSectionValues {
    mysql: MysqlConfig;
  }
}

export const FREEZE_METHODS: readonly FreezeMethod[] = ['auto', 'backup-stage', 'ftwrl'];
export const BINLOG_KEY_ALGORITHMS: readonly BinlogKeyAlgorithm[] = ['aes_cbc', 'aes_ctr'];
export const DEFAULT_MYSQL_SOCKET = '/run/mysqld/mysqld.sock';

export const MYSQL_KEYS = {
  socket: pathKey(DEFAULT_MYSQL_SOCKET),
  host: wordKey('127.0.0.1', 'a host name or IP address'),
  port: intKey({ min: 1, max: 65535 }, 'a TCP port number', '3306', { default: 3306 }),
  user: wordKey('root', 'a user name', { default: 'root' }),
  password_file: pathKey('/etc/snaplog/mysql.pw'),
  defaults_file: pathKey('/etc/snaplog/my.cnf'),
  binlog_dir: pathKey('/var/lib/mysql'),
  binlog_basename: spec<string, {}>(
    {
      expected: "the name part of the server's log_bin_basename: letters, digits, '.', '_' and '-' (e.g. mysql-bin)",
      example: 'mysql-bin',
      parse: (text) => (/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(text.trim()) ? text.trim() : undefined),
      hint: 'with the server down, snaplog reads <binlog_dir>/<binlog_basename>.index (never a relay-log index)',
    },
    {},
  ),
  freeze_method: enumKey(FREEZE_METHODS, { default: 'auto' }),
  binlog_key_file: pathKey('/etc/mysql/encryption/keyfile', { hint: "the server's file_key_management_filename (plain id;hex lines), mode 0600" }),
  binlog_key_algorithm: enumKey(BINLOG_KEY_ALGORITHMS, { default: 'aes_cbc' }),
  server_id: intKey({ min: 1, max: 4294967295 }, 'a whole number', '4242'),
} as const;

export const MYSQL_SECTION = typedSection({
  name: 'mysql',
  keys: MYSQL_KEYS,
  workloads: ['mysql', 'mariadb'],
  workloadKeys: ['credString'],
  resolve(mysql, context): MysqlConfig {
    const cred = interpretCredString(context.workloadEntry('credString'), mysql.defaults_file !== undefined);
    for (const line of cred.warnings) context.warn(line.location, line.message);
    if (cred.defaultsFile !== undefined) context.derivedFrom('defaults_file', cred.defaultsFile.location);
    let socket = mysql.socket;
    if (socket === undefined && mysql.host === undefined) {
      socket = DEFAULT_MYSQL_SOCKET;
      context.warn(
        context.headerLocation('socket'),
        `neither socket nor host is set in [mysql]; using socket ${DEFAULT_MYSQL_SOCKET}. Set one of them to silence this`,
      );
    }
    return compact<MysqlConfig>({
      socket,
      host: mysql.host,
      port: mysql.port,
      user: mysql.user,
      passwordFile: mysql.password_file,
      defaultsFile: mysql.defaults_file ?? cred.defaultsFile?.path,
      binlogDir: mysql.binlog_dir,
      binlogBasename: mysql.binlog_basename,
      freezeMethod: mysql.freeze_method,
      binlogKeyFile: mysql.binlog_key_file,
      binlogKeyAlgorithm: mysql.binlog_key_algorithm,
      serverId: mysql.server_id,
    });
  },
  secretFiles: (mysql) => [
    { key: 'password_file', path: mysql.passwordFile },
    { key: 'defaults_file', path: mysql.defaultsFile },
    { key: 'binlog_key_file', path: mysql.binlogKeyFile },
  ],
});

/** The binlog encryption key file's text ([mysql] binlog_key_file, checked like a password file); undefined when not set. */
export async function readBinlogKeyFile(config: SnaplogConfig): Promise<string | undefined> {
  const path = config.mysql?.binlogKeyFile;
  return path === undefined ? undefined : readSecretFile(path, config.locate('mysql', 'binlog_key_file'));
}

/**
 * The MySQL/MariaDB password: the content of [mysql] password_file; else the client password in the
 * option file ([mysql] defaults_file, or the --defaults-extra-file in Azure's credString), which must be
 * 0600 too; else undefined (socket authentication, or no password).
 */
export async function readMysqlPassword(config: SnaplogConfig): Promise<string | undefined> {
  const mysql = config.mysql;
  if (mysql === undefined) return undefined;
  if (mysql.passwordFile !== undefined) {
    const location = config.locate('mysql', 'password_file');
    const password = await readSecretFile(mysql.passwordFile, location);
    if (password.trim() === '') {
      throw new ConfigError(
        location,
        `${mysql.passwordFile} is empty`,
        `write the password (only the password) into ${mysql.passwordFile}, or remove password_file to connect without one`,
      );
    }
    return password;
  }
  if (mysql.defaultsFile !== undefined) {
    const text = await readSecretFile(mysql.defaultsFile, config.locate('mysql', 'defaults_file'));
    return passwordFromOptionFile(text);
  }
  return undefined;
}
