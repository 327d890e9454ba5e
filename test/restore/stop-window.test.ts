import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Archive } from '../../src/archive/archive.js';
import { pushLog } from '../../src/archive/push.js';
import { binlogObserver, CheckpointRecorder } from '../../src/engines/mysql/log-facts.js';
import { scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';
import { loadPlan } from '../../src/engines/mysql/restore/load-plan.js';
import { locateStop, planChain } from '../../src/engines/mysql/restore/plan.js';
import { stopWindow } from '../../src/engines/mysql/restore/stop-window.js';
import type { RestoreTarget } from '../../src/engines/restore-target.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb } from '../support/mariadb.js';
import type { MariadbServer } from '../support/mariadb.js';

describe('stopWindow (pure)', () => {
  const meta = {
    size: 1000,
    compression: 'none' as const,
    checkpoints: [
      { position: 100, maxCommitTimeBefore: 0 },
      { position: 300, maxCommitTimeBefore: 50 },
      { position: 500, maxCommitTimeBefore: 70 },
      { position: 800, maxCommitTimeBefore: 90 },
    ],
  };
  it('a time target reads from one checkpoint before the last one whose earlier commits are all at or before it', () => {
    expect(stopWindow(meta, { kind: 'time', time: 75, text: '' })).toEqual({ headEnd: 100, start: 300, end: 1000 });
    expect(stopWindow(meta, { kind: 'time', time: 10, text: '' })).toEqual({ headEnd: 100, start: 100, end: 500 });
    expect(stopWindow(meta, { kind: 'time', time: 95, text: '' })).toEqual({ headEnd: 100, start: 500, end: 1000 });
  });
  it('a position target reads the stretch around it; GTID targets, compressed logs and logs without an index are read whole', () => {
    expect(stopWindow(meta, { kind: 'position', file: 'x', position: 600 })).toEqual({ headEnd: 100, start: 300, end: 1000 });
    expect(stopWindow(meta, { kind: 'gtid', gtid: '0-1-5' })).toBeUndefined();
    expect(stopWindow({ ...meta, compression: 'zstd' }, { kind: 'time', time: 75, text: '' })).toBeUndefined();
    expect(stopWindow({ size: 1000, compression: 'none' }, { kind: 'time', time: 75, text: '' })).toBeUndefined();
  });
  it('CheckpointRecorder: the first transaction, then one every N bytes, with the latest commit before it', () => {
    const recorder = new CheckpointRecorder(100);
    for (const [startPosition, commitTime] of [
      [4, 10],
      [50, 30],
      [120, 20],
      [180, 40],
      [260, 35],
    ] as const)
      recorder.add({ startPosition, commitTime });
    expect(recorder.checkpoints).toEqual([
      { position: 4, maxCommitTimeBefore: 0 },
      { position: 120, maxCommitTimeBefore: 30 },
      { position: 260, maxCommitTimeBefore: 40 },
    ]);
  });
});

describe('the plan reads only a stretch of the boundary log and stops exactly where a full scan does (real MariaDB binlog, out-of-order commit times)', () => {
  let server: MariadbServer;
  let dir: string;
  let archive: Archive;
  let binlog: string;
  let times: number[];

  beforeAll(async () => {
    server = await startMariadb();
    dir = await makeTempDir('stopwindow');
    const connection = await server.connect();
    await connection.query('CREATE DATABASE w');
    await connection.query('CREATE TABLE w.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200))');
    const base = 1_800_000_000;
    times = [];
    for (let i = 0; i < 600; i++) {
      // Commit times mostly rise, with some stepping back (as clocks and long transactions do).
      const time = base + Math.floor(i / 3) - (i % 17 === 0 ? 5 : 0);
      times.push(time);
      await connection.query(`SET TIMESTAMP = ${time}`);
      await connection.query('INSERT INTO w.t (v) VALUES (REPEAT(?, 40))', [`r${i}`]);
    }
    await connection.end();
    const [status] = (await server.query('SHOW MASTER STATUS')) as { File: string }[];
    binlog = join(server.binlogDir, status!.File);
    await server.query('FLUSH BINARY LOGS');
    ({ archive } = await Archive.init(join(dir, 'archive')));
    const pushed = await pushLog(archive, {
      systemId: 'db',
      engine: 'mysql',
      name: status!.File,
      sequence: 1,
      sourcePath: binlog,
      compression: 'none',
      observer: binlogObserver(8192),
    });
    expect(pushed.metadata.checkpoints!.length).toBeGreaterThan(10);
    await archive.writeSnapshot('db', {
      formatVersion: 1,
      id: 'snap',
      systemId: 'db',
      engine: 'mysql',
      time: new Date((base - 100) * 1000).toISOString(),
      status: 'thawed',
      position: { file: status!.File, position: 4 },
      host: 'h',
    });
  }, 120_000);
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, dir);
  });

  it('for every commit time (and a second before and after each), and for positions, the stop equals the full scan', async () => {
    const logs = (await archive.listLogs('db')).map((log) => log.metadata!);
    const full = (await scanBinlogFile(binlog)).transactions;
    const snapshots = await archive.listSnapshots('db');
    const expected = (target: RestoreTarget) => locateStop(planChain({ snapshots, logs, target }), full, logs[0]).stop;
    const targets: RestoreTarget[] = [...new Set(times)]
      .flatMap((time) => [time - 1, time, time + 1])
      .filter((time) => time < Math.max(...times))
      .map((time) => ({ kind: 'time' as const, time, text: String(time) }));
    for (const transaction of full.filter((_, index) => index % 37 === 5))
      targets.push({ kind: 'position', file: logs[0]!.name, position: transaction.endPosition });
    let checked = 0;
    let windowed = 0;
    for (const target of targets) {
      const plan = await loadPlan(archive, 'db', target);
      expect(plan.stop, JSON.stringify(target)).toEqual(expected(target));
      if (plan.boundaryBytesScanned! < logs[0]!.size / 2) windowed++;
      checked++;
    }
    expect(checked).toBeGreaterThan(400);
    // Most stops were found reading less than half the log (the rest sit near its end, or fell back).
    expect(windowed / checked).toBeGreaterThan(0.5);
  }, 120_000);
});
