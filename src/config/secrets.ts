/**
 * Reading secret files (password files, client option files). The only place a password is read.
 * A secret file must be a regular file, owned by root or the user running snaplog, with no group or
 * other permission bits (0600 or stricter). Error messages name the file and the config key that
 * pointed at it, never the file's content.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { passwordFromOptionFile } from './mysql-option-file.js';
import type { SnaplogConfig } from './types.js';
import { currentUserName } from '../processes.js';

function modeText(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}


function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Throws ConfigError unless `stats` describe a regular file that only its owner (root or us) can read. */
function checkSecretStats(path: string, stats: Stats, location: ConfigLocation): void {
  if (!stats.isFile()) {
    throw new ConfigError(location, `${path} is not a regular file`, `point ${location.key ?? 'the key'} at the file that holds the secret`);
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new ConfigError(
      location,
      `${path} has mode ${modeText(stats)}: a file holding a password must not be accessible to group or others`,
      `chmod 600 ${path}`,
    );
  }
  const uid = currentUid();
  if (uid !== undefined && stats.uid !== 0 && stats.uid !== uid) {
    throw new ConfigError(
      location,
      `${path} is owned by uid ${stats.uid}; a file holding a password must be owned by root or by the user running snaplog (uid ${uid})`,
      `chown ${currentUserName() || String(currentUid() ?? 'root')} ${path} && chmod 600 ${path}`,
    );
  }
}

function openError(path: string, error: unknown, location: ConfigLocation): ConfigError | undefined {
  const code = errorCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ConfigError(location, `${path} does not exist`, `create it with only the password in it: install -m 600 /dev/null ${path}, then write the password into it`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ConfigError(location, `${path} cannot be read (permission denied) by uid ${currentUid() ?? '?'}`, `run snaplog as root or as the owner of ${path}`);
  }
  if (code === 'EISDIR') {
    return new ConfigError(location, `${path} is a folder, not a file`, `point ${location.key ?? 'the key'} at the file that holds the secret`);
  }
  return undefined;
}

/**
 * Checks a secret file's type, owner and mode without reading it: returns false when it does not
 * exist, throws ConfigError when it exists but is not safe. Used at config load time.
 */
export async function checkSecretFile(path: string, location: ConfigLocation): Promise<boolean> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw openError(path, error, location) ?? error;
  }
  checkSecretStats(path, stats, location);
  return true;
}

/**
 * The content of a secret file, minus one trailing newline. Refuses files accessible to group or
 * others (`mode & 0o077`), files owned by anyone but root or the current user, and non-files, with a
 * ConfigError naming `location` (the config key that names the file) and a HINT.
 */
export async function readSecretFile(path: string, location: ConfigLocation): Promise<string> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in place of the file must fail the type check below, not hang snaplog
    handle = await open(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    throw openError(path, error, location) ?? error;
  }
  try {
    checkSecretStats(path, await handle.stat(), location); // the opened file itself: no check-then-swap race
    const text = await handle.readFile({ encoding: 'utf8' });
    return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  } catch (error) {
    throw openError(path, error, location) ?? error;
  } finally {
    await handle.close();
  }
}

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
