import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';

/**
 * XA on a real MariaDB 10.11: `XA PREPARE` in one binlog, its `XA COMMIT` in the next. The reader marks
 * both steps with the XID, shipping records them, and `snaplog plan` for a stop between them names the
 * transaction the restored server will hold prepared — and for a stop after the commit names none.
 */

const XID = "X'6f726465722d3432',X'',1"; // 'order-42'

const haveServer = existsSync('/usr/sbin/mariadbd') || existsSync('/usr/bin/mariadbd');

describe.skipIf(!haveServer)('XA PREPARE / XA COMMIT across binlogs on a real MariaDB (skipped without mariadbd)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let prepareGtid: string;
  let commitGtid: string;
  let afterGtid: string;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 60' });
    const init = await snaplog(['archive', 'init', '--force', '--config', setup.configPath]);
    expect(init.code, init.stderr).toBe(0);
    await server.query('CREATE DATABASE shop');
    await server.query('CREATE TABLE shop.orders (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB');
    const freeze = await snaplog(['freeze', '--config', setup.configPath]);
    expect(freeze.stderr).toBe('');
    expect(freeze.code).toBe(0);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    // One connection per step: a session whose XA transaction is prepared can run nothing else; closing it leaves the transaction prepared.
    const position = async (): Promise<string> => (await server.query<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos'))[0]!.pos;
    await server.query('INSERT INTO shop.orders VALUES (1, 1)');
    await server.query("XA START 'order-42'; INSERT INTO shop.orders VALUES (42, 42); XA END 'order-42'; XA PREPARE 'order-42'");
    prepareGtid = await position();
    await server.query('FLUSH BINARY LOGS');
    await server.query('INSERT INTO shop.orders VALUES (2, 2)');
    await server.query("XA COMMIT 'order-42'");
    commitGtid = await position();
    await server.query('INSERT INTO shop.orders VALUES (3, 3)');
    afterGtid = await position();
    await server.query('FLUSH BINARY LOGS');
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code, ship.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(setup?.dir, server?.base);
  });

  it('the reader marks the XA PREPARE and the XA COMMIT of the real binlogs with the same XID', async () => {
    const files = ['mysql-bin.000002', 'mysql-bin.000003'].map((name) => join(server.binlogDir, name));
    const [first, second] = await Promise.all(files.map((file) => scanBinlogFile(file)));
    expect(first!.problems).toEqual([]);
    expect(first!.xa).toEqual([expect.objectContaining({ phase: 'prepare', xid: XID, gtid: prepareGtid })]);
    expect(second!.xa).toEqual([expect.objectContaining({ phase: 'commit', xid: XID, gtid: commitGtid })]);
    expect(first!.transactions.find((t) => t.gtid === prepareGtid)?.xa).toEqual({ phase: 'prepare', xid: XID });
  });

  it('plan --before-gtid <the XA COMMIT> says the XA transaction stays prepared and names its XID', async () => {
    const json = await snaplog(['plan', '--before-gtid', commitGtid, '--json', '--config', setup.configPath]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan.stop.firstExcluded.gtid).toBe(commitGtid);
    expect(plan.preparedXa).toEqual([{ xid: XID, gtid: prepareGtid, file: 'mysql-bin.000002', position: expect.any(Number) }]);
    const text = await snaplog(['plan', '--before-gtid', commitGtid, '--config', setup.configPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`warning  XA transaction ${XID} (GTID ${prepareGtid}), prepared at mysql-bin.000002:`);
    expect(text.stdout).toContain('XA COMMIT or XA ROLLBACK');
    // restore prints the same plan before it replays anything (here --dry-run, which stops there).
    const restoreArgs = ['restore', '--before-gtid', commitGtid, '--datadir', join(setup.dir, 'restored'), '--dry-run', '--config', setup.configPath];
    const dry = await snaplog(restoreArgs);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`warning  XA transaction ${XID}`);
    const dryJson = await snaplog([...restoreArgs, '--json']);
    expect(JSON.parse(dryJson.stdout).plan.preparedXa.map((xa: { xid: string }) => xa.xid)).toEqual([XID]);
  });

  it('a stop after the XA COMMIT (or before the PREPARE) leaves nothing prepared', async () => {
    for (const args of [['--to-gtid', afterGtid], ['--to-gtid', commitGtid], ['--before-gtid', prepareGtid], ['--latest']]) {
      const result = await snaplog(['plan', ...args, '--json', '--config', setup.configPath]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout).preparedXa, args.join(' ')).toEqual([]);
    }
  });
});
