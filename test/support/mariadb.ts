import type { ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { initialiseDatadir, startPrivateServer } from '../../src/engines/mysql/private-server.js';
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** Every temp folder of the tests starts with this, so teardown can find stray servers. */
export const TEST_PREFIX = 'snaplog-test-';

export interface MariadbOptions {
  serverId?: number;
  /** Extra mariadbd options, e.g. ['--max-binlog-size=4096']. */
  args?: string[];
  /** Use this datadir (initialised here when empty) instead of a new one. */
  datadir?: string;
  /** Where the binlogs go (default: a folder beside the datadir in the temp folder). */
  binlogDir?: string;
  rootPassword?: string;
}

export interface MariadbServer {
  base: string;
  datadir: string;
  socket: string;
  port: number;
  binlogDir: string;
  binlogBasename: string;
  serverId: number;
  process: ChildProcess;
  connect(): Promise<Connection>;
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const running = new Set<MariadbServer>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${TEST_PREFIX}${label}-`));
}

/** Starts a real MariaDB server in a temp folder: binlog on, ROW format, CRC32, socket and loopback port. */
export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbServer> {
  const base = await makeTempDir('db');
  const datadir = options.datadir ?? join(base, 'data');
  if (!options.datadir || !existsSync(join(datadir, 'mysql'))) await initialiseDatadir(datadir);
  const binlogDir = options.binlogDir ?? join(base, 'binlog');
  await mkdir(binlogDir, { recursive: true });
  const serverId = options.serverId ?? 1;
  const binlogBasename = join(binlogDir, 'mysql-bin');
  const privateServer = await startPrivateServer({
    runDir: base,
    datadir,
    port: await freePort(),
    args: [
      `--log-bin=${binlogBasename}`,
      `--server-id=${serverId}`,
      '--binlog-format=ROW',
      '--binlog-checksum=CRC32',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
      `--secure-file-priv=${base}`,
      ...(options.args ?? []),
    ],
  });
  const server: MariadbServer = {
    base,
    datadir,
    socket: privateServer.socket,
    port: privateServer.port ?? 0,
    binlogDir,
    binlogBasename,
    serverId,
    process: privateServer.process,
    connect: () =>
      mysql.createConnection({
        socketPath: privateServer.socket,
        user: 'root',
        password: options.rootPassword,
        dateStrings: true,
        multipleStatements: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
      }),
    async query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
      const connection = await server.connect();
      try {
        const [rows] = await connection.query<RowDataPacket[]>(sql, values);
        return rows as T[];
      } finally {
        await connection.end();
      }
    },
    async stop() {
      running.delete(server);
      await privateServer.stop(30_000);
    },
    async kill() {
      running.delete(server);
      await privateServer.kill();
    },
  };
  running.add(server);
  return server;
}

/** Stops every server this test file started; call in afterAll/afterEach. */
export async function stopAllMariadb(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}

process.on('exit', () => {
  for (const server of running) server.process.kill('SIGKILL');
});

/** Removes folders a test made; undefined (a setup that failed early) is skipped. */
export async function removeDirs(...paths: (string | undefined)[]): Promise<void> {
  for (const path of paths) if (path) await rm(path, { recursive: true, force: true });
}

export interface SnaplogTestSetup {
  dir: string;
  configPath: string;
  archivePath: string;
  ipcFolder: string;
}

/** A snaplog config for `server` with the archive and ipc folder in a temp folder. */
export async function writeSnaplogConfig(
  server: Pick<MariadbServer, 'socket'>,
  extra: { archive?: string; ship?: string; mysql?: string; workload?: string; archivePath?: string } = {},
): Promise<SnaplogTestSetup> {
  const dir = await makeTempDir('cfg');
  const archivePath = extra.archivePath ?? join(dir, 'archive');
  const ipcFolder = join(dir, 'ipc');
  const configPath = join(dir, 'snaplog.conf');
  await writeFile(
    configPath,
    [
      '[workload]',
      'workload_name = mariadb',
      `ipc_folder = ${ipcFolder}`,
      'timeout = 90',
      extra.workload ?? '',
      '',
      '[mysql]',
      `socket = ${server.socket}`,
      'user = root',
      extra.mysql ?? '',
      '',
      '[archive]',
      `path = ${archivePath}`,
      extra.archive ?? '',
      '',
      '[ship]',
      'rescan_interval = 1s',
      extra.ship ?? '',
      '',
    ].join('\n'),
  );
  await chmod(configPath, 0o600);
  return { dir, configPath, archivePath, ipcFolder };
}

let nextWritableId = 1;

/**
 * Can a client write now? Inserts a fresh id into `app.t` (an INT primary key); a write blocked by a freeze
 * gives up after 1 s (lock_wait_timeout).
 */
export async function writable(server: MariadbServer): Promise<boolean> {
  const connection = await server.connect();
  try {
    await connection.query('SET SESSION lock_wait_timeout = 1');
    await connection.query('INSERT INTO app.t VALUES (?)', [nextWritableId++]);
    return true;
  } catch {
    return false;
  } finally {
    await connection.end();
  }
}
