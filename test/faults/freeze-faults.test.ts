import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';

async function writableWithin(server: MariadbServer, ms: number): Promise<boolean> {
  const insert = (async () => {
    const connection = await server.connect();
    try {
      await connection.query('INSERT INTO app.t VALUES (NULL)');
      return true;
    } finally {
      await connection.end();
    }
  })();
  return Promise.race([insert, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

async function freezeState(setup: SnaplogTestSetup): Promise<{ state: string; snapshotId: string; holderPid?: number; message?: string }> {
  return JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8'));
}

describe('fault: freeze under duress (real MariaDB)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let archiveDisk: MountedImage;

  beforeAll(async () => {
    server = await startMariadb();
    archiveDisk = await createMountedImage(64, 'slowarch');
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 4', archivePath: join(archiveDisk.mount, 'archive') });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY)');
  });
  afterAll(async () => {
    try {
      execFileSync('fsfreeze', ['-u', archiveDisk.mount], { stdio: 'ignore' });
    } catch {
      // not frozen
    }
    await snaplog(['thaw', '--config', setup.configPath]);
    await stopAllMariadb();
    await archiveDisk?.cleanup();
    await removeDirs(server?.base, setup?.dir);
  });

  it('two freezes at once: exactly one wins, the other is refused, and the server is writable after thaw', async () => {
    const [a, b] = await Promise.all([snaplog(['freeze', '--config', setup.configPath]), snaplog(['freeze', '--config', setup.configPath])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect((a.code === 1 ? a : b).stderr).toMatch(/already in force|could not take the lock|freeze/);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    expect(await writableWithin(server, 2000)).toBe(true);
  });

  it('the pre-step killed between lock and return: the holder still lets go at the timeout and says so', async () => {
    const child = spawn(process.execPath, [SNAPLOG_BIN, 'freeze', '--config', setup.configPath], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const state = await freezeState(setup).catch(() => undefined);
      if (state?.state === 'frozen') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    expect(await writableWithin(server, 300)).toBe(false);
    expect(await writableWithin(server, 8000)).toBe(true);
    const until = Date.now() + 5000;
    while ((await freezeState(setup)).state === 'frozen' && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await freezeState(setup)).state).toBe('timed-out');
    const thaw = await snaplog(['thaw', '--config', setup.configPath]);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/not application-consistent/);
  });

  it('a hanging archive (its file system frozen) never holds freeze past the timeout; the server stays writable', async () => {
    await server.query('INSERT INTO app.t VALUES (NULL)');
    execFileSync('fsfreeze', ['-f', archiveDisk.mount]);
    let result;
    const started = Date.now();
    try {
      result = await snaplog(['freeze', '--config', setup.configPath], { timeoutMs: 30_000 });
    } finally {
      execFileSync('fsfreeze', ['-u', archiveDisk.mount]);
    }
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/did not finish (within the freeze timeout \(4 s\)|in time)/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await writableWithin(server, 2000)).toBe(true);
  });

  it('the database down at freeze time: a clear error, exit 1, nothing left holding', async () => {
    const down = await startMariadb();
    const downSetup = await writeSnaplogConfig(down, { archivePath: setup.archivePath, archive: 'system_id = down-db' });
    await down.kill();
    const result = await snaplog(['freeze', '--config', downSetup.configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to the database/);
    expect(result.stderr).toMatch(/HINT:/);
    await removeDirs(down.base, downSetup.dir);
  });
});

describe('fault: bad input to attach and restore', () => {
  it('an image that holds no file system: one clear error, exit 1, no loop device left', async () => {
    const dir = (await import('../support/mariadb.js')).makeTempDir;
    const work = await dir('notfs');
    const image = join(work, 'zeros.img');
    execFileSync('truncate', ['-s', '8M', image]);
    const result = await snaplog(['attach', '--image', image, '--mount', join(work, 'mnt')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds no file system/);
    expect(execFileSync('losetup', ['-a']).toString()).not.toContain(image);
    await removeDirs(work);
  });

  it('a failing file-recovery script (fake: it cannot be run here) is reported with its last words', async () => {
    const work = await (await import('../support/mariadb.js')).makeTempDir('iscsi');
    const script = join(work, 'recovery.sh');
    await (await import('node:fs/promises')).writeFile(
      script,
      '#!/bin/bash\necho "Connecting to recovery point using iSCSI service..."\necho "Exception caught while connecting to the target" >&2\nexit 3\n',
    );
    const result = await snaplog(['attach', '--iscsi-script', script, '--mount', join(work, 'mnt')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/file-recovery script .* failed \(exit 3\): .*Exception caught/);
    expect(await readdir(work)).toEqual(['recovery.sh']);
    await removeDirs(work);
  });
});
