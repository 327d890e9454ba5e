import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lineageBreak } from '../../src/archive/lineage.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

describe('lineageBreak (pure)', () => {
  const log = (name: string, fields: Partial<LogMetadata>) => ({ name, ...fields });

  it('MariaDB: the next log must start from a GTID state holding the last transaction of the one before', () => {
    const previous = log('mysql-bin.000002', { nextLog: 'mysql-bin.000003', lastTransaction: '0-1-12', previousTransactions: '0-1-7' });
    expect(lineageBreak(previous, log('mysql-bin.000003', { previousTransactions: '7-1-3,0-1-12' }))).toBeUndefined();
    expect(lineageBreak(previous, log('mysql-bin.000003', { previousTransactions: '0-1-15' }))).toMatch(
      /does not hold 0-1-12, the last transaction of mysql-bin.000002/,
    );
    expect(lineageBreak(previous, log('mysql-bin.000003', { previousTransactions: '0-2-12' }))).toMatch(/does not hold 0-1-12/);
  });

  it('the ROTATE event names the successor', () => {
    expect(lineageBreak(log('a.000001', { nextLog: 'a.000002' }), log('b.000002', {}))).toMatch(/rotating to a.000002, but the next archived log is b.000002/);
  });

  it('a log without transactions passes its state on unchanged', () => {
    expect(lineageBreak(log('a.1', { previousTransactions: '0-1-5' }), log('a.2', { previousTransactions: '0-1-5' }))).toBeUndefined();
    expect(lineageBreak(log('a.1', { previousTransactions: '0-1-5' }), log('a.2', { previousTransactions: '0-1-9' }))).toMatch(/holds no transaction/);
  });

  it('MySQL: PREVIOUS_GTIDS must contain the last GTID of the log before', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const previous = log('binlog.000057', { lastTransaction: `${uuid}:23` });
    expect(lineageBreak(previous, log('binlog.000058', { previousTransactions: `${uuid}:1-23` }))).toBeUndefined();
    expect(lineageBreak(previous, log('binlog.000058', { previousTransactions: `${uuid}:1-20:24-30` }))).toMatch(/does not hold/);
  });

  it('old metadata without GTID facts cannot tell, and does not block', () => {
    expect(lineageBreak(log('a.1', {}), log('a.2', {}))).toBeUndefined();
  });
});

async function archivedMetadata(setup: SnaplogTestSetup): Promise<LogMetadata[]> {
  const [system] = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
  const logs = join(setup.archivePath, system!, 'logs');
  const files = (await readdir(logs)).filter((file) => file.endsWith('.json'));
  const all = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(logs, file), 'utf8')) as LogMetadata));
  return all.sort((a, b) => a.sequence - b.sequence);
}

describe('lineage of real MariaDB binlogs: one server’s chain connects, two servers’ logs do not', () => {
  let first: MariadbServer;
  let second: MariadbServer;
  let firstSetup: SnaplogTestSetup;
  let secondSetup: SnaplogTestSetup;
  let dir: string;

  /** Histories that diverge from the start (a clone that wrote one transaction more); identical ones cannot be told apart, nor need to be. */
  async function writeHistory(server: MariadbServer, rows: number, extra = 0): Promise<void> {
    await server.query('CREATE DATABASE IF NOT EXISTS shop; CREATE TABLE IF NOT EXISTS shop.t (id INT PRIMARY KEY) ENGINE=InnoDB');
    for (let i = 0; i < extra; i++) await server.query('INSERT INTO shop.t VALUES (?)', [1000 + i]);
    for (let i = 1; i <= rows; i++) {
      await server.query(
        i % 3 === 0 ? 'SET SESSION gtid_domain_id = 7; INSERT INTO shop.t VALUES (?)' : 'SET SESSION gtid_domain_id = 0; INSERT INTO shop.t VALUES (?)',
        [i],
      );
      if (i % 4 === 0) await server.query('FLUSH BINARY LOGS');
    }
    await server.query('FLUSH BINARY LOGS');
    await server.query('FLUSH BINARY LOGS');
  }

  beforeAll(async () => {
    dir = await makeTempDir('lineage-chain');
    [first, second] = await Promise.all([startMariadb(), startMariadb()]);
    firstSetup = await writeSnaplogConfig(first, { archivePath: join(dir, 'a') });
    secondSetup = await writeSnaplogConfig(second, { archivePath: join(dir, 'b') });
    for (const setup of [firstSetup, secondSetup]) expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    expect((await snaplog(['freeze', '--config', firstSetup.configPath])).code).toBe(0);
    expect((await snaplog(['thaw', '--config', firstSetup.configPath])).code).toBe(0);
    await writeHistory(first, 10);
    await writeHistory(second, 13, 1);
    for (const setup of [firstSetup, secondSetup]) expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(first?.base, second?.base, firstSetup?.dir, secondSetup?.dir, dir);
  });

  it('every consecutive pair of one server’s archived logs connects (two domains, empty logs included)', async () => {
    const logs = await archivedMetadata(firstSetup);
    expect(logs.length).toBeGreaterThanOrEqual(4);
    expect(logs.some((log) => log.transactionCount === 0)).toBe(true);
    for (let i = 1; i < logs.length; i++) expect(lineageBreak(logs[i - 1]!, logs[i]!)).toBeUndefined();
  });

  it('a log of the other server in the next place breaks the chain, although names and numbers fit', async () => {
    const mine = await archivedMetadata(firstSetup);
    const theirs = await archivedMetadata(secondSetup);
    const withTransactions = mine.findIndex((log, i) => i > 0 && (log.transactionCount ?? 0) > 0 && theirs[i + 1]);
    const previous = mine[withTransactions]!;
    const foreign = theirs.find((log) => log.sequence === previous.sequence + 1)!;
    expect(foreign.name).toBe(previous.nextLog);
    expect(lineageBreak(previous, foreign)).toMatch(/does not hold/);
  });
});

