import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { mountSlowFilesystem } from '../support/slow-fs.js';
import type { SlowFilesystem } from '../support/slow-fs.js';
import { readEvents, waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';
import { isSlowCopy } from '../../src/ship/shipper.js';

const events = (setup: SnaplogTestSetup) => readEvents(setup.ipcFolder);

async function digest(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('isSlowCopy', () => {
  it('flags long copies that crawl, not short ones or fast big ones', () => {
    expect(isSlowCopy(4 * 1048576, 10_000)).toBe(true);
    expect(isSlowCopy(4 * 1048576, 900)).toBe(false);
    expect(isSlowCopy(1024 * 1048576, 20_000)).toBe(false);
  });
});

describe('fault: a very slow archive (FUSE passthrough that delays writes, standing in for an overloaded NFS server)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let slow: SlowFilesystem;
  let service: ChildProcess | undefined;

  beforeAll(async () => {
    slow = await mountSlowFilesystem('slowfs');
    server = await startMariadb({ args: ['--max-binlog-size=2097152'] });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 4', archivePath: join(slow.mount, 'archive'), ship: 'retry_max_delay = 2s' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v MEDIUMTEXT)');
  }, 60_000);
  afterAll(async () => {
    service?.kill('SIGKILL');
    await snaplog(['thaw', '--config', setup.configPath]).catch(() => undefined);
    await stopAllMariadb();
    await slow?.cleanup();
    await removeDirs(server?.base, setup?.dir);
  });

  it('ships whole logs slowly with an archive-slow warning, freeze stays within its timeout, and everything arrives byte-identical once it heals', async () => {
    // ~200 KiB/s and 300 ms per fsync/rename: a 2 MiB binlog takes > 10 s.
    await slow.setSlowness(300, 200);
    for (let i = 0; i < 14; i++) await server.query('INSERT INTO app.t (v) VALUES (REPEAT(MD5(RAND()), 6400))');
    await server.query('FLUSH BINARY LOGS');
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: 'ignore' });
    await waitFor('an archive-slow warning', async () => (await events(setup)).some((event) => event.type === 'archive-slow'));
    const warning = (await events(setup)).find((event) => event.type === 'archive-slow');
    expect(warning?.level).toBe('warning');
    expect(warning?.mibPerSecond).toBeLessThan(1);

    // The archive is still crawling: freeze must give up at its 4 s timeout, not hang, and leave the server writable.
    await server.query('INSERT INTO app.t (v) VALUES (REPEAT(MD5(RAND()), 6400))');
    const started = Date.now();
    const freeze = await snaplog(['freeze', '--config', setup.configPath], { timeoutMs: 60_000 });
    const freezeMs = Date.now() - started;
    if (freeze.code !== 0) expect(freeze.stderr).toMatch(/did not finish (within the freeze timeout \(4 s\)|in time)/);
    expect(freezeMs).toBeLessThan(20_000);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBeLessThanOrEqual(1);
    await server.query('INSERT INTO app.t (v) VALUES (1)');

    await slow.setSlowness(0, 0);
    await server.query('FLUSH BINARY LOGS');
    const binlogs = (await readdir(server.binlogDir)).filter((entry) => /\.\d+$/.test(entry)).sort();
    const closed = binlogs.slice(0, -1);
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    // A log copied before a loaded server cleared its in-use flag is archived as crash-closed first and replaced
    // by the clean file on a later round: wait for the archive to settle, then compare every copy.
    await waitFor('catch-up after the archive heals', async () => {
      const names = await readdir(logsDir);
      if (!closed.every((name) => names.includes(`${name}.json`))) return false;
      const settled = await Promise.all(closed.map(async (name) => JSON.parse(await readFile(join(logsDir, `${name}.json`), 'utf8')).cleanClose !== false));
      return settled.every(Boolean);
    });
    for (const name of closed) expect(await digest(join(logsDir, name)), name).toBe(await digest(join(server.binlogDir, name)));
    const verify = await snaplog(['verify', '--config', setup.configPath]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const shippedTwice = (await events(setup)).filter((event) => event.type === 'log-shipped').map((event) => event.log);
    expect(new Set(shippedTwice).size).toBe(shippedTwice.length);
  }, 240_000);
});
