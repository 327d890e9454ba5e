import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { readEvents, waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';
import { startPrivateServer } from '../../src/engines/mysql/private-server.js';

async function archivedNames(setup: SnaplogTestSetup): Promise<string[]> {
  const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
  if (!systems[0]) return [];
  return (await readdir(join(setup.archivePath, systems[0], 'logs'))).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5));
}

describe('fault: the database restarts and the archive turns read-only under a running ship service', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let disk: MountedImage;
  let service: ChildProcess | undefined;

  beforeAll(async () => {
    server = await startMariadb();
    disk = await createMountedImage(64, 'roarch');
    setup = await writeSnaplogConfig(server, { archivePath: join(disk.mount, 'archive'), ship: 'retry_max_delay = 2s' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: 'ignore' });
  });
  afterAll(async () => {
    service?.kill('SIGKILL');
    try {
      execFileSync('mount', ['-o', 'remount,rw', disk.mount], { stdio: 'ignore' });
    } catch {
      // already rw
    }
    await server?.kill();
    await stopAllMariadb();
    await disk?.cleanup();
    await removeDirs(server?.base, setup?.dir);
  });

  it('a server restart (clean, then kill -9) does not stop shipping: the logs before and after arrive', async () => {
    await server.query('CREATE DATABASE r');
    await server.query('FLUSH BINARY LOGS');
    await waitFor('mysql-bin.000001', async () => (await archivedNames(setup)).includes('mysql-bin.000001'));
    const datadir = server.datadir;
    const base = server.base;
    const restart = async (how: 'stop' | 'kill'): Promise<void> => {
      await (how === 'stop' ? server.stop() : server.kill());
      const again = await startPrivateServer({ runDir: base, datadir, args: [`--log-bin=${server.binlogBasename}`, '--server-id=1', '--binlog-format=ROW'] });
      server = { ...server, process: again.process, stop: () => again.stop(), kill: () => again.kill() };
    };
    await restart('stop');
    await server.query('CREATE TABLE r.t (id INT)');
    await restart('kill');
    await server.query('INSERT INTO r.t VALUES (1)');
    await server.query('FLUSH BINARY LOGS');
    const index = (await readFile(`${server.binlogBasename}.index`, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('/').pop()!);
    const closed = index.slice(0, -1);
    await waitFor('every closed binlog archived', async () => {
      const names = await archivedNames(setup);
      return closed.every((name) => names.includes(name));
    });
    // The binlog open at the kill -9 keeps its in-use flag: archived whole, marked not cleanly closed.
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const metadata = await Promise.all(
      closed.map(async (name) => JSON.parse(await readFile(join(setup.archivePath, systems[0]!, 'logs', `${name}.json`), 'utf8'))),
    );
    expect(metadata.some((log) => log.cleanClose === false)).toBe(true);
    expect((await snaplog(['verify', '--config', setup.configPath])).code).toBe(0);
  });

  it('a read-only archive: alerts and retries, no write anywhere, catch-up after remount rw', async () => {
    execFileSync('mount', ['-o', 'remount,ro', disk.mount]);
    await server.query('CREATE TABLE r.u (id INT)');
    await server.query('FLUSH BINARY LOGS');
    const events = () => readEvents(setup.ipcFolder);
    await waitFor('a read-only alert', async () =>
      (await events()).some((event) => event.type === 'ship-failed' && /not writable/.test(String(event.message))),
    );
    expect((await snaplog(['status', '--config', setup.configPath])).code).toBe(1);
    execFileSync('mount', ['-o', 'remount,rw', disk.mount]);
    const [{ File: open }] = await server.query<{ File: string }>('SHOW MASTER STATUS');
    const newest = Number(open.split('.').pop()) - 1;
    await waitFor('catch-up', async () => (await archivedNames(setup)).includes(`mysql-bin.${String(newest).padStart(6, '0')}`));
  });
});

describe('fault: the archive lies (metadata checksum, truncated log)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server);
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE l');
    await server.query('CREATE TABLE l.t (id INT PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 20; i++) await server.query('INSERT INTO l.t VALUES (?, REPEAT("z", 500))', [i]);
    await server.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('metadata that lies about the checksum: verify names the log; the data is never overwritten by ship', async () => {
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const path = join(setup.archivePath, systems[0]!, 'logs', 'mysql-bin.000001.json');
    const original = await readFile(path, 'utf8');
    const metadata = JSON.parse(original);
    await writeFile(path, JSON.stringify({ ...metadata, sha256: '0'.repeat(64) }));
    try {
      const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.stdout).problems).toEqual([expect.objectContaining({ file: 'mysql-bin.000001', problem: expect.stringMatching(/sha256/) })]);
    } finally {
      await writeFile(path, original);
    }
  });

  it('a truncated archived log: verify names it', async () => {
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const path = join(setup.archivePath, systems[0]!, 'logs', 'mysql-bin.000001');
    const original = await readFile(path);
    await truncate(path, Math.floor(original.length / 2));
    try {
      const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
      expect(verify.code).toBe(1);
      const problems = JSON.parse(verify.stdout).problems as { file: string; problem: string }[];
      expect(new Set(problems.map((problem) => problem.file))).toEqual(new Set(['mysql-bin.000001']));
      expect(problems.some((problem) => /size/.test(problem.problem))).toBe(true);
    } finally {
      await writeFile(path, original);
    }
  });
});
