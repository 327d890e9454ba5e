import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { dialectFromVersion, readReplicaStatus } from '../../src/engines/mysql/dialect.js';
import { snaplog } from '../support/cli.js';
import { ScriptedMysqlModel } from './mysql-model.js';

async function withModel<T>(version: string, work: (model: ScriptedMysqlModel) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'snaplog-mysql-model-'));
  const model = new ScriptedMysqlModel(version, dir);
  await model.start();
  try {
    return await work(model);
  } finally {
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The conversation relay-log replay has with its private server, on the dialect the model's version speaks. */
async function replayConversation(model: ScriptedMysqlModel, control = dialectFromVersion(model.versionString).replica): Promise<Record<string, unknown>> {
  const connection = await mysql.createConnection({ socketPath: model.socket, user: 'root' });
  try {
    await connection.query(control.stop);
    await connection.query(control.reset);
    await connection.query(control.startAt('relay-bin.000001', 1234));
    await connection.query(control.startUntil('relay-bin.000002', 5678));
    const [rows] = await connection.query(control.status);
    await connection.query(control.stop);
    await connection.query(control.reset);
    return (rows as Record<string, unknown>[])[0]!;
  } finally {
    await connection.end();
  }
}

describe('replica control against the scripted MySQL model (fake server per version)', () => {
  for (const version of ['5.7.44-log', '8.0.21', '8.0.22', '8.0.23', '8.0.40', '8.4.3', '9.1.0']) {
    it(`MySQL ${version}: every statement of the dialect is accepted and the status row reads back the UNTIL position`, async () => {
      await withModel(version, async (model) => {
        const control = dialectFromVersion(version).replica;
        const row = await replayConversation(model, control);
        expect(model.statements.filter((s) => s.error)).toEqual([]);
        expect(readReplicaStatus(row, control)).toMatchObject({ sqlRunning: false, relayFile: 'relay-bin.000002', relayPos: 5678, errno: 0 });
        expect(control.caughtUp.test(readReplicaStatus(row, control).state)).toBe(true);
      });
    });
  }

  it("today's MariaDB statements fail on the MySQL model: MASTER_USE_GTID on 8.0, CHANGE MASTER/START SLAVE on 8.4", async () => {
    const mariadb = dialectFromVersion('10.11.19-MariaDB').replica;
    await withModel('8.0.40', async (model) => {
      await expect(replayConversation(model, mariadb)).rejects.toMatchObject({ code: 'ER_PARSE_ERROR' });
      expect(model.statements.find((s) => s.error)?.sql).toMatch(/MASTER_USE_GTID=no$/);
    });
    await withModel('8.4.3', async (model) => {
      await expect(replayConversation(model, mariadb)).rejects.toMatchObject({ code: 'ER_PARSE_ERROR' });
      expect(model.statements.find((s) => s.error)?.sql).toBe('STOP SLAVE');
    });
  });
});

interface Setup {
  dir: string;
  configPath: string;
  archivePath: string;
}

async function configFor(model: ScriptedMysqlModel): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'snaplog-mysql-model-cfg-'));
  const archivePath = join(dir, 'archive');
  const configPath = join(dir, 'snaplog.conf');
  const lines = [
    '[workload]',
    'workload_name = mysql',
    `ipc_folder = ${join(dir, 'ipc')}`,
    'timeout = 60',
    '',
    '[mysql]',
    `socket = ${model.socket}`,
    'user = root',
    '',
    '[archive]',
    `path = ${archivePath}`,
    'system_id = model',
    '',
  ];
  await writeFile(configPath, lines.join('\n'));
  await chmod(configPath, 0o600);
  return { dir, configPath, archivePath };
}

describe('config check --database against the scripted MySQL model (fake server per version)', () => {
  for (const [version, probe] of [
    ['5.7.44-log', 'SHOW MASTER STATUS'],
    ['8.4.3', 'SHOW BINARY LOG STATUS'],
  ] as const) {
    it(`MySQL ${version}: RELOAD and REPLICATION CLIENT, tried with ${probe}`, async () => {
      await withModel(version, async (model) => {
        const setup = await configFor(model);
        try {
          const check = await snaplog(['config', 'check', '--database', '--json', '--config', setup.configPath]);
          expect(check.stderr).toBe('');
          expect(check.code).toBe(0);
          type Check = { grant: string; neededBy: string[]; ok: boolean };
          const report = JSON.parse(check.stdout) as { ok: boolean; privileges: { server: string; checks: Check[] } };
          expect(report.ok).toBe(true);
          expect(report.privileges.server).toBe(version);
          expect(report.privileges.checks.map((c) => [c.grant, c.ok])).toEqual([
            ['RELOAD', true],
            ['REPLICATION CLIENT', true],
          ]);
          expect(report.privileges.checks[1]!.neededBy.join(' ')).toContain(probe);
          expect(model.statements.map((s) => s.sql)).toContain(probe);
          expect(model.statements.filter((s) => s.error)).toEqual([]);
        } finally {
          await rm(setup.dir, { recursive: true, force: true });
        }
      });
    });
  }
});

