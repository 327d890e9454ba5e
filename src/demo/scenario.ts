import { mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { initialiseDatadir, startPrivateServer } from '../engines/mysql/private-server.js';
import type { PrivateServer } from '../engines/mysql/private-server.js';

export interface DemoOptions {
  workDir: string;
  archivePath: string;
  keep: boolean;
  /** Runs a snaplog command in-process, exactly as a DBA would type it; returns its exit code. */
  snaplog: (args: string[]) => Promise<number>;
  say: (line: string) => void;
}

async function writeDemoConfig(workDir: string, socket: string, archivePath: string): Promise<string> {
  const configPath = join(workDir, 'snaplog.conf');
  await writeFile(
    configPath,
    ['[workload]', 'workload_name = mariadb', `ipc_folder = ${join(workDir, 'ipc')}`, 'timeout = 90', '', '[mysql]', `socket = ${socket}`, 'user = root', '', '[archive]', `path = ${archivePath}`, '', '[ship]', 'rescan_interval = 1s', ''].join('\n'),
  );
  await chmod(configPath, 0o600);
  return configPath;
}

async function writeOrders(connection: Connection, count: number, label: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await connection.query('BEGIN');
    await connection.query('INSERT INTO shop.orders (customer, amount) VALUES (?, ?)', [`${label}-${i}`, (i * 7.3).toFixed(2)]);
    await connection.query('COMMIT');
  }
}

async function expect(step: string, code: number): Promise<void> {
  if (code !== 0) throw new Error(`demo step failed: ${step} (exit ${code})`);
}

/** The whole cycle on a throwaway MariaDB: workload across rotations, ship, verify, list. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const workDir = resolve(options.workDir);
  const archivePath = resolve(options.archivePath);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const datadir = join(workDir, 'data');
  let server: PrivateServer | undefined;
  try {
    options.say(`1. a throwaway MariaDB in ${datadir}`);
    await initialiseDatadir(datadir);
    server = await startPrivateServer({
      runDir: workDir,
      datadir,
      args: [`--log-bin=${join(workDir, 'binlog', 'mysql-bin')}`, '--server-id=1', '--binlog-format=ROW', '--binlog-checksum=CRC32', '--innodb-buffer-pool-size=32M'],
    });
    const configPath = await writeDemoConfig(workDir, server.socket, archivePath);
    const snaplog = (args: string[]): Promise<number> => options.snaplog(['--config', configPath, ...args]);

    options.say(`2. snaplog archive init → ${archivePath}`);
    await expect('archive init', await snaplog(['archive', 'init']));

    options.say('3. a workload: 4 × 25 transactions with a binlog rotation after each batch');
    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root' });
    try {
      await connection.query('CREATE DATABASE shop');
      await connection.query('CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40), amount DECIMAL(10,2), created TIMESTAMP DEFAULT CURRENT_TIMESTAMP)');
      for (let batch = 1; batch <= 4; batch++) {
        await writeOrders(connection, 25, `batch${batch}`);
        await connection.query('FLUSH BINARY LOGS');
      }
    } finally {
      await connection.end();
    }

    options.say('4. snaplog ship --once: every closed binlog to the archive');
    await expect('ship --once', await snaplog(['ship', '--once']));
    options.say('5. snaplog verify: re-read every archived binlog (sha256, CRC32 of each event, continuity)');
    await expect('verify', await snaplog(['verify']));
    options.say('6. snaplog status');
    await expect('status', await snaplog(['status']));
    options.say('7. snaplog list');
    await expect('list', await snaplog(['list']));
    options.say(`done. The archive stays in ${archivePath}${options.keep ? `; the demo server's files in ${workDir}` : ''}.`);
  } finally {
    await server?.stop();
    if (!options.keep) await rm(workDir, { recursive: true, force: true });
  }
}
