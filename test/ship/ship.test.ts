import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { runWorkload } from '../support/workload.js';
import { readEvents } from '../support/observe.js';
import { snaplog } from '../support/cli.js';
import { mariadbBinlogEventTimes } from '../support/binlog-tool.js';

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

async function closedBinlogs(server: MariadbServer): Promise<string[]> {
  const index = (await readFile(`${server.binlogBasename}.index`, 'utf8')).split('\n').filter(Boolean);
  return index.slice(0, -1).map((line) => line.split('/').pop()!);
}

async function systemLogsDir(setup: SnaplogTestSetup): Promise<string> {
  const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
  expect(systems).toHaveLength(1);
  return join(setup.archivePath, systems[0]!, 'logs');
}

describe('ship on a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server);
    expect((await snaplog(['--config', setup.configPath, 'archive', 'init', '--force'])).code).toBe(0);
    await runWorkload(server, { transactions: 20, rotations: 3 });
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('ship --once archives every closed binlog byte-identical, with metadata matching mariadb-binlog', async () => {
    const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const logsDir = await systemLogsDir(setup);
    const closed = await closedBinlogs(server);
    expect(closed.length).toBeGreaterThanOrEqual(3);
    for (const name of closed) {
      const original = await readFile(join(server.binlogDir, name));
      const archived = await readFile(join(logsDir, name));
      expect(sha256(archived)).toBe(sha256(original));
      const metadata = JSON.parse(await readFile(join(logsDir, `${name}.json`), 'utf8'));
      expect(metadata.sha256).toBe(sha256(original));
      expect(metadata.size).toBe(original.length);
      expect(metadata.cleanClose).toBe(true);
      const times = mariadbBinlogEventTimes(join(server.binlogDir, name));
      expect(Date.parse(metadata.firstEventTime) / 1000).toBe(times[0]);
      expect(Date.parse(metadata.lastEventTime) / 1000).toBe(times[times.length - 1]);
      expect(metadata.endPosition).toBe(original.length);
    }
    const open = (await readFile(`${server.binlogBasename}.index`, 'utf8')).split('\n').filter(Boolean).pop()!.split('/').pop()!;
    expect(await readdir(logsDir)).not.toContain(open);

    const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, checked: closed.length, problems: [] });
  });

  it('a second run resumes without re-copying anything', async () => {
    const logsDir = await systemLogsDir(setup);
    const before = await Promise.all((await readdir(logsDir)).map(async (file) => [file, (await stat(join(logsDir, file))).ino] as const));
    const result = await snaplog(['ship', '--once', '--json', '--config', setup.configPath]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).shipped).toEqual([]);
    const after = await Promise.all((await readdir(logsDir)).map(async (file) => [file, (await stat(join(logsDir, file))).ino] as const));
    expect(after).toEqual(before);
  });

  it('status and list report the last shipped log and the archived range', async () => {
    const status = await snaplog(['status', '--json', '--config', setup.configPath]);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    const closed = await closedBinlogs(server);
    expect(report.lastShipped.name).toBe(closed[closed.length - 1]);
    expect(typeof report.lagSeconds).toBe('number');
    expect(report.freeze.state).toBeDefined();
    const list = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout);
    expect(list.logs).toMatchObject({ count: closed.length, first: closed[0], last: closed[closed.length - 1] });
    expect(list.gaps).toEqual([]);
  });

  it('verify fails naming the archived binlog with one corrupted byte', async () => {
    const logsDir = await systemLogsDir(setup);
    const victim = (await closedBinlogs(server))[1]!;
    const path = join(logsDir, victim);
    const original = await readFile(path);
    const corrupted = Buffer.from(original);
    corrupted[Math.floor(corrupted.length / 2)]! ^= 0x01;
    await writeFile(path, corrupted);
    try {
      const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
      expect(verify.code).toBe(1);
      const report = JSON.parse(verify.stdout);
      expect(report.ok).toBe(false);
      expect(new Set(report.problems.map((problem: { file: string }) => problem.file))).toEqual(new Set([victim]));
      expect(report.problems.some((problem: { problem: string }) => /CRC32/i.test(problem.problem))).toBe(true);
    } finally {
      await writeFile(path, original);
    }
  });

  it('a binlog purged before it was shipped is reported as a gap by ship, status and list', async () => {
    await runWorkload(server, { transactions: 3, rotations: 3 });
    const closed = await closedBinlogs(server);
    const newest = closed[closed.length - 1]!;
    await server.query(`PURGE BINARY LOGS TO '${newest}'`);
    const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/gap/);
    const list = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout);
    expect(list.gaps).toHaveLength(1);
    expect(list.gaps[0].before).toBe(newest);
    const status = await snaplog(['status', '--json', '--config', setup.configPath]);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).gaps).toHaveLength(1);
    const events = await readEvents(setup.ipcFolder);
    expect(events.some((event) => event.type === 'gap' && event.before === newest)).toBe(true);
  });
});

describe('ship refuses what it must not do', () => {
  afterAll(stopAllMariadb);

  it('writes nothing and explains when the archive marker is missing (NFS not mounted)', async () => {
    const server = await startMariadb();
    const setup = await writeSnaplogConfig(server);
    try {
      await runWorkload(server, { transactions: 2, rotations: 1 });
      const { mkdir } = await import('node:fs/promises');
      await mkdir(setup.archivePath);
      const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no \.snaplog-archive marker/);
      expect(result.stderr).toMatch(/HINT: .*mount/);
      expect(await readdir(setup.archivePath)).toEqual([]);
    } finally {
      await server.kill();
      await rm(server.base, { recursive: true, force: true });
      await rm(setup.dir, { recursive: true, force: true });
    }
  });

  it('a new server reusing binlog names is refused and the archived logs stay intact', async () => {
    const first = await startMariadb({ serverId: 5 });
    const setup = await writeSnaplogConfig(first, { archive: 'system_id = db1' });
    const second = await startMariadb({ serverId: 5 });
    try {
      expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
      await runWorkload(first, { transactions: 3, rotations: 1 });
      expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
      const logsDir = join(setup.archivePath, 'db1', 'logs');
      const archivedBefore = await readFile(join(logsDir, 'mysql-bin.000001'));
      await runWorkload(second, { transactions: 5, rotations: 1, database: 'other' });
      const secondSetup = await writeSnaplogConfig(second, { archive: 'system_id = db1', archivePath: setup.archivePath });
      const result = await snaplog(['ship', '--once', '--config', secondSetup.configPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/snaplog: mysql-bin\.000001 already archived with a different checksum/);
      expect(result.stderr).toMatch(/HINT:/);
      expect(result.stderr).not.toMatch(/ArchiveDuplicateError/);
      expect(await readFile(join(logsDir, 'mysql-bin.000001'))).toEqual(archivedBefore);
      await rm(secondSetup.dir, { recursive: true, force: true });
    } finally {
      await first.kill();
      await second.kill();
      await rm(first.base, { recursive: true, force: true });
      await rm(second.base, { recursive: true, force: true });
      await rm(setup.dir, { recursive: true, force: true });
    }
  });
});
