import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { runWorkload } from '../support/workload.js';
import { readEvents } from '../support/observe.js';
import { snaplog } from '../support/cli.js';

const SECRET = 'TOP-SECRET-not-for-the-archive';

async function archivedBytes(archivePath: string): Promise<string> {
  const files = (await readdir(archivePath, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const contents = await Promise.all(files.map((entry) => readFile(join(entry.parentPath, entry.name), 'latin1')));
  return contents.join('\n');
}

describe('the binlog index is untrusted: entries outside the binlog folder and symlinks are refused, never read (real MariaDB, server down)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let outside: string;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { archive: 'system_id = db1', mysql: `binlog_dir = ${server.binlogDir}\nbinlog_basename = mysql-bin` });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await runWorkload(server, { transactions: 5, rotations: 3 });
    await server.stop();
    // What the server's user could plant: a log replaced by a symlink to a root-only file, and index entries
    // naming files elsewhere (a regular file outside, and one reached through '..').
    outside = join(server.base, 'outside');
    await mkdir(outside);
    const real = await readFile(join(server.binlogDir, 'mysql-bin.000001'));
    const bait = Buffer.concat([real.subarray(0, 200), Buffer.from(SECRET)]);
    await writeFile(join(outside, 'shadow'), bait);
    await writeFile(join(outside, 'mysql-bin.000005'), bait);
    await rename(join(server.binlogDir, 'mysql-bin.000002'), join(server.base, 'mysql-bin.000002.real'));
    await symlink(join(outside, 'shadow'), join(server.binlogDir, 'mysql-bin.000002'));
    const index = `${server.binlogBasename}.index`;
    const lines = (await readFile(index, 'utf8')).split('\n').filter(Boolean);
    lines.splice(2, 0, join(outside, 'mysql-bin.000005'), `${server.binlogDir}/../outside/mysql-bin.000005`, '/etc/shadow');
    await writeFile(index, `${lines.join('\n')}\n`);
    // A relay-log index beside it: never the one the folder fallback reads.
    await writeFile(join(server.binlogDir, 'db-relay-bin.index'), `${join(outside, 'mysql-bin.000005')}\n./mysql-bin.000001\n`);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('ship --once ships the other logs from <binlog_dir>/<binlog_basename>.index, refuses the rest with a clear error, and reads none of them', async () => {
    const result = await snaplog(['ship', '--once', '--json', '--config', setup.configPath]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.shipped).toEqual(['mysql-bin.000001', 'mysql-bin.000003']);
    expect(report.refused.map((entry: { log: string }) => entry.log)).toEqual(['mysql-bin.000002', 'mysql-bin.000005', 'mysql-bin.000005', 'shadow']);
    expect(report.refused[0].reason).toMatch(/mysql-bin\.000002 is a symbolic link/);
    expect(report.refused[1].reason).toMatch(/not a file directly in the binlog folder/);
    expect(report.refused[2].reason).toMatch(/'\.\.'/);
    expect(result.stderr).toMatch(/mysql-bin\.000002 not shipped: .*symbolic link\nHINT: /);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    const logs = await readdir(join(setup.archivePath, 'db1', 'logs'));
    expect(logs.filter((name) => !name.endsWith('.json')).sort()).toEqual(['mysql-bin.000001', 'mysql-bin.000003']);
    expect(await archivedBytes(setup.archivePath)).not.toContain(SECRET);
    const events = await readEvents(setup.ipcFolder);
    const refused = events.filter((event) => event.type === 'source-log-refused');
    expect(refused.map((event) => event.log)).toEqual(['mysql-bin.000002', 'mysql-bin.000005', 'mysql-bin.000005', 'shadow']);
    expect(refused.every((event) => event.level === 'alert' && typeof event.hint === 'string')).toBe(true);
  });

  it('without binlog_basename, the folder fallback still takes the binlog index, not the relay-log index', async () => {
    const other = await writeSnaplogConfig(server, { archive: 'system_id = db2', mysql: `binlog_dir = ${server.binlogDir}`, archivePath: setup.archivePath });
    try {
      const result = await snaplog(['ship', '--once', '--json', '--config', other.configPath]);
      expect(JSON.parse(result.stdout).shipped).toEqual(['mysql-bin.000001', 'mysql-bin.000003']);
      expect(await archivedBytes(setup.archivePath)).not.toContain(SECRET);
    } finally {
      await removeDirs(other.dir);
    }
  });

  it('once the real log is back, it ships', async () => {
    await rename(join(server.base, 'mysql-bin.000002.real'), join(server.binlogDir, 'mysql-bin.000002'));
    const index = `${server.binlogBasename}.index`;
    const lines = (await readFile(index, 'utf8')).split('\n').filter((line) => line?.startsWith(server.binlogDir) && !line.includes('..'));
    await writeFile(index, `${lines.join('\n')}\n`);
    const result = await snaplog(['ship', '--once', '--json', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).shipped).toEqual(['mysql-bin.000002']);
  });
});

describe('the binlog index of a running server (real MariaDB)', () => {
  afterAll(stopAllMariadb);

  it('a closed binlog replaced by a symlink is refused while the others ship', async () => {
    const server = await startMariadb();
    const setup = await writeSnaplogConfig(server, { archive: 'system_id = up' });
    try {
      expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
      await runWorkload(server, { transactions: 3, rotations: 3 });
      const secret = join(server.base, 'secret');
      await writeFile(secret, SECRET);
      await rename(join(server.binlogDir, 'mysql-bin.000002'), join(server.base, 'moved'));
      await symlink(secret, join(server.binlogDir, 'mysql-bin.000002'));
      const result = await snaplog(['ship', '--once', '--json', '--config', setup.configPath]);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        shipped: ['mysql-bin.000001', 'mysql-bin.000003'],
        refused: [{ log: 'mysql-bin.000002', reason: expect.stringMatching(/symbolic link/) }],
      });
      expect(await archivedBytes(setup.archivePath)).not.toContain(SECRET);
    } finally {
      await server.kill();
      await removeDirs(server.base, setup.dir);
    }
  });
});
