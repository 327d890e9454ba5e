import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, makeTempDir, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage, loopDevicesUnder, snapshotImage, datadirOfSnapshotImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { datadirState, tableChecksums } from '../support/workload.js';
import { snaplog } from '../support/cli.js';
import { localIso } from '../../src/engines/time-text.js';

/**
 * Two GTID domains interleaved in the same binlogs (a second session writes with gtid_domain_id=7), as in
 * issue 12: a log's first and last transactions are of domain 7 while domain 0 commits in between. Every
 * GTID target — one transaction of either domain, before one, a two-domain position — restores exactly the
 * state recorded right after the commit it names.
 */

const DATABASES = ['app'];

interface State {
  gtid: string;
  pos: string;
  sums: Record<string, string>;
}

const sortedPosition = (pos: string) =>
  pos
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .sort()
    .join(',');

/** Checksums of the tables in a restored data directory and its @@gtid_slave_pos, read through a private server. */
async function checksumsOf(datadir: string, runDir: string): Promise<{ sums: Record<string, string>; pos: string }> {
  const { sums, gtid } = await datadirState(datadir, runDir, DATABASES);
  return { sums, pos: gtid };
}

describe('GTID targets with two domains interleaved: real MariaDB, restored exactly', () => {
  let disk: MountedImage;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let work: string;
  let snapshotDatadir: string;
  const states = new Map<string, State>();
  const logOrder: string[][] = [];
  let copies = 0;
  let endOfFirstLog: string;
  let atSnapshot: State;

  beforeAll(async () => {
    disk = await createMountedImage(256, 'multidomain');
    work = await makeTempDir('multidomain-work');
    server = await startMariadb({ datadir: join(disk.mount, 'mysql'), binlogDir: join(disk.mount, 'binlog'), args: ['--innodb-flush-log-at-trx-commit=1'] });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 60' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);

    const d0 = await server.connect();
    const d7 = await server.connect();
    await d7.query('SET SESSION gtid_domain_id = 7');
    await d0.query('CREATE DATABASE app');
    await d0.query('CREATE TABLE app.zero (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await d0.query('CREATE TABLE app.seven (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await d0.query('FLUSH BINARY LOGS');

    // The snapshot: freeze, copy the image between fsfreeze -f/-u, thaw.
    const freeze = await snaplog(['freeze', '--config', setup.configPath]);
    expect(freeze.stderr).toBe('');
    expect(freeze.code).toBe(0);
    const snapshotCopy = join(work, 'snapshot.img');
    snapshotImage(disk, snapshotCopy);
    atSnapshot = { gtid: '', pos: '', sums: await tableChecksums(server, DATABASES) };
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    let log: string[] = [];
    const commit = async (session: Connection, sql: string): Promise<void> => {
      await session.query(sql);
      const [[{ gtid }]] = (await session.query('SELECT @@last_gtid AS gtid')) as unknown as [{ gtid: string }[]];
      const [{ pos }] = await server.query<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
      states.set(gtid, { gtid, pos, sums: await tableChecksums(server, DATABASES) });
      log.push(gtid);
    };
    const rotate = async (): Promise<void> => {
      await d0.query('FLUSH BINARY LOGS');
      logOrder.push(log);
      log = [];
    };
    // The repro: one insert in domain 7, three in domain 0, one more in domain 7.
    await commit(d7, 'INSERT INTO app.seven VALUES (1, 1)');
    for (let i = 1; i <= 3; i++) await commit(d0, `INSERT INTO app.zero VALUES (${i}, ${i})`);
    await commit(d7, 'INSERT INTO app.seven VALUES (2, 2)');
    const [{ now }] = await server.query<{ now: string }>('SELECT UNIX_TIMESTAMP() AS now');
    endOfFirstLog = new Date(Number(now) * 1000).toISOString();
    await rotate();
    // Nothing of the second log commits in the second of the first log's last commit (for a --to TIME target).
    await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
    // A second log, the domains interleaved, multi-statement transactions in both.
    await commit(d0, 'UPDATE app.zero SET v = v + 10 WHERE id = 1');
    await commit(d7, 'INSERT INTO app.seven VALUES (3, 3)');
    await d7.query('BEGIN');
    await d7.query('UPDATE app.seven SET v = v * 2');
    await commit(d7, 'COMMIT');
    await commit(d0, 'DELETE FROM app.zero WHERE id = 2');
    await d0.query('BEGIN');
    await d0.query('INSERT INTO app.zero VALUES (4, 4)');
    await commit(d0, 'COMMIT');
    await commit(d7, 'UPDATE app.seven SET v = 0 WHERE id = 1');
    await commit(d0, 'INSERT INTO app.zero VALUES (5, 5)');
    await rotate();
    await d0.end();
    await d7.end();
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code).toBe(0);
    await server.stop();

    // One attach of the snapshot image; each restore gets its own plain copy of the data directory.
    snapshotDatadir = await datadirOfSnapshotImage(snapshotCopy, work, setup.configPath);
  }, 240_000);

  afterAll(async () => {
    await stopAllMariadb();
    await disk?.cleanup();
    if (work) expect(loopDevicesUnder(work)).toEqual([]);
    await rm(work, { recursive: true, force: true });
    await removeDirs(setup?.dir, server?.base);
  });

  it('the binlogs hold the domains interleaved; their metadata records each domain’s range', async () => {
    expect(logOrder).toEqual([
      ['7-1-1', '0-1-4', '0-1-5', '0-1-6', '7-1-2'],
      ['0-1-7', '7-1-3', '7-1-4', '0-1-8', '0-1-9', '7-1-5', '0-1-10'],
    ]);
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const files = (await readdir(logsDir)).filter((file) => file.endsWith('.json'));
    const metadata = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(logsDir, file), 'utf8'))));
    const withSeven = metadata.filter((meta) => meta.gtidRanges?.['7']).sort((a, b) => a.sequence - b.sequence);
    expect(withSeven.map((meta) => [meta.firstTransaction, meta.lastTransaction, meta.gtidRanges])).toEqual([
      ['7-1-1', '7-1-2', { '7': { first: 1, last: 2, count: 2, server: 1 }, '0': { first: 4, last: 6, count: 3, server: 1 } }],
      ['0-1-7', '0-1-10', { '0': { first: 7, last: 10, count: 4, server: 1 }, '7': { first: 3, last: 5, count: 3, server: 1 } }],
    ]);
  });

  it('the issue’s repro: plan --to-gtid 0-1-6, --before-gtid 0-1-6 and --to-gtid 0-1-4 find the log whose ends are domain 7', async () => {
    for (const [flag, gtid, last] of [
      ['--to-gtid', '0-1-6', '0-1-6'],
      ['--before-gtid', '0-1-6', '0-1-5'],
      ['--to-gtid', '0-1-4', '0-1-4'],
    ] as const) {
      const result = await snaplog(['plan', flag, gtid, '--json', '--config', setup.configPath]);
      expect(result.stderr, `${flag} ${gtid}`).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).stop.lastApplied.gtid).toBe(last);
    }
  });

  async function restoreTo(args: string[], expected: State, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const datadir = join(work, `copy-${++copies}`);
    execFileSync('cp', ['-a', snapshotDatadir, datadir]);
    const result = await snaplog(['restore', ...args, '--datadir', datadir, '--config', setup.configPath], { timeoutMs: 180_000, env });
    expect(result.stderr, args.join(' ')).toBe('');
    expect(result.code).toBe(0);
    const restored = await checksumsOf(datadir, join(work, `copy-${copies}-check`));
    expect(restored.sums, args.join(' ')).toEqual(expected.sums);
    if (expected.pos) expect(sortedPosition(restored.pos), args.join(' ')).toBe(sortedPosition(expected.pos));
    await rm(datadir, { recursive: true, force: true });
  }

  it('--to-gtid of a domain-0 GTID in the middle of a log that starts and ends with domain 7', async () => {
    await restoreTo(['--to-gtid', '0-1-5'], states.get('0-1-5')!);
  }, 240_000);

  it('--to-gtid of a domain-7 GTID in the middle of a log that starts and ends with domain 0', async () => {
    await restoreTo(['--to-gtid', '7-1-4'], states.get('7-1-4')!);
  }, 240_000);

  it('--before-gtid of a domain-0 and of a domain-7 GTID, each neither first nor last in its log', async () => {
    await restoreTo(['--before-gtid', '0-1-9'], states.get('0-1-8')!);
    await restoreTo(['--before-gtid', '7-1-4'], states.get('7-1-3')!);
  }, 480_000);

  it('--to-gtid with a two-domain position list: exactly that position', async () => {
    const target = states.get('0-1-9')!;
    expect(sortedPosition(target.pos)).toBe('0-1-9,7-1-4');
    await restoreTo(['--to-gtid', '7-1-4,0-1-9'], target);
  }, 240_000);

  it('--before-gtid of the first transaction after the snapshot: nothing to replay, the snapshot state', async () => {
    await restoreTo(['--before-gtid', '7-1-1'], atSnapshot);
  }, 240_000);

  it('a position list that is not a point of the log order is refused, naming the nearest exact positions', async () => {
    // 7-1-4 is written before 0-1-8: "0-1-8 with domain 7 at 3" never existed on the server.
    const result = await snaplog(['plan', '--to-gtid', '0-1-8,7-1-3', '--config', setup.configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/GTID position 0-1-8,7-1-3 is not a point in the log order: 7-1-4 .* is not in it/);
    expect(result.stderr).toMatch(/HINT: .*--to-gtid 0-1-7,7-1-3 \(stops before 7-1-4\).*--to-gtid 0-1-8,7-1-4 \(stops after 0-1-8/);
    expect(result.stderr).not.toMatch(/\n\s+at .*\.js|\{"/);
  });

  it('list shows what follows the snapshot (last transaction), and plan --json carries the same window', async () => {
    const list = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout);
    expect(list.snapshots[0].restorable).toMatchObject({ lastTransaction: '0-1-10', transactionsAfterSnapshot: true, lastPosition: '0-1-10,7-1-5' });
    const text = (await snaplog(['list', '--config', setup.configPath])).stdout;
    expect(text).toMatch(
      /restorable .* \.\. .*\((last 0-1-10|transactions after the snapshot, none stamped after its second; the last, 0-1-10, is stamped .*)\)/,
    );
    expect(text).toContain(`GTID 0-1-3 .. 0-1-10,7-1-5`);
    const plan = JSON.parse((await snaplog(['plan', '--latest', '--json', '--config', setup.configPath])).stdout);
    expect(plan.restorable).toEqual(list.snapshots[0].restorable);
  });

  it('logs archived before per-domain ranges were recorded: the planner reads them and finds the same stops', async () => {
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const files = (await readdir(logsDir)).filter((file) => file.endsWith('.json'));
    const originals = new Map<string, string>();
    for (const file of files) {
      const text = await readFile(join(logsDir, file), 'utf8');
      originals.set(file, text);
      const { gtidRanges: _dropped, ...old } = JSON.parse(text);
      await writeFile(join(logsDir, file), JSON.stringify(old));
    }
    try {
      for (const [args, last] of [
        [['--to-gtid', '0-1-6'], '0-1-6'],
        [['--before-gtid', '7-1-4'], '7-1-3'],
        [['--to-gtid', '0-1-9,7-1-4'], '0-1-9'],
      ] as const) {
        const result = await snaplog(['plan', ...args, '--json', '--config', setup.configPath]);
        expect(result.stderr, args.join(' ')).toBe('');
        expect(JSON.parse(result.stdout).stop.lastApplied.gtid, args.join(' ')).toBe(last);
      }
    } finally {
      for (const [file, text] of originals) await writeFile(join(logsDir, file), text);
    }
  });

  it('--to TIME as local wall-clock time under TZ=America/New_York: the same stop as in UTC, and an exact restore', async () => {
    const local = localIso(Date.parse(endOfFirstLog), 'America/New_York');
    const env = { TZ: 'America/New_York' };
    const plans = [];
    for (const [time, zone] of [
      [endOfFirstLog, {}],
      [local, env],
      [local.replace(/[+-]\d\d:\d\d$/, ''), env],
    ] as const) {
      const result = await snaplog(['plan', '--to', time, '--json', '--config', setup.configPath], { env: zone });
      expect(result.stderr, time).toBe('');
      plans.push(JSON.parse(result.stdout));
    }
    // The stop is at the start of the second log: the last applied transaction is the first log's last.
    expect(plans[0].stop).toMatchObject({ lastApplied: { gtid: '7-1-2' }, firstExcluded: { gtid: '0-1-7' } });
    expect(plans[0].stop.lastApplied.file).toBeDefined();
    for (const other of plans.slice(1)) {
      expect(other.target.time).toBe(plans[0].target.time);
      expect(other.stop).toEqual(plans[0].stop);
    }
    expect(plans[2].target.local).toBe(local);
    const text = (await snaplog(['plan', '--to', local, '--config', setup.configPath], { env })).stdout;
    expect(text).toContain(`local ${local} America/New_York`);
    expect(text).toMatch(/\n {9}local .* \.\. .* America\/New_York/);
    await restoreTo(['--to', local.replace(/[+-]\d\d:\d\d$/, '')], states.get('7-1-2')!, env);
  }, 240_000);
});
