import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir as tmpdirOfOs } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import { makeOwnFolder, writeOwnFile } from './own-files.js';
import { dialectFromVersion, versionFromServerBinaryOutput } from './dialect.js';
import type { ServerDialect } from './dialect.js';
import type { BinlogKeyAlgorithm } from './config.js';
import type { Owner } from './own-files.js';

const execFileAsync = promisify(execFile);

export interface PrivateServerOptions {
  /** Folder for socket, pid file and error log. */
  runDir: string;
  datadir: string;
  /** Loopback port; without it networking is off. */
  port?: number;
  /** Extra mariadbd options (binlog, relay log, server id …). */
  args?: string[];
  binary?: string;
  startTimeoutMs?: number;
  /** The user the server runs as: default the data directory's owner (a restored disk is not root's to run as root). */
  owner?: Owner;
  /** Ends the wait for the server to come up (a SIGINT of the restore): the server is killed. */
  signal?: AbortSignal;
  /** Encrypted binlogs (encrypt_binlog = ON): the server's file_key_management key file, to read them as relay logs. */
  binlogKey?: ServerKeyFile;
}

export interface ServerKeyFile {
  /** The key file's text (`id;hex` lines): written 0600 for the server's user into its private folder, removed with it. */
  text: string;
  algorithm: BinlogKeyAlgorithm;
}