describe('status against the scripted MySQL model (fake server)', () => {
  it('MySQL 8.4: the server GTID comes from gtid_executed, and nothing MariaDB-only is asked', async () => {
    await withModel('8.4.3', async (model) => {
      const setup = await configFor(model);
      try {
        const status = await snaplog(['status', '--json', '--config', setup.configPath]);
        const report = JSON.parse(status.stdout) as { server: { reachable: boolean; openLog: string; transactionId: string } };
        expect(report.server).toMatchObject({ reachable: true, openLog: 'mysql-bin.000001', transactionId: model.position.gtid });
        expect(model.statements.map((s) => s.sql)).toContain("SHOW GLOBAL VARIABLES LIKE 'gtid_executed'");
        expect(model.statements.filter((s) => /gtid_binlog_pos|MASTER|SLAVE/i.test(s.sql))).toEqual([]);
        expect(model.statements.filter((s) => s.error)).toEqual([]);
      } finally {
        await rm(setup.dir, { recursive: true, force: true });
      }
    });
  });
});

describe('freeze and thaw through snaplog against the scripted MySQL model (fake server per version)', () => {
  const cases = [
    { version: '5.7.44-log', status: 'SHOW MASTER STATUS' },
    { version: '8.0.22', status: 'SHOW MASTER STATUS' },
    { version: '8.0.36-0ubuntu0.22.04.1', status: 'SHOW MASTER STATUS' },
    { version: '8.4.3', status: 'SHOW BINARY LOG STATUS' },
  ];
  const cleanup: string[] = [];
  let model: ScriptedMysqlModel | undefined;
  let setup: Setup | undefined;

  beforeAll(async () => {
    // The CLI runs from dist/: fail clearly when it is missing rather than with a module error.
    expect((await readdir(join(import.meta.dirname, '../../dist/cli'))).length).toBeGreaterThan(0);
  });
  afterEach(async () => {
    if (setup) await snaplog(['thaw', '--config', setup.configPath]);
    await model?.close();
    model = undefined;
    setup = undefined;
  });
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  for (const { version, status } of cases) {
    const title = `MySQL ${version}: FLUSH BINARY LOGS, ship, FLUSH TABLES WITH READ LOCK and ${status} under the lock, UNLOCK TABLES at thaw; never read_only`;
    it(title, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'snaplog-mysql-model-'));
      cleanup.push(dir);
      model = new ScriptedMysqlModel(version, dir);
      await model.start();
      setup = await configFor(model);
      cleanup.push(setup.dir);
      expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);

      const freeze = await snaplog(['freeze', '--json', '--config', setup.configPath], { timeoutMs: 120_000 });
      expect(freeze.stderr).toBe('');
      expect(freeze.code).toBe(0);
      type FreezeResult = { snapshotId: string; position: { file: string; position: number; gtid?: string }; method: string; closedLog: string };
      const result = JSON.parse(freeze.stdout) as FreezeResult;
      // The freeze closed mysql-bin.000001 and the position is the model's, read while the lock was held.
      expect(result.closedLog).toBe('mysql-bin.000001');
      expect(result.method).toBe('ftwrl');
      expect(result.position).toEqual(model.position);
      expect(result.position.file).toBe('mysql-bin.000002');

      // The holder is the connection that took the lock; it sent exactly this (the data directory is asked for the
      // snapshot marker freeze leaves in it), and still holds the lock.
      const holder = model.statements.find((s) => s.sql === 'FLUSH TABLES WITH READ LOCK')!.connection;
      expect(model.lockedBy).toBe(holder);
      expect(model.sentBy(holder)).toEqual(['SELECT VERSION() AS version', 'FLUSH TABLES WITH READ LOCK', status, "SHOW GLOBAL VARIABLES LIKE 'datadir'"]);
      const flushAt = model.statements.findIndex((s) => s.sql === 'FLUSH BINARY LOGS');
      expect(flushAt).toBeGreaterThanOrEqual(0);
      expect(flushAt).toBeLessThan(model.statements.findIndex((s) => s.sql === 'FLUSH TABLES WITH READ LOCK'));

      // The closed binlog is in the archive, with the dialect in its metadata; the snapshot record names the server.
      const logs = join(setup.archivePath, 'model', 'logs');
      const metadata = JSON.parse(await readFile(join(logs, 'mysql-bin.000001.json'), 'utf8')) as Record<string, unknown>;
      expect(metadata).toMatchObject({ serverVersion: version, serverFlavor: 'mysql', transactionCount: 2 });
      const record = JSON.parse(await readFile(join(setup.archivePath, 'model', 'snapshots', `${result.snapshotId}.json`), 'utf8')) as Record<string, unknown>;
      expect(record).toMatchObject({ status: 'frozen', engine: 'mysql', serverVersion: version, method: 'ftwrl', position: model.position });

      const thaw = await snaplog(['thaw', '--config', setup.configPath]);
      expect(thaw.code).toBe(0);
      expect(model.sentBy(holder)).toEqual([
        'SELECT VERSION() AS version',
        'FLUSH TABLES WITH READ LOCK',
        status,
        "SHOW GLOBAL VARIABLES LIKE 'datadir'",
        'UNLOCK TABLES',
      ]);
      expect(model.lockedBy).toBeUndefined();
      // Nothing global was set, and no statement this version does not know was sent.
      expect(model.statements.filter((s) => /read_only/i.test(s.sql))).toEqual([]);
      expect(model.readOnly).toBe(false);
      expect(model.statements.filter((s) => s.error)).toEqual([]);
    });
  }
});
