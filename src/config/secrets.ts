/**
 * Reading secret files (password files, client option files). The only place a secret file is opened.
 * A secret file must be a regular file, owned by root or the user running snaplog, with no group or
 * other permission bits (0600 or stricter). Error messages name the file and the config key that
 * pointed at it, never the file's content.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigError, type ConfigLocation } from '../errors.js';
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
    return new ConfigError(
      location,
      `${path} does not exist`,
      `create it with only the password in it: install -m 600 /dev/null ${path}, then write the password into it`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ConfigError(
      location,
      `${path} cannot be read (permission denied) by uid ${currentUid() ?? '?'}`,
      `run snaplog as root or as the owner of ${path}`,
    );
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
