import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig, makeTempDir } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { readEvents, waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';

const events = (setup: SnaplogTestSetup) => readEvents(setup.ipcFolder);

/** sha256 of the server's closed binlogs (the open one still changes). */
async function sourceDigests(server: MariadbServer): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  const names = (await readdir(server.binlogDir)).filter((entry) => /\.\d+$/.test(entry)).sort();
  for (const name of names.slice(0, -1)) {
    digests[name] = createHash('sha256')
      .update(await readFile(join(server.binlogDir, name)))
      .digest('hex');
  }
  return digests;
}

function startService(configPath: string): ChildProcess {
  return spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', configPath], { stdio: 'ignore' });
}

describe('fault: the archive fills up (a tiny loop-mounted file system)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let disk: MountedImage;
  let service: ChildProcess | undefined;

  beforeAll(async () => {
    disk = await createMountedImage(8, 'fullarch');
    server = await startMariadb({ args: ['--max-binlog-size=262144'] });
    setup = await writeSnaplogConfig(server, { archivePath: join(disk.mount, 'archive'), ship: 'retry_max_delay = 2s' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
  });
  afterAll(async () => {
    service?.kill('SIGKILL');
    await stopAllMariadb();
    await disk?.cleanup();
    await removeDirs(server?.base, setup?.dir);
  });

  it('stops with an alert and a failing status, keeps the source, leaves nothing partial, and catches up once space is freed', async () => {
    // Fill the archive's file system but for ~1 MiB, then write ~3 MiB of binlogs.
    const filler = join(disk.mount, 'filler');
    execFileSync('fallocate', ['-l', '5M', filler]);
    const connection = await server.connect();
    await connection.query('CREATE DATABASE big');
    await connection.query('CREATE TABLE big.t (id INT AUTO_INCREMENT PRIMARY KEY, v MEDIUMTEXT)');
    for (let i = 0; i < 30; i++) await connection.query('INSERT INTO big.t (v) VALUES (REPEAT(MD5(RAND()), 3200))');
    await connection.query('FLUSH BINARY LOGS');
    await connection.end();
    const before = await sourceDigests(server);

    service = startService(setup.configPath);
    await waitFor('an archive-full alert', async () =>
      (await events(setup)).some((event) => event.type === 'ship-failed' && event.kind === 'ArchiveFullError'),
    );
    const status = await snaplog(['status', '--json', '--config', setup.configPath]);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).lastError.message).toMatch(/no space left in the archive/);
    expect(await sourceDigests(server)).toEqual(before);

    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    for (const entry of (await readdir(logsDir)).filter((file) => /\.\d+$/.test(file))) {
      // Whatever is under a final name is whole.
      expect(
        createHash('sha256')
          .update(await readFile(join(logsDir, entry)))
          .digest('hex'),
      ).toBe(before[entry]);
    }

    await rm(filler);
    const closed = Object.keys(before).sort();
    await waitFor('the service to catch up by itself', async () => {
      const names = await readdir(logsDir);
      return closed.every((name) => names.includes(`${name}.json`));
    });
    await waitFor('a healthy status', async () => (await snaplog(['status', '--json', '--config', setup.configPath])).code === 0);
    expect((await events(setup)).some((event) => event.type === 'ship-recovered')).toBe(true);
    expect((await snaplog(['verify', '--config', setup.configPath])).code).toBe(0);
  }, 180_000);
});

describe('fault: the archive goes away (NFS unmounted: the marker disappears) and comes back', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let service: ChildProcess | undefined;
  let spare: string;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { ship: 'retry_max_delay = 2s' });
    spare = await makeTempDir('spare');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
  });
  afterAll(async () => {
    service?.kill('SIGKILL');
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir, spare);
  });

  it('writes nothing to the bare folder, raises alerts with retries, and catches up when the share is back', async () => {
    service = startService(setup.configPath);
    await server.query('CREATE DATABASE g');
    await server.query('FLUSH BINARY LOGS');
    await waitFor(
      'the first log archived',
      async () => JSON.parse((await snaplog(['status', '--json', '--config', setup.configPath])).stdout).lastShipped !== null,
    );

    // "Unmount": the archive folder is replaced by an empty one.
    await rename(setup.archivePath, join(spare, 'archive'));
    const bare = setup.archivePath;
    await (await import('node:fs/promises')).mkdir(bare);
    await server.query('CREATE TABLE g.t (id INT)');
    await server.query('FLUSH BINARY LOGS');
    await waitFor('two failed attempts', async () => (await events(setup)).filter((event) => event.type === 'ship-failed').length >= 2);
    expect(await readdir(bare)).toEqual([]);
    expect((await events(setup)).find((event) => event.type === 'ship-failed')?.message).toMatch(/marker/);

    // "Mount again".
    await rm(bare, { recursive: true });
    await rename(join(spare, 'archive'), setup.archivePath);
    await waitFor(
      'catch-up',
      async () =>
        (await snaplog(['status', '--json', '--config', setup.configPath])).code === 0 &&
        JSON.parse((await snaplog(['status', '--json', '--config', setup.configPath])).stdout).pending.length === 0,
    );
    expect((await snaplog(['verify', '--config', setup.configPath])).code).toBe(0);
    await writeFile(join(spare, 'done'), '');
  }, 120_000);
});