describe('a foreign log in the next place of the archive (real MariaDB servers): never replayed, reported by verify', () => {
  it('plan --latest refuses to replay it and verify names it', async () => {
    // Set up by the describe above is not shared across files' describes: build a fresh pair here.
    const dir = await makeTempDir('lineage-foreign');
    const [a, b] = await Promise.all([startMariadb(), startMariadb()]);
    const setupA = await writeSnaplogConfig(a, { archivePath: join(dir, 'a'), archive: 'system_id = dba' });
    const setupB = await writeSnaplogConfig(b, { archivePath: join(dir, 'b'), archive: 'system_id = dbb' });
    try {
      for (const setup of [setupA, setupB]) expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
      expect((await snaplog(['freeze', '--config', setupA.configPath])).code).toBe(0);
      expect((await snaplog(['thaw', '--config', setupA.configPath])).code).toBe(0);
      for (const [server, rows] of [
        [a, 3],
        [b, 5],
      ] as const) {
        await server.query('CREATE DATABASE IF NOT EXISTS shop; CREATE TABLE IF NOT EXISTS shop.t (id INT PRIMARY KEY)');
        for (let i = 1; i <= rows; i++) {
          await server.query('INSERT INTO shop.t VALUES (?)', [i]);
          if (server === b) await server.query('FLUSH BINARY LOGS');
        }
        await server.query('FLUSH BINARY LOGS');
        await server.query('INSERT INTO shop.t VALUES (100)');
        await server.query('FLUSH BINARY LOGS');
      }
      for (const setup of [setupA, setupB]) expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
      const mine = await archivedMetadata(setupA);
      const theirs = await archivedMetadata(setupB);
      const foreign = theirs.find((log) => log.sequence === mine[mine.length - 1]!.sequence + 1);
      expect(foreign).toBeDefined();
      for (const file of [foreign!.name, `${foreign!.name}.json`])
        await copyFile(join(setupB.archivePath, 'dbb', 'logs', file), join(setupA.archivePath, 'dba', 'logs', file));

      // --latest would have to replay the foreign log: refused, naming why the chain ends there.
      const plan = await snaplog(['plan', '--latest', '--json', '--config', setupA.configPath]);
      expect(plan.code).toBe(1);
      expect(plan.stderr).toMatch(new RegExp(`chain from snapshot .* ends after ${mine[mine.length - 1]!.name.replace('.', '\\.')} \\(.*does not hold`));
      expect(plan.stderr).toMatch(/HINT: /);

      const verify = await snaplog(['verify', '--json', '--config', setupA.configPath]);
      expect(verify.code).toBe(1);
      const problems = (JSON.parse(verify.stdout) as { problems: { file: string; problem: string }[] }).problems;
      expect(problems).toContainEqual({ file: foreign!.name, problem: expect.stringMatching(/does not continue .*another server or history/) });
    } finally {
      await stopAllMariadb();
      await removeDirs(a.base, b.base, setupA.dir, setupB.dir, dir);
    }
  });
});