export interface PrivateServer {
  socket: string;
  port?: number;
  datadir: string;
  errorLog: string;
  process: ChildProcess;
  /** Clean shutdown (SIGTERM, as mariadb-admin shutdown), SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
}

let localDialect: Promise<ServerDialect> | undefined;

/** The server binary on this machine and its dialect: mariadbd, else mysqld (a MySQL restore host). */
export function localServerDialect(): Promise<ServerDialect> {
  localDialect ??= (async () => {
    for (const binary of ['mariadbd', 'mysqld']) {
      const output = await execFileAsync(binary, ['--version']).then(
        ({ stdout }) => stdout,
        () => undefined,
      );
      if (output) return dialectFromVersion(versionFromServerBinaryOutput(output));
    }
    throw new SnaplogError('no MariaDB or MySQL server binary (mariadbd, mysqld) on this machine: a restore replays through a private server', {
      hint: 'install the server package of the version the database runs (apt-get install mariadb-server, or MySQL’s mysql-server)',
    });
  })();
  return localDialect;
}

/** Creates the system tables of a new data directory (mariadb-install-db). */
export async function initialiseDatadir(datadir: string): Promise<void> {
  await mkdir(datadir, { recursive: true });
  // Its own temp folder: bootstraps running side by side collide on temporary table names in /tmp.
  const tmpdir = await mkdtemp(join(tmpdirOfOs(), 'snaplog-install-'));
  try {
    await execFileAsync('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--user=root',
      `--tmpdir=${tmpdir}`,
    ]);
  } finally {
    await rm(tmpdir, { recursive: true, force: true });
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, child: ChildProcess, what: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new SnaplogError(`interrupted while waiting for ${what}`, { hint: 'run the same command again (with --resume for a restore)' });
    if (child.exitCode !== null || child.signalCode !== null) throw new SnaplogError(`${what}: mariadbd exited (${child.exitCode ?? child.signalCode})`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new SnaplogError(`timed out waiting for ${what}`);
}

/** [ERROR] lines of a server that would not start, and what to do about each cause. */
const SERVER_ERROR_HINTS: [RegExp, string][] = [
  [
    /Unable to lock .*ibdata1|Check that you do not already have another mariadbd/i,
    'another server is running on this data directory: stop it (systemctl stop mariadb) or restore onto a copy of the data directory',
  ],
  [
    /Read-only file system|errno: 30\b/i,
    'the data directory is read-only: mount it read-write, copy it to a writable disk first, or use --tables DB.T --export FILE',
  ],
  [/Can't change to run as user/i, "the data directory's owner has no account here: create the mysql user with that uid, or chown the data directory to mysql"],
  [/No space left on device|errno: 28\b/i, 'the disk is full: free space on it (or on the staging folder) and run the command again with --resume'],
  [
    /Found \d+ prepared transactions|tc-heuristic-recover/i,
    'the data directory needs crash recovery against its binlog: restore it with snaplog restore (which runs it), not by starting a server by hand',
  ],
  [
    /Incorrect file format|Table .* doesn't exist in engine|Unknown storage engine/i,
    'check that it is a MariaDB data directory of this server version or older, and that no other server uses it',
  ],
];

/** Pure: what to do about the [ERROR] lines of a server that would not start. */
export function hintForServerErrors(lines: string, errorLog: string): string {
  const known = SERVER_ERROR_HINTS.find(([pattern]) => pattern.test(lines));
  return known ? `${known[1]} (the server's log: ${errorLog})` : `the whole log is ${errorLog}`;
}

/** `--user` for mariadbd: the owner's account name (from /etc/passwd), else the numeric uid. */
async function userArgument(owner: Owner): Promise<string> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((entry) => entry.split(':')[2] === String(owner.uid));
  return line ? line.split(':')[0]! : String(owner.uid);
}

/** The run folder: created for the server's user, or an existing one that user owns (root's folders serve root). */
async function prepareRunDir(runDir: string, owner: Owner): Promise<void> {
  const existing = await lstat(runDir).catch(() => undefined);
  if (!existing) {
    await mkdir(join(runDir, '..'), { recursive: true });
    await makeOwnFolder(runDir, owner, 0o755);
    return;
  }
  if (!existing.isDirectory()) throw new SnaplogError(`${runDir} is not a folder`, { hint: 'remove it and run the command again' });
  if (owner.uid !== 0 && existing.uid !== owner.uid) {
    throw new SnaplogError(`${runDir} is not owned by the data directory's owner (uid ${owner.uid})`, {
      hint: 'remove that folder (snaplog creates it) and run the command again',
    });
  }
}

/**
 * Starts mariadbd on a data directory under our control: own socket, no defaults files, loopback only;
 * as the data directory's owner, with symbolic links off and LOAD DATA/SELECT … INTO OUTFILE confined to
 * a private folder (a restored disk may hold anything).
 */
export async function startPrivateServer(options: PrivateServerOptions): Promise<PrivateServer> {
  const ownerInfo =
    options.owner ??
    (await stat(options.datadir).then(
      (info) => ({ uid: info.uid, gid: info.gid }),
      () => ({ uid: 0, gid: 0 }),
    ));
  await prepareRunDir(options.runDir, ownerInfo);
  const privateFiles = await mkdtemp(join(options.runDir, 'files-'));
  await chmod(privateFiles, 0o711); // trusted: the folder mkdtemp just made
  await makeOwnFolder(join(privateFiles, 'tmp'), ownerInfo);
  await makeOwnFolder(join(privateFiles, 'io'), ownerInfo);
  const keyArgs = options.binlogKey ? await keyPluginArgs(join(privateFiles, 'binlog-keys'), options.binlogKey, ownerInfo) : [];
  const socket = join(options.runDir, 'mysqld.sock');
  const errorLog = join(options.runDir, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${options.datadir}`,
    `--socket=${socket}`,
    ...(options.port ? [`--port=${options.port}`, '--bind-address=127.0.0.1'] : ['--skip-networking']),
    `--pid-file=${join(options.runDir, 'mysqld.pid')}`,
    `--log-error=${errorLog}`,
    `--user=${await userArgument(ownerInfo)}`,
    '--skip-name-resolve',
    '--skip-symbolic-links',
    `--secure-file-priv=${join(privateFiles, 'io')}`,
    `--tmpdir=${join(privateFiles, 'tmp')}`,
    ...keyArgs,
    ...(options.args ?? []),
  ];
  // Its own process group: a Ctrl-C in the terminal reaches snaplog, which stops the server in order.
  const binary = options.binary ?? (await localServerDialect()).serverBinary;
  const child = spawn(binary, args, { stdio: 'ignore', detached: true });
  const removeFiles = (): Promise<void> => rm(privateFiles, { recursive: true, force: true }).catch(() => undefined);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const server: PrivateServer = {
    socket,
    port: options.port,
    datadir: options.datadir,
    errorLog,
    process: child,
    async stop(timeoutMs = 60_000) {
      if (!exited()) {
        child.kill('SIGTERM');
        try {
          await waitForExit(child, timeoutMs);
        } catch {
          child.kill('SIGKILL');
          await waitForExit(child, 10_000);
        }
      }
      await removeFiles();
    },
    async kill() {
      if (!exited()) {
        child.kill('SIGKILL');
        await waitForExit(child, 10_000);
      }
      await removeFiles();
    },
  };
  try {
    await waitUntil(
      async () => {
        if (!existsSync(socket)) return false;
        try {
          const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
          await connection.end();
          return true;
        } catch (error) {
          // Access denied still proves the server answers.
          return (error as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR';
        }
      },
      options.startTimeoutMs ?? 60_000,
      child,
      `mariadbd on ${options.datadir}`,
      options.signal,
    );
  } catch (error) {
    await server.kill();
    if (options.signal?.aborted) throw error;
    const reasons = await errorLines(errorLog);
    const message = error instanceof SnaplogError ? error.message : String(error);
    throw new SnaplogError(reasons ? `${message}: ${reasons}` : `${message} (see ${errorLog})`, { hint: hintForServerErrors(reasons ?? '', errorLog) });
  }
  return server;
}

/** The key file for the server's user (never on its command line: only the file's name is), and the plugin options that read it. */
async function keyPluginArgs(path: string, key: ServerKeyFile, owner: Owner): Promise<string[]> {
  await writeOwnFile(path, key.text, { mode: 0o600, owner });
  return ['--plugin-load-add=file_key_management', `--file-key-management-filename=${path}`, `--file-key-management-encryption-algorithm=${key.algorithm}`];
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mariadbd did not exit in time')), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The [ERROR] lines of a server's log, for a message that says why it would not start. */
async function errorLines(errorLog: string): Promise<string | undefined> {
  const text = await readFile(errorLog, 'utf8').catch(() => '');
  const lines = text
    .split('\n')
    .filter((line) => line.includes('[ERROR]'))
    .map((line) => line.replace(/^.*\[ERROR\]\s*/, ''));
  return lines.length ? lines.slice(-3).join(' / ') : undefined;
}
