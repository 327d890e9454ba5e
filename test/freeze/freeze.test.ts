import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { readEvents, waitFor } from '../support/observe.js';
import { snaplog, SNAPLOG_BIN } from '../support/cli.js';

interface FreezeStateFile {
  state: string;
  snapshotId: string;
  holderPid?: number;
  position?: { file: string; position: number; gtid?: string };
}

async function freezeState(setup: SnaplogTestSetup): Promise<FreezeStateFile> {
  return JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8'));
}

async function snapshotRecord(setup: SnaplogTestSetup, id: string): Promise<Record<string, unknown>> {
  const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
  return JSON.parse(await readFile(join(setup.archivePath, systems[0]!, 'snapshots', `${id}.json`), 'utf8'));
}

/** Resolves to the time the insert committed; pending while commits are blocked. */
function insertRow(server: MariadbServer, id: number): { done: Promise<number>; settled: () => boolean } {
  let settled = false;
  const done = (async () => {
    const connection = await server.connect();
    try {
      await connection.query('INSERT INTO app.t VALUES (?)', [id]);
      return Date.now();
    } finally {
      settled = true;
      await connection.end();
    }
  })();
  return { done, settled: () => settled };
}

async function writable(server: MariadbServer, id: number, withinMs: number): Promise<boolean> {
  const insert = insertRow(server, id);
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), withinMs));
  return (await Promise.race([insert.done.then(() => true), timeout])) === true;
}

describe('freeze and thaw on a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let nextId = 1;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 20' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB');
  });
  afterEach(async () => {
    await snaplog(['thaw', '--config', setup.configPath]);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('thaw without a freeze is a clean no-op', async () => {
    const result = await snaplog(['thaw', '--config', setup.configPath]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/nothing frozen/);
    expect(result.stderr).toBe('');
  });

  it('blocks commits while frozen, records the exact position, and resumes writers on thaw', async () => {
    await server.query('INSERT INTO app.t VALUES (?)', [nextId++]);
    const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath]);
    expect(freeze.stderr).toBe('');
    expect(freeze.code).toBe(0);
    const result = JSON.parse(freeze.stdout);

    const [master] = await server.query<{ File: string; Position: string }>('SHOW MASTER STATUS');
    const [{ gtid }] = await server.query<{ gtid: string }>('SELECT @@gtid_binlog_pos AS gtid');
    // Exact: nothing but binlog housekeeping (the new file's asynchronous Binlog checkpoint event, written once
    // InnoDB has flushed) follows the recorded position; not one transaction.
    expect(result.position).toMatchObject({ file: master!.File, gtid });
    expect(result.position.position).toBeLessThanOrEqual(Number(master!.Position));
    const binlogFile = join(dirname(server.binlogBasename), master!.File);
    const binlogAfter = execFileSync('mariadb-binlog', [`--start-position=${result.position.position}`, binlogFile], { encoding: 'utf8' });
    const eventsAfter = binlogAfter
      .split('\n')
      .filter((line) => /^#\d{6} .* server id /.test(line))
      .map((line) => line.replace(/^.*end_log_pos \d+\s+(CRC32 0x[0-9a-f]+\s+)?/, ''));
    expect(eventsAfter.filter((event) => !/^(Start: binlog|Binlog checkpoint|Gtid list|Rotate|Stop)\b/.test(event))).toEqual([]);

    // Every binlog before the snapshot's position is already in the archive when freeze returns.
    const index = (await readFile(`${server.binlogBasename}.index`, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('/').pop()!);
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const archived = await readdir(join(setup.archivePath, systems[0]!, 'logs'));
    for (const name of index.slice(0, index.indexOf(result.position.file))) expect(archived).toContain(`${name}.json`);

    const record = await snapshotRecord(setup, result.snapshotId);
    expect(record).toMatchObject({ id: result.snapshotId, status: 'frozen', position: result.position, method: 'backup-stage' });

    const writer = insertRow(server, nextId++);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(writer.settled()).toBe(false);

    const thawed = Date.now();
    const thaw = await snaplog(['thaw', '--config', setup.configPath]);
    expect(thaw.code).toBe(0);
    expect(thaw.stderr).toBe('');
    expect(await writer.done).toBeGreaterThanOrEqual(thawed);
    const after = await snapshotRecord(setup, result.snapshotId);
    expect(after.status).toBe('thawed');
    expect(after.frozenMs).toBeGreaterThan(0);

    const events = await readEvents(setup.ipcFolder);
    const types = events.filter((event) => event.snapshotId === result.snapshotId).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['freeze-start', 'logs-flushed', 'logs-shipped', 'frozen', 'thawed']));
  });

  it('with the ship service running, the service ships the closed log and freeze waits for it (shippedBy service)', async () => {
    const service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--quiet', '--config', setup.configPath], { stdio: 'ignore' });
    try {
      await waitFor('the ship service status', async () => {
        const status = await readFile(join(setup.ipcFolder, 'ship-status.json'), 'utf8').catch(() => '');
        return status.includes('"mode": "service"') && status.includes(`"pid": ${service.pid}`);
      });
      await server.query('INSERT INTO app.t VALUES (?)', [nextId++]);
      const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath]);
      expect(freeze.stderr).toBe('');
      expect(freeze.code).toBe(0);
      const result = JSON.parse(freeze.stdout) as { shippedBy: string; closedLog: string };
      expect(result.shippedBy).toBe('service');
      const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
      expect(await readdir(join(setup.archivePath, systems[0]!, 'logs'))).toContain(`${result.closedLog}.json`);
    } finally {
      service.kill('SIGTERM');
      await new Promise((resolve) => (service.exitCode === null ? service.once('exit', resolve) : resolve(undefined)));
    }
  });

  it('refuses a second freeze while frozen', async () => {
    expect((await snaplog(['freeze', '--quiet', '--config', setup.configPath])).code).toBe(0);
    const second = await snaplog(['freeze', '--config', setup.configPath]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already in force/);
    const state = await freezeState(setup);
    expect(state.state).toBe('frozen');
  });

  it('kill -9 of the holder makes the server writable again within 1 s; thaw then says the snapshot is not consistent', async () => {
    expect((await snaplog(['freeze', '--quiet', '--config', setup.configPath])).code).toBe(0);
    const state = await freezeState(setup);
    expect(await writable(server, nextId++, 300)).toBe(false);
    process.kill(state.holderPid!, 'SIGKILL');
    expect(await writable(server, nextId++, 1000)).toBe(true);
    const thaw = await snaplog(['thaw', '--config', setup.configPath]);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/died/);
    expect((await snapshotRecord(setup, state.snapshotId)).status).toBe('failed');
  });

  it('a failing pre-step (archive unavailable) leaves the server writable and exits 1', async () => {
    const marker = join(setup.archivePath, '.snaplog-archive');
    await rename(marker, `${marker}.away`);
    try {
      const freeze = await snaplog(['freeze', '--config', setup.configPath]);
      expect(freeze.code).toBe(1);
      expect(freeze.stderr).toMatch(/marker/);
      expect(await writable(server, nextId++, 2000)).toBe(true);
      expect((await freezeState(setup)).state).toBe('failed');
    } finally {
      await rename(`${marker}.away`, marker);
    }
  });
});

