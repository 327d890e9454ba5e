import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, makeTempDir, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage, loopDevicesUnder, snapshotImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { datadirState, tableChecksums } from '../support/workload.js';
import { snaplog } from '../support/cli.js';
import { readEvents } from '../support/observe.js';
import { lastCheckpointLog, recoverSnapshotDatadir } from '../../src/engines/mysql/restore/recovery.js';

const DATABASES = ['app'];

interface Checkpoint {
  gtid: string;
  sums: Record<string, string>;
}

async function lastGtid(server: MariadbServer): Promise<string> {
  const [{ pos }] = await server.query<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
  return pos;
}

async function checkpoint(server: MariadbServer): Promise<Checkpoint> {
  return { gtid: await lastGtid(server), sums: await tableChecksums(server, DATABASES) };
}

async function waitForNextSecond(): Promise<void> {
  const now = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 1000 - (now % 1000) + 50));
}

/** Checksums of the tables in a restored data directory, read through a private server. */
const checksumsOf = (datadir: string, runDir: string) => datadirState(datadir, runDir, DATABASES);

describe('point-in-time restore end to end: real MariaDB on a loop-mounted ext4 image', () => {
  let disk: MountedImage;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let work: string;
  let snapshotCopy: string;
  let atSnapshot: Checkpoint;
  let timeTarget: { time: string; state: Checkpoint };
  let gtidTarget: Checkpoint;
  let beforeDrop: Checkpoint;
  let dropGtid: string;
  let freezeTime: string;
  const mounts: string[] = [];

  beforeAll(async () => {
    disk = await createMountedImage(384, 'e2e');
    work = await makeTempDir('e2e-work');
    server = await startMariadb({ datadir: join(disk.mount, 'mysql'), binlogDir: join(disk.mount, 'binlog'), args: ['--innodb-flush-log-at-trx-commit=1'] });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 60' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);

    const c = await server.connect();
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(12,2)) ENGINE=InnoDB');
    await c.query('CREATE TABLE app.audit (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(200)) ENGINE=InnoDB');
    for (let i = 1; i <= 50; i++) await c.query('INSERT INTO app.accounts VALUES (?, ?, ?)', [i, `owner${i}`, i * 10]);
    await c.query('FLUSH BINARY LOGS');

    // The snapshot: freeze, copy the image between fsfreeze -f/-u, thaw.
    const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath]);
    expect(freeze.stderr).toBe('');
    expect(freeze.code).toBe(0);
    atSnapshot = await checkpoint(server);
    snapshotCopy = join(work, 'snapshot.img');
    snapshotImage(disk, snapshotCopy);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    freezeTime = JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8')).frozenAt;

    // After the snapshot: rotations, a multi-statement transaction, DDL, a large transaction,
    // a transaction open across a rotation, then the accidental DROP and a little more.
    await c.query('BEGIN');
    await c.query('UPDATE app.accounts SET balance = balance - 5 WHERE id = 1');
    await c.query('UPDATE app.accounts SET balance = balance + 5 WHERE id = 2');
    await c.query("INSERT INTO app.audit (note) VALUES ('transfer 1->2')");
    await c.query('COMMIT');
    await c.query('FLUSH BINARY LOGS');
    await c.query('ALTER TABLE app.accounts ADD COLUMN updated TIMESTAMP NULL');
    await c.query('CREATE TABLE app.big (id INT PRIMARY KEY, payload VARCHAR(255)) ENGINE=InnoDB');
    await c.query('BEGIN');
    for (let i = 0; i < 20; i++) {
      const values = Array.from({ length: 500 }, (_, j) => `(${i * 500 + j}, REPEAT('x', 200))`).join(',');
      await c.query(`INSERT INTO app.big VALUES ${values}`);
    }
    await c.query('COMMIT');
    gtidTarget = await checkpoint(server);

    const other = await server.connect();
    await c.query('BEGIN');
    await c.query("INSERT INTO app.audit (note) VALUES ('spans a rotation')");
    await other.query('FLUSH BINARY LOGS');
    await c.query('UPDATE app.accounts SET balance = 0 WHERE id = 3');
    await c.query('COMMIT');
    await other.end();

    // Commit X as the last commit of its second; nothing commits until the next second.
    await waitForNextSecond();
    await c.query("INSERT INTO app.audit (note) VALUES ('X')");
    const [{ now }] = (await c.query('SELECT UNIX_TIMESTAMP() AS now'))[0] as { now: string }[];
    timeTarget = { time: new Date(Number(now) * 1000).toISOString(), state: await checkpoint(server) };
    await waitForNextSecond();
    await c.query("INSERT INTO app.audit (note) VALUES ('Y, a second later')");

    beforeDrop = await checkpoint(server);
    await c.query('DROP TABLE app.accounts');
    dropGtid = await lastGtid(server);
    await c.query("INSERT INTO app.audit (note) VALUES ('after the drop')");
    await c.query('FLUSH BINARY LOGS');
    await c.end();
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code).toBe(0);
    await server.stop();
  }, 180_000);

  afterAll(async () => {
    for (const mount of mounts) await snaplog(['detach', '--mount', mount]).catch(() => undefined);
    await stopAllMariadb();
    await disk?.cleanup();
    expect(loopDevicesUnder(work)).toEqual([]);
    await rm(work, { recursive: true, force: true });
    await removeDirs(setup?.dir, server?.base);
  });

  /** Copies the snapshot image, attaches it like a restored disk, returns the data directory found on it. */
  async function attachSnapshotCopy(label: string): Promise<{ mount: string; datadir: string; attachJson: Record<string, unknown> }> {
    const image = join(work, `${label}.img`);
    await copyFile(snapshotCopy, image);
    const mount = join(work, `${label}-mnt`);
    mounts.push(mount);
    const result = await snaplog(['attach', '--image', image, '--mount', mount, '--json', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const attachJson = JSON.parse(result.stdout);
    expect(attachJson.datadirs).toHaveLength(1);
    return { mount, datadir: attachJson.datadirs[0].datadir, attachJson };
  }

  /** What restore gives crash recovery: the archived logs from the snapshot log's last checkpoint on. */
  async function earlierArchived(file: string, position: number): Promise<{ path: string; name: string }[]> {
    const systems = readdirSync(setup.archivePath).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const checkpoint = lastCheckpointLog((await readFile(join(logsDir, file))).subarray(0, position));
    const names: string[] = [];
    for (let n = Number(checkpoint!.split('.').pop()); n < Number(file.split('.').pop()); n++) names.push(file.replace(/\d+$/, String(n).padStart(6, '0')));
    return names.map((name) => ({ path: join(logsDir, name), name }));
  }

  async function expectSnapshotState(datadir: string, label: string): Promise<void> {
    const list = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout);
    const position = list.snapshots[0].position as { file: string; position: number };
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    await recoverSnapshotDatadir({
      datadir,
      runDir: join(work, `${label}-recovery`),
      snapshotLogPath: join(setup.archivePath, systems[0]!, 'logs', position.file),
      snapshotLogName: position.file,
      snapshotPosition: position.position,
      earlierLogs: await earlierArchived(position.file, position.position),
    });
    expect((await checksumsOf(datadir, join(work, `${label}-check`))).sums).toEqual(atSnapshot.sums);
  }

  async function detachCopy(mount: string): Promise<void> {
    expect((await snaplog(['detach', '--mount', mount])).code).toBe(0);
    mounts.splice(mounts.indexOf(mount), 1);
  }

  it('attach finds the data directory on the image and the snapshot record that matches it', async () => {
    const { mount, datadir, attachJson } = await attachSnapshotCopy('attach');
    expect(datadir).toBe(join(mount, 'mysql'));
    const list = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout);
    expect(list.snapshots).toHaveLength(1);
    expect((attachJson.snapshots as Record<string, string[]>)[datadir]).toEqual([list.snapshots[0].id]);
    // The state of the snapshot itself, after the crash recovery every restore starts with.
    const position = list.snapshots[0].position as { file: string; position: number };
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    await recoverSnapshotDatadir({
      datadir,
      runDir: join(work, 'attach-recovery'),
      snapshotLogPath: join(setup.archivePath, systems[0]!, 'logs', position.file),
      snapshotLogName: position.file,
      snapshotPosition: position.position,
      earlierLogs: await earlierArchived(position.file, position.position),
    });
    const restored = await checksumsOf(datadir, join(work, 'attach-run'));
    expect(restored.sums).toEqual(atSnapshot.sums);
    await detachCopy(mount);
  });

  it('(a) --to TIME: every transaction committed at or before it, none after (checksums equal)', async () => {
    const { mount, datadir } = await attachSnapshotCopy('time');
    const earlier = (await readEvents(setup.ipcFolder)).length;
    const result = await snaplog(['restore', '--to', timeTarget.time, '--datadir', datadir, '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const restored = await checksumsOf(datadir, join(work, 'time-run'));
    expect(restored.sums).toEqual(timeTarget.state.sums);
    expect(restored.gtid).toBe(timeTarget.state.gtid);
    // The conductor's restore-start and restore-done around the engine's own restore-logs-fetched and restore-summary.
    const events = (await readEvents(setup.ipcFolder)).slice(earlier).filter((event) => event.type.startsWith('restore-'));
    expect(events.map((event) => event.type)).toEqual(['restore-start', 'restore-logs-fetched', 'restore-done', 'restore-summary']);
    const common = { engine: 'mysql', systemId: expect.any(String), snapshotId: expect.any(String) };
    expect(events[0]).toMatchObject({
      ...common,
      method: 'relay',
      start: 'fresh',
      logs: expect.any(Number),
      bytes: expect.any(Number),
      stop: expect.any(Object),
    });
    expect(events[2]).toMatchObject({ ...common, level: 'info', stop: events[0]!['stop'], gtidSlavePos: expect.any(String), elapsedMs: expect.any(Number) });
    expect(events[3]).toMatchObject({
      ...common,
      snapshotId: events[0]!['snapshotId'],
      method: 'relay',
      bytes: events[0]!['bytes'],
      elapsedMs: expect.any(Number),
    });
    await detachCopy(mount);
  });

  it('(b) --to-gtid: up to and including that transaction', async () => {
    const { mount, datadir } = await attachSnapshotCopy('gtid');
    const result = await snaplog(['restore', '--to-gtid', gtidTarget.gtid, '--datadir', datadir, '--config', setup.configPath]);
    expect(result.code).toBe(0);
    const restored = await checksumsOf(datadir, join(work, 'gtid-run'));
    expect(restored.sums).toEqual(gtidTarget.sums);
    await detachCopy(mount);
  });

  it('(c) --before-gtid of the DROP: the table is back, through the SQL thread and through the pipe alike', async () => {
    const states: { sums: Record<string, string>; gtid: string }[] = [];
    for (const method of ['relay', 'pipe']) {
      const { mount, datadir } = await attachSnapshotCopy(`drop-${method}`);
      const result = await snaplog(['restore', '--before-gtid', dropGtid, '--method', method, '--datadir', datadir, '--config', setup.configPath]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const restored = await checksumsOf(datadir, join(work, `drop-${method}-run`));
      expect(restored.sums).toEqual(beforeDrop.sums);
      expect(restored.sums['app.accounts']).toBeDefined();
      states.push(restored);
      await detachCopy(mount);
    }
    expect(states[0]!.sums).toEqual(states[1]!.sums);
  });

  it('partial restore: --tables … --export yields a dump that reproduces the table; the restored disk is untouched', async () => {
    const { mount, datadir } = await attachSnapshotCopy('partial');
    const dump = join(work, 'accounts.sql');
    const result = await snaplog([
      'restore',
      '--before-gtid',
      dropGtid,
      '--tables',
      'app.accounts',
      '--export',
      dump,
      '--datadir',
      datadir,
      '--staging',
      join(work, 'partial-staging'),
      '--config',
      setup.configPath,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The restored disk itself was not replayed: it still holds the snapshot's state.
    await expectSnapshotState(datadir, 'partial');
    await detachCopy(mount);
    const empty = await startMariadb();
    try {
      const { execFileSync } = await import('node:child_process');
      execFileSync('mariadb', [`--socket=${empty.socket}`, '-uroot'], { input: await readFile(dump) });
      const sums = await tableChecksums(empty, ['app']);
      expect(sums).toEqual({ 'app.accounts': beforeDrop.sums['app.accounts'] });
    } finally {
      await empty.kill();
      await rm(empty.base, { recursive: true, force: true });
    }
  });

  it('refuses targets outside the restorable window, a missing log and a corrupted log, and applies nothing', async () => {
    const { mount, datadir } = await attachSnapshotCopy('negative');
    const run = (args: string[]) => snaplog(['restore', ...args, '--datadir', datadir, '--config', setup.configPath]);
    const before = new Date(Date.parse(freezeTime) - 3_600_000).toISOString();
    const early = await run(['--to', before]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/before the oldest usable snapshot/);
    const late = await run(['--to', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/after the last archived commit/);
    expect(late.stderr).toMatch(/HINT: .*window/);
    const unknownGtid = await run(['--to-gtid', '0-1-999999']);
    expect(unknownGtid.code).toBe(1);

    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const plan = JSON.parse((await snaplog(['plan', '--before-gtid', dropGtid, '--json', '--config', setup.configPath])).stdout);
    const middle = plan.logs[1].name as string;
    await rename(join(logsDir, `${middle}.json`), join(work, 'held.json'));
    await rename(join(logsDir, middle), join(work, 'held'));
    const missing = await run(['--before-gtid', dropGtid]);
    await rename(join(work, 'held.json'), join(logsDir, `${middle}.json`));
    await rename(join(work, 'held'), join(logsDir, middle));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/gap/);

    const original = await readFile(join(logsDir, middle));
    const corrupted = Buffer.from(original);
    corrupted[300]! ^= 0xff;
    await writeFile(join(logsDir, middle), corrupted);
    const earlier = (await readEvents(setup.ipcFolder)).length;
    const bad = await run(['--before-gtid', dropGtid, '--staging', join(work, 'bad-staging')]);
    await writeFile(join(logsDir, middle), original);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`${middle.replace('.', '\\.')} does not match its recorded checksum`));
    // Refused while fetching, before anything was applied: the conductor ends the restore-start with restore-failed.
    const events = (await readEvents(setup.ipcFolder)).slice(earlier).filter((event) => event.type.startsWith('restore-'));
    expect(events.map((event) => event.type)).toEqual(['restore-start', 'restore-failed']);
    expect(events[1]).toMatchObject({ engine: 'mysql', level: 'alert', message: expect.stringContaining('does not match its recorded checksum') });

    await expectSnapshotState(datadir, 'negative');
    await detachCopy(mount);
  });

  it('find locates the DROP TABLE and prints the GTID that --before-gtid takes', async () => {
    const result = await snaplog(['find', '--query', 'DROP TABLE', '--json', '--config', setup.configPath]);
    expect(result.code).toBe(0);
    const { matches } = JSON.parse(result.stdout);
    expect(matches).toHaveLength(1);
    expect(matches[0].gtid).toBe(dropGtid);
    expect(matches[0].text).toMatch(/DROP TABLE/i);
    const rows = JSON.parse((await snaplog(['find', '--query', '^app\\.big$', '--json', '--config', setup.configPath])).stdout);
    expect(rows.matches.length).toBeGreaterThan(0);
    expect(rows.matches[0].kind).toBe('rows');
  });

  it('drill replays every archived log onto a copy of the snapshot image and checks every table', async () => {
    const image = join(work, 'drill.img');
    await copyFile(snapshotCopy, image);
    const result = await snaplog(['drill', '--image', image, '--scratch', join(work, 'drill'), '--json', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.recoveryPoint.gtid).toBe(await lastArchivedGtid());
    expect(loopDevicesUnder(work)).toEqual([]);
  });

  async function lastArchivedGtid(): Promise<string> {
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const metadata = await Promise.all(
      (await readdir(logsDir)).filter((file) => file.endsWith('.json')).map(async (file) => JSON.parse(await readFile(join(logsDir, file), 'utf8'))),
    );
    return metadata.sort((a, b) => b.sequence - a.sequence).find((log) => log.lastTransaction)!.lastTransaction;
  }

  it('plan --json names snapshot, logs, stop and gaps as the contract says', async () => {
    const result = await snaplog(['plan', '--before-gtid', dropGtid, '--json', '--config', setup.configPath]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.snapshot.id).toBeDefined();
    expect(plan.logs.length).toBeGreaterThanOrEqual(3);
    expect(plan.target).toEqual({ kind: 'before-gtid', gtid: dropGtid });
    expect(plan.stop.firstExcluded.gtid).toBe(dropGtid);
    expect(plan.gaps).toEqual([]);
    const dry = await snaplog(['restore', '--before-gtid', dropGtid, '--datadir', '/nonexistent/datadir', '--dry-run', '--config', setup.configPath]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/START SLAVE SQL_THREAD UNTIL/);
  });
});
