import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';

async function archivedNames(setup: SnaplogTestSetup): Promise<string[]> {
  const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
  if (systems.length === 0) return [];
  return (await readdir(join(setup.archivePath, systems[0]!, 'logs'))).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5));
}

describe('ship as a service on a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let service: ChildProcess;
  let output = '';

  beforeAll(async () => {
    server = await startMariadb();
    // A quiet server must still ship within max_log_age; tailing copies the open binlog to partial/.
    setup = await writeSnaplogConfig(server, { ship: 'max_log_age = 2s\ntail = true' });
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

  it('ships a rotated binlog by itself, soon after the rotation', async () => {
    await server.query('CREATE DATABASE svc');
    await server.query('CREATE TABLE svc.t (id INT PRIMARY KEY)');
    await server.query('FLUSH BINARY LOGS');
    await waitFor('mysql-bin.000001 in the archive', async () => (await archivedNames(setup)).includes('mysql-bin.000001'));
  });

  it('forces a rotation when the open binlog holds a transaction older than max_log_age, and tails it meanwhile', async () => {
    await server.query('INSERT INTO svc.t VALUES (1)');
    const [{ File: openNow }] = await server.query<{ File: string }>('SHOW MASTER STATUS');
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const partial = join(setup.archivePath, systems[0]!, 'partial', `${openNow}.partial`);
    await waitFor(`${openNow} in the archive without a manual FLUSH`, async () => (await archivedNames(setup)).includes(openNow), 30_000);
    expect(output).toMatch(/max_log_age/);
    // Once the log is archived its partial copy is gone.
    await expect(readFile(partial)).rejects.toThrow();
  });

  it('exits 0 on SIGTERM after finishing what it was doing', async () => {
    service.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => service.once('exit', resolve));
    expect(code).toBe(0);
    const status = JSON.parse((await snaplog(['status', '--json', '--config', setup.configPath])).stdout);
    expect(status.lastError).toBeNull();
  });
});
