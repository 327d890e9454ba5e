import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, makeTempDir, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage, loopDevicesUnder } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { tableChecksums } from '../support/workload.js';
import { snaplog } from '../support/cli.js';
import { startPrivateServer } from '../../src/engines/mysql/private-server.js';

/**
 * Parallel relay replay (MariaDB slave_parallel_threads) against the single SQL thread, on binlogs written by 8
 * concurrent connections with durable commits, so that group commit puts several transactions in one group (same
 * commit id): the parallel workers then apply them together. A stop inside such a group must be exact with workers
 * too: the same CHECKSUM TABLE as serial apply, the last included transaction's row present, the first excluded one's
 * absent, @@gtid_slave_pos the last included GTID. An order-dependent hash chain (app.chain) shows commits in order.
 */

const DATABASES = ['app'];
const LANES = 8;
const PER_LANE = 120;
/** Workers on, whatever snaplog picks for this host (one applier on 2 CPUs): the dialect's mode and queue apply. */
const WORKERS = '--server-arg=--slave-parallel-threads=4';

interface Transaction {
  gtid: string;
  lane: number;
  seq: number;
}

interface LoggedGtid {
  file: string;
  at: number;
  gtid: string;
  cid?: string;
}

/** GTID events of a binlog as the real mariadb-binlog prints them: offset, GTID, commit id of its group. */
function gtidEvents(path: string, file: string): LoggedGtid[] {
  const text = execFileSync('mariadb-binlog', ['--base64-output=never', path], { maxBuffer: 256 << 20 }).toString('utf8');
  const events: LoggedGtid[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    const offset = /^# at (\d+)$/.exec(line);
    if (offset) at = Number(offset[1]);
    const gtid = /\sGTID (\d+-\d+-\d+)(?: cid=(\d+))?/.exec(line);
    if (gtid) events.push({ file, at, gtid: gtid[1]!, ...(gtid[2] ? { cid: gtid[2] } : {}) });
  }
  return events;
}