describe('freeze timeout on a real MariaDB', () => {
  afterAll(stopAllMariadb);

  it('the holder releases at the timeout; a late thaw reports "not application-consistent" and exits 1', async () => {
    const server = await startMariadb();
    // Short, but long enough for the pre-step itself on a loaded 2-core machine (its deadline is this timeout too).
    const setup = await writeSnaplogConfig(server, { workload: 'timeout = 6' });
    try {
      expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
      await server.query('CREATE DATABASE app');
      await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
      const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath]);
      expect(freeze.code, freeze.stderr).toBe(0);
      const { snapshotId } = JSON.parse(freeze.stdout);
      // A writer blocked by the freeze gets through once the timeout releases the lock.
      expect(await writable(server, 1, 20_000)).toBe(true);
      const deadline = Date.now() + 10_000;
      while ((await freezeState(setup)).state === 'frozen' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await freezeState(setup)).state).toBe('timed-out');
      const thaw = await snaplog(['thaw', '--config', setup.configPath]);
      expect(thaw.code).toBe(1);
      expect(thaw.stderr).toMatch(/not application-consistent/);
      expect(thaw.stderr).toMatch(/HINT: this snapshot cannot anchor a point-in-time restore/);
      expect((await snapshotRecord(setup, snapshotId)).status).toBe('timed-out');
    } finally {
      await server.kill();
      await rm(server.base, { recursive: true, force: true });
      await rm(setup.dir, { recursive: true, force: true });
    }
  });
});
