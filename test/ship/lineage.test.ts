import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { runWorkload } from '../support/workload.js';
import { snaplog } from '../support/cli.js';

const systemsIn = async (archive: string): Promise<string[]> => (await readdir(archive)).filter((entry) => !entry.startsWith('.')).sort();

async function machineIdFile(dir: string, id: string): Promise<string> {
  const path = join(dir, `machine-id-${id}`);
  await writeFile(path, `${id}\n`);
  return path;
}

describe('lineage: servers sharing one archive root never share a system folder (real MariaDB servers)', () => {
  let dir: string;
  let first: MariadbServer;
  let second: MariadbServer;
  let firstSetup: SnaplogTestSetup;
  let secondSetup: SnaplogTestSetup;
  let archivePath: string;
  let machineA: string;
  let machineB: string;

  beforeAll(async () => {
    dir = await makeTempDir('lineage');
    archivePath = join(dir, 'archive');
    machineA = await machineIdFile(dir, 'aaaa');
    machineB = await machineIdFile(dir, 'bbbb');
    // Both keep MariaDB's default server_id 1 on the same host name: the ids of old (mariadb-<host>-1) collided.
    [first, second] = await Promise.all([startMariadb(), startMariadb()]);
    firstSetup = await writeSnaplogConfig(first, { archivePath });
    secondSetup = await writeSnaplogConfig(second, { archivePath });
    expect((await snaplog(['archive', 'init', '--force', '--config', firstSetup.configPath])).code).toBe(0);
    await runWorkload(first, { transactions: 5, rotations: 2 });
    await runWorkload(second, { transactions: 5, rotations: 2 });
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(first?.base, second?.base, firstSetup?.dir, secondSetup?.dir, dir);
  });

  it('two servers with the same server_id and host name get two system ids, each folder holding only its own logs', async () => {
    const a = await snaplog(['ship', '--once', '--config', firstSetup.configPath], { env: { SNAPLOG_MACHINE_ID_FILE: machineA } });
    const b = await snaplog(['ship', '--once', '--config', secondSetup.configPath], { env: { SNAPLOG_MACHINE_ID_FILE: machineB } });
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const idA = JSON.parse(await readFile(join(firstSetup.ipcFolder, 'system-id.json'), 'utf8')).id as string;
    const idB = JSON.parse(await readFile(join(secondSetup.ipcFolder, 'system-id.json'), 'utf8')).id as string;
    expect(idA).not.toBe(idB);
    expect(await systemsIn(archivePath)).toEqual([idA, idB].sort());
    for (const [id, server] of [
      [idA, first],
      [idB, second],
    ] as const) {
      const archived = (await readdir(join(archivePath, id, 'logs'))).filter((name) => !name.endsWith('.json'));
      expect(archived.length).toBeGreaterThanOrEqual(2);
      for (const name of archived) expect(await readFile(join(archivePath, id, 'logs', name))).toEqual(await readFile(join(server.binlogDir, name)));
    }
  });

  it('a clone (the first server’s ipc folder copied, another machine id) is refused before it writes a byte', async () => {
    const idA = JSON.parse(await readFile(join(firstSetup.ipcFolder, 'system-id.json'), 'utf8')).id as string;
    const before = await readdir(join(archivePath, idA, 'logs'));
    const clone = await writeSnaplogConfig(second, { archivePath });
    try {
      await cp(firstSetup.ipcFolder, clone.ipcFolder, { recursive: true });
      await runWorkload(second, { transactions: 3, rotations: 1 });
      const result = await snaplog(['ship', '--once', '--config', clone.configPath], { env: { SNAPLOG_MACHINE_ID_FILE: machineB } });
      expect(result.stderr).toMatch(/looks like a clone/);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/HINT: a clone must ship into its own folder/);
      expect(await readdir(join(archivePath, idA, 'logs'))).toEqual(before);
    } finally {
      await removeDirs(clone.dir);
    }
  });

  it('an installation from before system-id.json keeps the id its ship status names', async () => {
    const legacy = await writeSnaplogConfig(second, { archivePath: join(dir, 'legacy-archive') });
    try {
      expect((await snaplog(['archive', 'init', '--force', '--config', legacy.configPath])).code).toBe(0);
      await cp(secondSetup.ipcFolder, legacy.ipcFolder, { recursive: true });
      const status = JSON.parse(await readFile(join(legacy.ipcFolder, 'ship-status.json'), 'utf8'));
      await writeFile(join(legacy.ipcFolder, 'ship-status.json'), JSON.stringify({ ...status, systemId: 'mariadb-oldhost-1' }));
      await removeDirs(join(legacy.ipcFolder, 'system-id.json'));
      const result = await snaplog(['ship', '--once', '--config', legacy.configPath], { env: { SNAPLOG_MACHINE_ID_FILE: machineB } });
      expect(result.code).toBe(0);
      expect(await systemsIn(join(dir, 'legacy-archive'))).toEqual(['mariadb-oldhost-1']);
      expect(JSON.parse(await readFile(join(legacy.ipcFolder, 'system-id.json'), 'utf8'))).toMatchObject({
        id: 'mariadb-oldhost-1',
        origin: 'adopted',
        machineId: 'bbbb',
      });
    } finally {
      await removeDirs(legacy.dir);
    }
  });
});
