import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';

const WRITERS = 4;
const MIN_ROTATIONS = 40;

async function indexNames(server: MariadbServer): Promise<string[]> {
  return (await readFile(`${server.binlogBasename}.index`, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('/').pop()!);
}

/** Several connections commit small transactions until the server has rotated its binlog `rotations` times. */
async function concurrentLoad(server: MariadbServer, rotations: number): Promise<void> {
  await server.query('CREATE DATABASE IF NOT EXISTS churn');
  await server.query('CREATE TABLE IF NOT EXISTS churn.t (id INT AUTO_INCREMENT PRIMARY KEY, writer INT, v VARCHAR(200)) ENGINE=InnoDB');
  const firstCount = (await indexNames(server)).length;
  let done = false;
  const writer = async (id: number): Promise<void> => {
    const connection = await server.connect();
    try {
      for (let i = 0; !done; i++) {
        await connection.query('BEGIN');
        await connection.query('INSERT INTO churn.t (writer, v) VALUES (?, ?)', [id, `${id}-${i}-${'x'.repeat(100)}`]);
        if (i % 3 === 0) await connection.query('UPDATE churn.t SET v = CONCAT(v, ?) WHERE id = LAST_INSERT_ID()', ['u']);
        await connection.query('COMMIT');
      }
    } finally {
      await connection.end();
    }
  };
  let failure: unknown;
  const writers = Array.from({ length: WRITERS }, (_, id) =>
    writer(id).catch((error: unknown) => {
      failure ??= error;
      done = true;
    }),
  );
  try {
    await waitFor(`${rotations} binlog rotations`, async () => done || (await indexNames(server)).length - firstCount >= rotations, 240_000, 100);
  } finally {
    done = true;
    await Promise.all(writers);
  }
  if (failure !== undefined) throw failure;
}

describe('ship as a service while MariaDB rotates its binlog dozens of times under concurrent writes', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let service: ChildProcess;
  let output = '';

  beforeAll(async () => {
    server = await startMariadb({ args: ['--max-binlog-size=8192'] });
    setup = await writeSnaplogConfig(server, { archive: 'system_id = churn' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (chunk) => (output += chunk));
    service.stderr!.on('data', (chunk) => (output += chunk));
  });
  afterAll(async () => {
    if (service && service.exitCode === null) service.kill('SIGKILL');
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it("every archived log equals the server's final file byte for byte; ship --once, freeze/thaw and status keep working", async () => {
    await concurrentLoad(server, MIN_ROTATIONS);
    await server.query('FLUSH BINARY LOGS');
    const names = await indexNames(server);
    const closed = names.slice(0, -1);
    expect(closed.length).toBeGreaterThanOrEqual(MIN_ROTATIONS);
    const logsDir = join(setup.archivePath, 'churn', 'logs');
    await waitFor(
      'the service to archive every closed binlog',
      async () => {
        const archived = new Set(await readdir(logsDir));
        return closed.every((name) => archived.has(`${name}.json`));
      },
      240_000,
    );

    for (const args of [['ship', '--once'], ['status'], ['freeze', '--quiet'], ['thaw'], ['status']]) {
      const result = await snaplog([...args, '--config', setup.configPath], { timeoutMs: 180_000 });
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    // freeze closed one more binlog and shipped it through: compare everything the server has closed now.
    const closedNow = (await indexNames(server)).slice(0, -1);
    for (const name of closedNow) {
      const server_ = await readFile(join(server.binlogDir, name));
      const archived = await readFile(join(logsDir, name));
      expect({ name, same: archived.equals(server_) }).toEqual({ name, same: true });
      const metadata = JSON.parse(await readFile(join(logsDir, `${name}.json`), 'utf8'));
      expect({ name, cleanClose: metadata.cleanClose }).toEqual({ name, cleanClose: true });
    }
    const verify = await snaplog(['verify', '--json', '--config', setup.configPath], { timeoutMs: 180_000 });
    const report = JSON.parse(verify.stdout);
    expect(report.problems).toEqual([]);
    expect(report.sourceCheck.compared).toBe(closedNow.length);
    expect(output).not.toMatch(/different checksum|ship-failed/);
  });

  it('the service exits 0 on SIGTERM', async () => {
    service.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => service.once('exit', resolve));
    expect(code).toBe(0);
  });
});
