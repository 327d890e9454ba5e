import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../src/errors.js';

/** A fresh temp folder; `cleanup()` removes it. */
export async function tempDir(): Promise<{ dir: string; file: (name: string, text: string, mode?: number) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'snaplog-config-'));
  return {
    dir,
    async file(name, text, mode = 0o644) {
      const path = join(dir, name);
      await writeFile(path, text);
      await chmod(path, mode); // explicit: the umask must not decide what a test checks
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn`, asserts it throws a ConfigError, and returns it. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

export async function asyncConfigErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the promise resolved');
}

/** The design.md minimum, as a snaplog.conf or a workload.conf. */
export const DESIGN_SAMPLE = `[workload]
workload_name = mariadb
ipc_folder = /var/lib/snaplog/ipc
timeout = 90

[mysql]
socket = /run/mysqld/mysqld.sock   ; or host + port
user = root
password_file = /etc/snaplog/mysql.pw   ; optional; 0600; never on a command line

[archive]
path = /mnt/nfs/snaplog
`;