async function restoredState(datadir: string, runDir: string, rows: Transaction[]): Promise<{ sums: Record<string, string>; pos: string; present: boolean[] }> {
  const server = await startPrivateServer({ runDir, datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=99'] });
  try {
    const mysql = (await import('mysql2/promise')).default;
    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root', supportBigNumbers: true, bigNumberStrings: true });
    try {
      const query = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => (await connection.query(sql, values))[0] as T[];
      const sums = await tableChecksums({ query } as never, DATABASES);
      const [{ pos }] = await query<{ pos: string }>('SELECT @@gtid_slave_pos AS pos');
      const present: boolean[] = [];
      for (const row of rows) present.push((await query('SELECT 1 FROM app.t WHERE lane = ? AND seq = ?', [row.lane, row.seq])).length === 1);
      return { sums, pos, present };
    } finally {
      await connection.end();
    }
  } finally {
    await server.stop();
  }
}

describe('parallel relay replay stops exactly inside a commit group and equals serial apply (real MariaDB)', () => {
  let disk: MountedImage;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let work: string;
  let snapshotId: string;
  const committed = new Map<string, Transaction>();
  let stream: LoggedGtid[] = [];
  let copies = 0;

  const restore = (args: string[]) => snaplog(['restore', ...args, '--config', setup.configPath], { timeoutMs: 400_000 });

  async function copyOfSnapshot(label: string): Promise<string> {
    const dir = join(work, `${label}-${++copies}`);
    execFileSync('cp', ['-a', join(work, 'snapshot'), dir]);
    return join(dir, 'mysql');
  }

  beforeAll(async () => {
    disk = await createMountedImage(512, 'parallel');
    work = await makeTempDir('parallel-work');
    await chmod(work, 0o711);
    // Durable commits, and a leader that waits for up to 4 commits: the concurrent connections' transactions share groups.
    server = await startMariadb({
      datadir: join(disk.mount, 'mysql'),
      binlogDir: join(disk.mount, 'binlog'),
      args: [
        '--innodb-flush-log-at-trx-commit=1',
        '--sync-binlog=1',
        '--binlog-commit-wait-count=4',
        '--binlog-commit-wait-usec=20000',
        '--max-binlog-size=65536',
      ],
    });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 120' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query(`CREATE DATABASE app`);
    await server.query(
      'CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, lane INT NOT NULL, seq INT NOT NULL, note VARCHAR(100), UNIQUE KEY (lane, seq)) ENGINE=InnoDB',
    );
    await server.query('CREATE TABLE app.lanes (lane INT PRIMARY KEY, total BIGINT NOT NULL) ENGINE=InnoDB');
    await server.query('CREATE TABLE app.chain (id INT PRIMARY KEY, v CHAR(40) NOT NULL) ENGINE=InnoDB');
    await server.query(`INSERT INTO app.lanes SELECT seq, 0 FROM app.seq_0_to_${LANES - 1}`);
    await server.query("INSERT INTO app.chain VALUES (1, SHA1('start'))");

    const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath]);
    expect(freeze.code).toBe(0);
    snapshotId = JSON.parse(freeze.stdout).snapshotId;
    await mkdir(join(work, 'snapshot'));
    execFileSync('fsfreeze', ['-f', disk.mount]);
    try {
      execFileSync('cp', ['-a', '--sparse=always', `${disk.mount}/.`, join(work, 'snapshot')]);
    } finally {
      execFileSync('fsfreeze', ['-u', disk.mount]);
    }
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    // 8 connections at once: mostly independent rows (parallel), every 6th transaction extends the shared hash chain.
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const c = await server.connect();
        try {
          for (let seq = 0; seq < PER_LANE; seq++) {
            await c.query('BEGIN');
            await c.query('INSERT INTO app.t (lane, seq, note) VALUES (?, ?, ?)', [lane, seq, `lane ${lane} seq ${seq} ${'x'.repeat(seq % 60)}`]);
            await c.query('UPDATE app.lanes SET total = total + ? WHERE lane = ?', [seq + 1, lane]);
            if (seq % 6 === 5) await c.query('UPDATE app.chain SET v = SHA1(CONCAT(v, ?)) WHERE id = 1', [`${lane}/${seq}`]);
            await c.query('COMMIT');
            const [[{ gtid }]] = (await c.query('SELECT @@last_gtid AS gtid')) as unknown as [{ gtid: string }[]];
            committed.set(gtid, { gtid, lane, seq });
          }
        } finally {
          await c.end();
        }
      }),
    );
    await server.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
    const binlogDir = join(disk.mount, 'binlog');
    const files = (await readdir(binlogDir)).filter((name) => /^mysql-bin\.\d{6}$/.test(name)).sort();
    stream = files.flatMap((file) => gtidEvents(join(binlogDir, file), file)).filter((event) => committed.has(event.gtid));
    expect(stream).toHaveLength(LANES * PER_LANE);
  }, 400_000);

  afterAll(async () => {
    await stopAllMariadb();
    await disk?.cleanup();
    if (work) expect(loopDevicesUnder(work)).toEqual([]);
    await rm(work, { recursive: true, force: true });
    await removeDirs(setup?.dir, server?.base);
  });

  it('a --to-position inside a group commit: parallel and serial apply give the same tables, and the stop is exact', async () => {
    // Group commit made groups of several transactions (same cid); the stop goes between two of one group, mid-stream.
    const sameGroup = (event: LoggedGtid, before: LoggedGtid | undefined): boolean =>
      event.cid !== undefined && before?.cid === event.cid && before.file === event.file;
    const inGroup = stream.map((event, i) => ({ event, i })).filter(({ event, i }) => i > 0 && sameGroup(event, stream[i - 1]));
    expect(inGroup.length).toBeGreaterThan(LANES);
    const { event: firstExcluded, i } = inGroup[Math.floor(inGroup.length / 2)]!;
    const lastIncluded = stream[i - 1]!;
    const target = `${firstExcluded.file}:${firstExcluded.at}`;
    const probe = [committed.get(lastIncluded.gtid)!, committed.get(firstExcluded.gtid)!];

    const parallelDir = await copyOfSnapshot('parallel');
    const parallel = await restore(['--to-position', target, '--snapshot', snapshotId, '--datadir', parallelDir, '--json', WORKERS]);
    expect(parallel.stderr).toBe('');
    expect(parallel.code).toBe(0);
    const report = JSON.parse(parallel.stdout) as { replay?: { transactions?: number; mbPerSecond: number; transactionsPerSecond?: number } };
    expect(report.replay?.transactions).toBe(i);
    expect(report.replay?.transactionsPerSecond).toBeGreaterThan(0);

    const serialDir = await copyOfSnapshot('serial');
    const serial = await restore(['--to-position', target, '--snapshot', snapshotId, '--datadir', serialDir, '--server-arg=--slave-parallel-threads=0']);
    expect(serial.stderr).toBe('');
    expect(serial.code).toBe(0);
    expect(serial.stdout).toMatch(/restored: .* \(apply [\d.]+ s: \d+ transactions, [\d.]+ MB\/s, \d+ transactions\/s\)/);

    const p = await restoredState(parallelDir, join(work, 'check-parallel'), probe);
    const s = await restoredState(serialDir, join(work, 'check-serial'), probe);
    expect(p.sums).toEqual(s.sums);
    expect(p.present).toEqual([true, false]);
    expect(s.present).toEqual([true, false]);
    expect(p.pos).toBe(lastIncluded.gtid);
    expect(s.pos).toBe(lastIncluded.gtid);
  });

  it('--latest with parallel workers restores every transaction, the same tables as the source', async () => {
    const datadir = await copyOfSnapshot('latest');
    const result = await restore(['--latest', '--snapshot', snapshotId, '--datadir', datadir, WORKERS]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const last = stream[stream.length - 1]!;
    const state = await restoredState(datadir, join(work, 'check-latest'), [committed.get(last.gtid)!]);
    expect(state.present).toEqual([true]);
    expect(state.pos).toBe(last.gtid);
    expect(state.sums).toEqual(await tableChecksums(server, DATABASES));
  });
});
