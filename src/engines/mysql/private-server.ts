import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir as tmpdirOfOs } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';

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

/** Creates the system tables of a new data directory (mariadb-install-db). */
export async function initialiseDatadir(datadir: string): Promise<void> {
  await mkdir(datadir, { recursive: true });
  // Its own temp folder: bootstraps running side by side collide on temporary table names in /tmp.
  const tmpdir = await mkdtemp(join(tmpdirOfOs(), 'snaplog-install-'));
  try {
    await execFileAsync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root', `--tmpdir=${tmpdir}`]);
  } finally {
    await rm(tmpdir, { recursive: true, force: true });
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new SnaplogError(`${what}: mariadbd exited (${child.exitCode ?? child.signalCode})`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new SnaplogError(`timed out waiting for ${what}`);
}

/** Starts mariadbd on a data directory under our control: own socket, no defaults files, loopback only. */
export async function startPrivateServer(options: PrivateServerOptions): Promise<PrivateServer> {
  await mkdir(options.runDir, { recursive: true });
  const socket = join(options.runDir, 'mysqld.sock');
  const errorLog = join(options.runDir, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${options.datadir}`,
    `--socket=${socket}`,
    ...(options.port ? [`--port=${options.port}`, '--bind-address=127.0.0.1'] : ['--skip-networking']),
    `--pid-file=${join(options.runDir, 'mysqld.pid')}`,
    `--log-error=${errorLog}`,
    '--user=root',
    '--skip-name-resolve',
    ...(options.args ?? []),
  ];
  const child = spawn(options.binary ?? 'mariadbd', args, { stdio: 'ignore' });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const server: PrivateServer = {
    socket,
    port: options.port,
    datadir: options.datadir,
    errorLog,
    process: child,
    async stop(timeoutMs = 60_000) {
      if (exited()) return;
      child.kill('SIGTERM');
      try {
        await waitForExit(child, timeoutMs);
      } catch {
        child.kill('SIGKILL');
        await waitForExit(child, 10_000);
      }
    },
    async kill() {
      if (exited()) return;
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
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
      `mariadbd on ${socket} (see ${errorLog})`,
    );
  } catch (error) {
    await server.kill();
    const reasons = await errorLines(errorLog);
    if (reasons && error instanceof SnaplogError) throw new SnaplogError(`${error.message}: ${reasons}`, { hint: `the whole log is ${errorLog}` });
    throw error;
  }
  return server;
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
  const lines = text.split('\n').filter((line) => line.includes('[ERROR]')).map((line) => line.replace(/^.*\[ERROR\]\s*/, ''));
  return lines.length ? lines.slice(-3).join(' / ') : undefined;
}
