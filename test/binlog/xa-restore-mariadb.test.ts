import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage, loopDevicesUnder, snapshotImage, datadirOfSnapshotImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { snaplog } from '../support/cli.js';
import { startPrivateServer } from '../../src/engines/mysql/private-server.js';

/**
 * A restore that stops between an XA PREPARE and its XA COMMIT (in the next binlog), on a real MariaDB 10.11:
 * restore says which XA transaction it leaves prepared, and the restored server holds exactly that one
 * (XA RECOVER) with the rows of everything before the stop; a restore past the commit leaves none.
 */

const haveServer = existsSync('/usr/sbin/mariadbd') || existsSync('/usr/bin/mariadbd');

async function restoredState(datadir: string, runDir: string): Promise<{ rows: string; prepared: string[] }> {
  const server = await startPrivateServer({ runDir, datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=99'] });
  try {
    const mysql = (await import('mysql2/promise')).default;
    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root' });
    try {
      const [rows] = (await connection.query('SELECT GROUP_CONCAT(id ORDER BY id) AS ids FROM shop.orders')) as unknown as [{ ids: string | null }[]];
      const [recovered] = (await connection.query('XA RECOVER')) as unknown as [{ data: Buffer | string }[]];
      // The prepared transaction must not stay behind in the test's copy.
      for (const xa of recovered) await connection.query(`XA ROLLBACK '${String(xa.data)}'`);
      return { rows: rows[0]!.ids ?? '', prepared: recovered.map((xa) => String(xa.data)) };
    } finally {
      await connection.end();
    }
  } finally {
    await server.stop();
  }
}

describe.skipIf(!haveServer)('restore between XA PREPARE and XA COMMIT on a real MariaDB (skipped without mariadbd)', () => {
  let disk: MountedImage;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let work: string;
  let snapshotDatadir: string;
  let commitGtid: string;
  let afterGtid: string;
  let copies = 0;

  beforeAll(async () => {
    disk = await createMountedImage(256, 'xa');
    work = await makeTempDir('xa-work');
    server = await startMariadb({ datadir: join(disk.mount, 'mysql'), binlogDir: join(disk.mount, 'binlog'), args: ['--innodb-flush-log-at-trx-commit=1'] });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 60' });
    const init = await snaplog(['archive', 'init', '--force', '--config', setup.configPath]);
    expect(init.code, init.stderr).toBe(0);
    await server.query('CREATE DATABASE shop');
    await server.query('CREATE TABLE shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB');

    const freeze = await snaplog(['freeze', '--config', setup.configPath]);
    expect(freeze.code, freeze.stderr).toBe(0);
    const snapshotCopy = join(work, 'snapshot.img');
    snapshotImage(disk, snapshotCopy);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    const position = async (): Promise<string> => (await server.query<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos'))[0]!.pos;
    await server.query('INSERT INTO shop.orders VALUES (1)');
    await server.query("XA START 'order-42'; INSERT INTO shop.orders VALUES (42); XA END 'order-42'; XA PREPARE 'order-42'");
    await server.query('FLUSH BINARY LOGS');
    await server.query('INSERT INTO shop.orders VALUES (2)');
    await server.query("XA COMMIT 'order-42'");
    commitGtid = await position();
    await server.query('INSERT INTO shop.orders VALUES (3)');
    afterGtid = await position();
    await server.query('FLUSH BINARY LOGS');
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code, ship.stderr).toBe(0);
    await server.stop();

    snapshotDatadir = await datadirOfSnapshotImage(snapshotCopy, work, setup.configPath);
  }, 240_000);

  afterAll(async () => {
    await stopAllMariadb();
    await disk?.cleanup();
    if (work) expect(loopDevicesUnder(work)).toEqual([]);
    if (work) await rm(work, { recursive: true, force: true });
    await removeDirs(setup?.dir, server?.base);
  });

  async function restore(args: string[]): Promise<{ stdout: string; rows: string; prepared: string[] }> {
    const datadir = join(work, `copy-${++copies}`);
    execFileSync('cp', ['-a', snapshotDatadir, datadir]);
    const result = await snaplog(['restore', ...args, '--datadir', datadir, '--config', setup.configPath], { timeoutMs: 180_000 });
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    const state = await restoredState(datadir, join(work, `copy-${copies}-check`));
    await rm(datadir, { recursive: true, force: true });
    return { stdout: result.stdout, ...state };
  }

  it('--before-gtid <the XA COMMIT>: restore names the XID it leaves prepared, and the restored server holds exactly it', async () => {
    const result = await restore(['--before-gtid', commitGtid]);
    expect(result.stdout).toContain("warning  XA transaction X'6f726465722d3432',X'',1");
    expect(result.rows).toBe('1,2');
    expect(result.prepared).toEqual(['order-42']);
  }, 240_000);

  it('--to-gtid after the XA COMMIT: the XA rows are committed and nothing is left prepared', async () => {
    const result = await restore(['--to-gtid', afterGtid]);
    expect(result.stdout).not.toContain('warning  XA transaction');
    expect(result.rows).toBe('1,2,3,42');
    expect(result.prepared).toEqual([]);
  }, 240_000);
});
