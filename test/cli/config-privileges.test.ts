import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { grantStatement, privilegeNeeds, quoteAccount } from '../../src/engines/mysql/privileges.js';
import { dialectFromVersion } from '../../src/engines/mysql/dialect.js';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

describe('privileges snaplog needs (pure)', () => {
  it('MariaDB 10.11: RELOAD (FLUSH BINARY LOGS, BACKUP STAGE) and BINLOG MONITOR; MySQL: REPLICATION CLIENT', () => {
    const mariadb = privilegeNeeds(dialectFromVersion('10.11.19-MariaDB'), { shipSwitchesLogs: true, freezeMethod: 'backup-stage' });
    expect(mariadb.map((need) => need.grant)).toEqual(['RELOAD', 'BINLOG MONITOR']);
    expect(mariadb[0]!.neededBy.join(' ')).toMatch(/ship .*max_log_age.*freeze .*FLUSH BINARY LOGS.*BACKUP STAGE/);
    const mysql = privilegeNeeds(dialectFromVersion('8.4.3'), { shipSwitchesLogs: false, freezeMethod: 'ftwrl' });
    expect(mysql.map((need) => need.grant)).toEqual(['RELOAD', 'REPLICATION CLIENT']);
    expect(mysql[0]!.neededBy.join(' ')).not.toMatch(/ship/);
    expect(mysql[1]!.probe).toBe('SHOW BINARY LOG STATUS');
    expect(grantStatement(['RELOAD', 'BINLOG MONITOR'], quoteAccount("o'neil@10.0.%"))).toBe("GRANT RELOAD, BINLOG MONITOR ON *.* TO 'o''neil'@'10.0.%';");
  });
});

describe('config check --database with real users on a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;

  /** The test's config with another database user. */
  async function configAs(user: string): Promise<string> {
    const path = join(setup.dir, `${user}.conf`);
    await writeFile(path, (await readFile(setup.configPath, 'utf8')).replace(/^user = .*$/m, `user = ${user}`), { mode: 0o600 });
    return path;
  }

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { ship: 'max_log_age = 5m' });
    await server.query("CREATE USER 'nogrants'@'localhost'");
    await server.query("CREATE USER 'partial'@'localhost'");
    await server.query("GRANT RELOAD ON *.* TO 'partial'@'localhost'");
    await server.query("CREATE USER 'enough'@'localhost'");
    await server.query("GRANT RELOAD, BINLOG MONITOR ON *.* TO 'enough'@'localhost'");
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('a user with no grants: every missing privilege listed in one go, with the GRANT that fixes them, exit 1', async () => {
    const result = await snaplog(['config', 'check', '--database', '--config', await configAs('nogrants')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/connected as 'nogrants'@'localhost'/);
    expect(result.stdout).toMatch(/^ {2}MISSING RELOAD: ship \(FLUSH BINARY LOGS .*freeze \(BACKUP STAGE/m);
    expect(result.stdout).toMatch(/^ {2}MISSING BINLOG MONITOR: freeze \(SHOW MASTER STATUS/m);
    expect(result.stderr).toBe(
      "snaplog: 'nogrants'@'localhost' lacks 2 privileges snaplog needs: RELOAD, BINLOG MONITOR (listed above)\n" +
        "HINT: as a database administrator run: GRANT RELOAD, BINLOG MONITOR ON *.* TO 'nogrants'@'localhost'; — then snaplog config check --database again\n",
    );
  });

  it('partial grants: only what is missing; --json says the same', async () => {
    const configPath = await configAs('partial');
    const result = await snaplog(['config', 'check', '--database', '--config', configPath]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}ok {6}RELOAD/m);
    expect(result.stderr).toContain("GRANT BINLOG MONITOR ON *.* TO 'partial'@'localhost';");
    const json = await snaplog(['config', 'check', '--database', '--json', '--config', configPath]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.privileges.checks.map((check: { grant: string; ok: boolean }) => [check.grant, check.ok])).toEqual([
      ['RELOAD', true],
      ['BINLOG MONITOR', false],
    ]);
  });

  it('the freeze of a user without BINLOG MONITOR fails with the holder reason, the real holder.log path and where to find every missing grant', async () => {
    const result = await snaplog(['freeze', '--config', await configAs('partial')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^snaplog: the freeze holder could not take the lock: .*BINLOG MONITOR/);
    expect(result.stderr).toContain(`snaplog config check --database' lists every missing one`);
    expect(result.stderr).toContain(join(setup.ipcFolder, 'holder.log'));
    expect(result.stderr).not.toContain('<ipc_folder>');
    expect(await readFile(join(setup.ipcFolder, 'holder.log'), 'utf8')).toMatch(/could not take the lock: .*BINLOG MONITOR/);
  });

  it('the grants the check asks for are enough: config check passes, ship, freeze and thaw work as that user', async () => {
    const configPath = await configAs('enough');
    const check = await snaplog(['config', 'check', '--database', '--config', configPath]);
    expect(check.code).toBe(0);
    expect(check.stdout).not.toMatch(/MISSING/);
    expect((await snaplog(['ship', '--once', '--config', configPath])).code).toBe(0);
    const freeze = await snaplog(['freeze', '--config', configPath]);
    expect(freeze.stderr).toBe('');
    expect(freeze.code).toBe(0);
    const thaw = await snaplog(['thaw', '--config', configPath]);
    expect(thaw.code, thaw.stderr + thaw.stdout).toBe(0);
  });
});
