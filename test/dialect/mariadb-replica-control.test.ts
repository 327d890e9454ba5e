import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { initialiseDatadir, startPrivateServer } from '../../src/engines/mysql/private-server.js';
import type { PrivateServer } from '../../src/engines/mysql/private-server.js';
import { scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';
import { readReplicaStatus } from '../../src/engines/mysql/dialect.js';
import { serverDialect } from '../../src/engines/mysql/quiesce.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb } from '../support/mariadb.js';
import type { MariadbServer } from '../support/mariadb.js';

/**
 * The dialect's MariaDB replica control, run on a real MariaDB 10.11: the statements and server options
 * the relay-log replay takes from the dialect replay the source's binlogs exactly to the UNTIL position.
 */
describe('replica control of the dialect on a real MariaDB', () => {
  let source: MariadbServer;
  const binlogs: string[] = [];
  const dirs: string[] = [];
  const targets: PrivateServer[] = [];
  /** Where the transaction that inserts id 7 starts in the second binlog, and the GTID of the one before it. */
  let stopAt: { position: number; gtidBefore: string };

  beforeAll(async () => {
    source = await startMariadb();
    await source.query('CREATE DATABASE app');
    await source.query('CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB');
    for (const id of [1, 2, 3, 4, 5]) await source.query('INSERT INTO app.t VALUES (?)', [id]);
    await source.query('FLUSH BINARY LOGS');
    for (const id of [6, 7, 8]) await source.query('INSERT INTO app.t VALUES (?)', [id]);
    await source.query('FLUSH BINARY LOGS');
    binlogs.push(`${source.binlogBasename}.000001`, `${source.binlogBasename}.000002`);
    const second = await scanBinlogFile(binlogs[1]!, { keepTransactions: true });
    expect(second.transactions).toHaveLength(3);
    stopAt = { position: second.transactions[1]!.startPosition, gtidBefore: second.transactions[0]!.gtid! };
  });
  afterAll(async () => {
    for (const target of targets) await target.kill();
    await stopAllMariadb();
    await removeDirs(source?.base, ...dirs);
  });

  /** A new server on an empty data directory with the source's binlogs as its relay logs, started with the dialect's options. */
  async function replayTarget(): Promise<{ connection: mysql.Connection; server: PrivateServer }> {
    const base = await makeTempDir('dialect-target');
    dirs.push(base);
    const datadir = join(base, 'data');
    await initialiseDatadir(datadir);
    const names = binlogs.map((_, i) => `relay-bin.${String(i + 1).padStart(6, '0')}`);
    for (const [i, path] of binlogs.entries()) await copyFile(path, join(datadir, names[i]!));
    await writeFile(join(datadir, 'relay-bin.index'), names.map((name) => `./${name}\n`).join(''));
    const probe = await mysql.createConnection({ socketPath: source.socket, user: 'root' });
    const dialect = await serverDialect(probe).finally(() => probe.end());
    const server = await startPrivateServer({ runDir: join(base, 'run'), datadir, args: dialect.privateServerArgs({ serverId: 4000000001 }) });
    targets.push(server);
    return { connection: await mysql.createConnection({ socketPath: server.socket, user: 'root' }), server };
  }

  async function runUntilStopped(connection: mysql.Connection, untilEnd: boolean): Promise<ReturnType<typeof readReplicaStatus>> {
    const control = (await serverDialect(connection)).replica;
    for (let polls = 0; polls < 1200; polls++) {
      const [rows] = await connection.query(control.status);
      const status = readReplicaStatus((rows as Record<string, unknown>[])[0]!, control);
      const caughtUp = untilEnd && status.relayFile === 'relay-bin.000002' && control.caughtUp.test(status.state);
      if (status.errno !== 0 || !status.sqlRunning || caughtUp) return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the SQL thread neither stopped nor caught up within 60 s');
  }

  it('UNTIL the start of a transaction in the second relay log: exactly the ones before it applied', async () => {
    const { connection } = await replayTarget();
    try {
      const dialect = await serverDialect(connection);
      expect(dialect.flavor).toBe('mariadb');
      const control = dialect.replica;
      await connection.query(control.stop);
      await connection.query(control.reset);
      await connection.query(control.startAt('relay-bin.000001', 4));
      await connection.query(control.startUntil('relay-bin.000002', stopAt.position));
      const status = await runUntilStopped(connection, false);
      expect(status).toMatchObject({ errno: 0, sqlRunning: false, relayFile: 'relay-bin.000002' });
      const [rows] = await connection.query('SELECT id FROM app.t ORDER BY id');
      expect((rows as { id: number }[]).map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6]);
      const [[applied]] = (await connection.query(control.appliedGtids)) as unknown as [{ pos: string }[]];
      expect(applied!.pos).toBe(stopAt.gtidBefore);
      await connection.query(control.stop);
      await connection.query(control.reset);
    } finally {
      await connection.end();
    }
  });

  it('to the end of the logs: every transaction applied, the thread waits at the end of the last relay log', async () => {
    const { connection } = await replayTarget();
    try {
      const control = (await serverDialect(connection)).replica;
      await connection.query(control.startAt('relay-bin.000001', 4));
      await connection.query(control.startToEnd);
      const status = await runUntilStopped(connection, true);
      expect(status.errno).toBe(0);
      const [rows] = await connection.query('SELECT COUNT(*) AS n, SUM(id) AS total FROM app.t');
      expect(rows).toEqual([{ n: 8, total: '36' }]);
      await connection.query(control.stop);
      await connection.query(control.reset);
    } finally {
      await connection.end();
    }
  });
});
