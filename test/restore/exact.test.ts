import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, makeTempDir, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { datadirState, tableChecksums } from '../support/workload.js';
import { snaplog, SNAPLOG_BIN } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { holdersOf } from '../../src/engines/mysql/restore/preflight.js';

const DATABASES = ['app'];

interface State {
  gtid: string;
  sums: Record<string, string>;
}

async function stateOf(server: MariadbServer): Promise<State> {
  const [{ pos }] = await server.query<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
  return { gtid: pos, sums: await tableChecksums(server, DATABASES) };
}

/** Checksums of the tables in a restored data directory, read through a private server. */
const checksumsOf = (datadir: string, runDir: string): Promise<State> => datadirState(datadir, runDir, DATABASES);

/** A copy of the frozen file system, taken between fsfreeze -f and -u: what a VM snapshot holds. */
function copyFrozen(mount: string, destination: string): void {
  execFileSync('fsfreeze', ['-f', mount]);
  try {
    execFileSync('cp', ['-a', '--sparse=always', `${mount}/.`, destination]);
  } finally {
    execFileSync('fsfreeze', ['-u', mount]);
  }
}

/** Every entry under a folder (names only), to show a refused command created nothing. */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

/** One error, with a HINT, no stack trace or class-name dump beyond the first line. */
function expectOneClearError(result: CliResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).toMatch(/\nHINT: /);
  expect(result.stderr.trim().split('\n')).toHaveLength(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('a restore is exact or it fails: which snapshot a data directory is, preflight, clean ends (real MariaDB)', () => {
  let disk: MountedImage;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let work: string;
  let snapshotA: string;
  let snapshotB: string;
  let atA: State;
  let atEnd: State;
  let copies = 0;

  const restore = (args: string[], env: NodeJS.ProcessEnv = {}) => snaplog(['restore', ...args, '--config', setup.configPath], { env, timeoutMs: 300_000 });

  /** A fresh copy of snapshot A's disk (data directory + binlog folder beside it), like a restored disk. */
  async function copyOfA(label: string): Promise<string> {
    const dir = join(work, `${label}-${++copies}`);
    execFileSync('cp', ['-a', join(work, 'A'), dir]);
    return join(dir, 'mysql');
  }

  beforeAll(async () => {
    disk = await createMountedImage(768, 'exact');
    work = await makeTempDir('exact-work');
    // The private server runs as the data directory's owner: a copy owned by mysql must be reachable.
    await chmod(work, 0o711);
    server = await startMariadb({ datadir: join(disk.mount, 'mysql'), binlogDir: join(disk.mount, 'binlog'), args: ['--innodb-flush-log-at-trx-commit=2'] });
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 120' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);

    const c = await server.connect();
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.accounts (id INT PRIMARY KEY, balance INT) ENGINE=InnoDB');
    await c.query('CREATE TABLE app.doomed (id INT PRIMARY KEY) ENGINE=InnoDB');
    await c.query('INSERT INTO app.doomed VALUES (1), (2)');
    for (let i = 1; i <= 20; i++) await c.query('INSERT INTO app.accounts VALUES (?, ?)', [i, i * 10]);

    // Snapshot A. A symlink the mysql user planted at the marker's name must not make root write through it.
    const victim = join(work, 'victim-marker');
    await writeFile(victim, 'precious\n');
    await symlink(victim, join(disk.mount, 'mysql', 'snaplog-snapshot.json'));
    const freezeA = await snaplog(['freeze', '--json', '--config', setup.configPath]);
    expect(freezeA.code).toBe(0);
    snapshotA = JSON.parse(freezeA.stdout).snapshotId;
    await mkdir(join(work, 'A'));
    copyFrozen(disk.mount, join(work, 'A'));
    atA = await stateOf(server);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    // The marker lives in the data directory only while the lock is held.
    expect(existsSync(join(work, 'A', 'mysql', 'snaplog-snapshot.json'))).toBe(true);
    expect(existsSync(join(disk.mount, 'mysql', 'snaplog-snapshot.json'))).toBe(false);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(join(work, 'A', 'mysql', 'snaplog-snapshot.json'))).isFile()).toBe(true);

    // About 30 transactions and a DROP after A, then snapshot B.
    for (let i = 1; i <= 30; i++) await c.query('UPDATE app.accounts SET balance = balance + 1 WHERE id = ?', [(i % 20) + 1]);
    await c.query('DROP TABLE app.doomed');
    const freezeB = await snaplog(['freeze', '--json', '--config', setup.configPath]);
    expect(freezeB.code).toBe(0);
    snapshotB = JSON.parse(freezeB.stdout).snapshotId;
    await mkdir(join(work, 'B'));
    copyFrozen(disk.mount, join(work, 'B'));
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    // After B: small transactions around one large one (the replay spends seconds inside it: an interrupt lands there).
    await c.query('CREATE TABLE app.big (id INT PRIMARY KEY, payload VARCHAR(200)) ENGINE=InnoDB');
    await c.query(Array.from({ length: 500 }, (_, i) => `INSERT INTO app.accounts VALUES (${1000 + i}, ${i})`).join(';'));
    await c.query('BEGIN');
    await c.query("INSERT INTO app.big SELECT seq, REPEAT('x', 150) FROM app.seq_1_to_300000");
    await c.query('COMMIT');
    await c.query(Array.from({ length: 500 }, (_, i) => `UPDATE app.accounts SET balance = balance + 1 WHERE id = ${1000 + i}`).join(';'));
    await c.query('FLUSH BINARY LOGS');
    await c.end();
    atEnd = await stateOf(server);
    expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await stopAllMariadb();
    await disk?.cleanup();
    await rm(work, { recursive: true, force: true });
    await removeDirs(setup?.dir, server?.base);
  });

  it("A's copy restored with --latest and no --snapshot starts from A (found by itself) and is exact; a second identical restore is a no-op", async () => {
    const datadir = await copyOfA('latest');
    const result = await restore(['--latest', '--datadir', datadir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`the data directory is snapshot ${snapshotA}`);
    expect(result.stdout).toMatch(/snaplog-snapshot\.json names snapshot/);
    const restored = await checksumsOf(datadir, join(work, 'latest-check'));
    expect(restored.sums).toEqual(atEnd.sums);
    expect(restored.sums['app.doomed']).toBeUndefined();
    expect(restored.gtid).toBe(atEnd.gtid);

    const again = await restore(['--latest', '--datadir', datadir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already restored/);
    expect(again.stdout).not.toMatch(/fetched and checked/);
    expect((await checksumsOf(datadir, join(work, 'latest-check2'))).sums).toEqual(atEnd.sums);
  });

  it("A's copy with --snapshot B is refused with a HINT naming A, and nothing is created or changed", async () => {
    const datadir = await copyOfA('wrong');
    const parent = join(datadir, '..');
    const before = await listing(parent);
    const result = await restore(['--latest', '--snapshot', snapshotB, '--datadir', datadir]);
    expectOneClearError(result, new RegExp(`data directory is snapshot ${snapshotA}, not ${snapshotB}`));
    expect(result.stderr).toMatch(new RegExp(`HINT: .*--snapshot ${snapshotA}`));
    expect(await listing(parent)).toEqual(before);
    expect(existsSync(`${datadir}.snaplog-restore`)).toBe(false);
  });

  it('a data directory nothing identifies is refused without --snapshot, and restored exactly with it', async () => {
    const datadir = await copyOfA('anonymous');
    await rm(join(datadir, 'snaplog-snapshot.json'));
    await rm(join(datadir, '..', 'binlog'), { recursive: true });
    const refused = await restore(['--latest', '--datadir', datadir]);
    expectOneClearError(refused, /cannot tell which snapshot the data directory is/);
    expect(existsSync(`${datadir}.snaplog-restore`)).toBe(false);
    const given = await restore(['--to-gtid', atA.gtid.replace(/\d+$/, (n) => String(Number(n) + 10)), '--snapshot', snapshotA, '--datadir', datadir]);
    expect(given.code).toBe(0);
    // A later target continues from where the first restore stopped (no second crash recovery).
    const later = await restore(['--latest', '--snapshot', snapshotA, '--datadir', datadir]);
    expect(later.stderr).toBe('');
    expect(later.code).toBe(0);
    expect(later.stdout).not.toMatch(/crash recovery/);
    expect((await checksumsOf(datadir, join(work, 'anonymous-check'))).sums).toEqual(atEnd.sums);
  });

  it("B's copy with nothing on it but InnoDB's own record, given --snapshot A, is refused as a later copy; with --snapshot B it is exact", async () => {
    const dir = join(work, `laterB-${++copies}`);
    execFileSync('cp', ['-a', join(work, 'B'), dir]);
    const datadir = join(dir, 'mysql');
    await rm(join(datadir, 'snaplog-snapshot.json'));
    await rm(join(dir, 'binlog'), { recursive: true });
    const refused = await restore(['--latest', '--snapshot', snapshotA, '--datadir', datadir]);
    expectOneClearError(refused, new RegExp(`InnoDB in the data directory .* after snapshot ${snapshotA}'s position .*: it is a later copy`));
    expect(existsSync(join(datadir, 'snaplog-restore.json'))).toBe(false);
    const right = await restore(['--latest', '--snapshot', snapshotB, '--datadir', datadir]);
    expect(right.stderr).toBe('');
    expect(right.code).toBe(0);
    expect((await checksumsOf(datadir, join(work, 'laterB-check'))).sums).toEqual(atEnd.sums);
  });

  it("drill on A's copy rolls forward from A; an existing, non-empty --scratch is refused and left alone", async () => {
    const datadir = await copyOfA('drill');
    const busy = join(work, 'busy-scratch');
    await mkdir(busy);
    await writeFile(join(busy, 'keep.txt'), 'mine');
    const refused = await snaplog(['drill', '--datadir', datadir, '--scratch', busy, '--config', setup.configPath]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not an empty folder/);
    expect(await readFile(join(busy, 'keep.txt'), 'utf8')).toBe('mine');

    const result = await snaplog(['drill', '--datadir', datadir, '--scratch', join(work, 'drill-scratch'), '--json', '--config', setup.configPath], {
      timeoutMs: 300_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.snapshot).toBe(snapshotA);
    expect(report.datadirSnapshot).toMatchObject({ id: snapshotA, identified: true });
    expect(report.recoveryPoint.gtid).toBe(atEnd.gtid);
    expect(existsSync(join(work, 'drill-scratch'))).toBe(false);
  });

  it('SIGINT mid-replay stops the private server and records where it stood; --resume finishes exactly', async () => {
    const datadir = await copyOfA('sigint');
    const child = spawn(process.execPath, [SNAPLOG_BIN, 'restore', '--latest', '--datadir', datadir, '--config', setup.configPath], {
      env: { ...process.env, SNAPLOG_PROGRESS: '1' },
    });
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && /replaying /.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(sent).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toMatch(/replay interrupted in mysql-bin\.\d+ \(relay copy\) at offset \d+ \(between two transactions\)/);
    expect(stderr).toMatch(/HINT: .*--resume/);
    // Nothing runs on the data directory any more.
    expect(await holdersOf(join(datadir, 'ibdata1'))).toEqual([]);
    const record = JSON.parse(await readFile(join(datadir, 'snaplog-restore.json'), 'utf8'));
    expect(record.status).toBe('interrupted');
    expect(stdout).toMatch(/crash recovery/);

    const without = await restore(['--latest', '--datadir', datadir]);
    expectOneClearError(without, /did not finish/);
    const resumed = await restore(['--latest', '--resume', '--datadir', datadir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming: the data directory has every transaction up to/);
    expect(resumed.stdout).not.toMatch(/crash recovery/);
    const restored = await checksumsOf(datadir, join(work, 'sigint-check'));
    expect(restored.sums).toEqual(atEnd.sums);
    expect(restored.gtid).toBe(atEnd.gtid);
    // --resume on a finished restore ends at once, saying so.
    const done = await restore(['--latest', '--resume', '--datadir', datadir]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/already restored/);
  });

  it('kill -9 of snaplog mid-replay: the next --resume stops the private server it left running and finishes exactly', async () => {
    const datadir = await copyOfA('sigkill');
    const child = spawn(process.execPath, [SNAPLOG_BIN, 'restore', '--latest', '--datadir', datadir, '--config', setup.configPath], {
      env: { ...process.env, SNAPLOG_PROGRESS: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/replaying /.test(stderr)) child.kill('SIGKILL');
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, killedBy) => resolve(killedBy)));
    expect(signal).toBe('SIGKILL');
    const left = await holdersOf(join(datadir, 'ibdata1'));
    expect(left).toHaveLength(1);
    expect(JSON.parse(await readFile(join(datadir, 'snaplog-restore.json'), 'utf8'))).toMatchObject({ status: 'replaying', serverPid: left[0]!.pid });

    const resumed = await restore(['--latest', '--resume', '--datadir', datadir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`stopping the private server an interrupted restore left running on ${datadir} (pid ${left[0]!.pid})`);
    expect(resumed.stdout).toMatch(/resuming: the data directory has every transaction up to/);
    expect(await holdersOf(join(datadir, 'ibdata1'))).toEqual([]);
    const restored = await checksumsOf(datadir, join(work, 'sigkill-check'));
    expect(restored.sums).toEqual(atEnd.sums);
    expect(restored.gtid).toBe(atEnd.gtid);
  });

  it('a symlink planted at relay-bin.index, master.info or relay-log.info does not change its target', async () => {
    const datadir = await copyOfA('planted');
    const victims: Record<string, string> = {};
    for (const name of ['relay-bin.index', 'master.info', 'relay-log.info']) {
      const victim = join(work, `victim-${name}`);
      await writeFile(victim, `precious ${name}\n`);
      await symlink(victim, join(datadir, name));
      victims[name] = victim;
    }
    const result = await restore(['--latest', '--datadir', datadir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const [name, victim] of Object.entries(victims)) {
      expect(await readFile(victim, 'utf8')).toBe(`precious ${name}\n`);
      expect((await lstat(join(datadir, name)).catch(() => undefined))?.isSymbolicLink() ?? false).toBe(false);
    }
    expect((await checksumsOf(datadir, join(work, 'planted-check'))).sums).toEqual(atEnd.sums);
  });

  it("a data directory owned by mysql is replayed by a server running as mysql: every file it made is mysql's", async () => {
    const datadir = await copyOfA('owned');
    execFileSync('chown', ['-R', 'mysql:mysql', join(datadir, '..')]);
    const result = await restore(['--latest', '--datadir', datadir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const uid = Number(execFileSync('id', ['-u', 'mysql']).toString());
    const rootOwned = (await readdir(datadir, { recursive: true })).map(String).filter((entry) => !entry.startsWith('snaplog-'));
    const foreign: string[] = [];
    for (const entry of rootOwned) if ((await lstat(join(datadir, entry))).uid !== uid) foreign.push(entry);
    expect(foreign).toEqual([]);
    expect((await checksumsOf(datadir, join(work, 'owned-check'))).sums).toEqual(atEnd.sums);
  });

  describe('preflight: one clear error each, before any fetch, and nothing created', () => {
    async function expectRefusedCleanly(datadir: string, pattern: RegExp, extra: string[] = []): Promise<CliResult> {
      const parent = join(datadir, '..');
      const before = existsSync(parent) ? await listing(parent) : [];
      const result = await restore(['--latest', '--datadir', datadir, ...extra]);
      expectOneClearError(result, pattern);
      expect(result.stdout).not.toMatch(/fetched/);
      if (existsSync(parent)) expect(await listing(parent)).toEqual(before);
      expect(existsSync(`${datadir}.snaplog-restore`)).toBe(false);
      return result;
    }

    it('a missing data directory', async () => {
      await expectRefusedCleanly(join(work, 'nowhere', 'mysql'), /does not exist/);
    });

    it('a folder that is not a data directory', async () => {
      const empty = join(work, 'not-a-datadir', 'mysql');
      await mkdir(empty, { recursive: true });
      await expectRefusedCleanly(empty, /not a MariaDB\/MySQL data directory/);
    });

    it('the data directory of a running server', async () => {
      const result = await expectRefusedCleanly(join(disk.mount, 'mysql'), /is in use: mariadbd \(pid \d+\) holds ibdata1 open/);
      expect(result.stderr).toMatch(/HINT: stop that server/);
    });

    it('a read-only data directory points to --tables … --export or a copy', async () => {
      const datadir = await copyOfA('readonly');
      const mount = join(work, 'readonly-mnt');
      await mkdir(mount);
      execFileSync('mount', ['--bind', join(datadir, '..'), mount]);
      try {
        execFileSync('mount', ['-o', 'remount,bind,ro', mount]);
        const result = await expectRefusedCleanly(join(mount, 'mysql'), /read-only file system/);
        expect(result.stderr).toMatch(/HINT: .*--tables .*--export/);
        expect(result.stderr).toMatch(/cop(y|ying)/);
      } finally {
        execFileSync('umount', [mount]);
      }
    });

    it('a data directory of a newer server version', async () => {
      const datadir = await copyOfA('newer');
      await writeFile(join(datadir, 'mysql_upgrade_info'), '99.1.0-MariaDB');
      await expectRefusedCleanly(datadir, /newer than the local server/);
    });

    it('not enough room for the replay', async () => {
      const source = await copyOfA('room');
      const small = join(work, 'small-fs');
      await mkdir(small);
      const used = Number(
        execFileSync('du', ['-sm', join(source, '..')])
          .toString()
          .split('\t')[0],
      );
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${used + 24}m`, 'tmpfs', small]);
      try {
        execFileSync('cp', ['-a', `${join(source, '..')}/.`, small]);
        await expectRefusedCleanly(join(small, 'mysql'), /not enough room for the replay/);
      } finally {
        await new Promise((resolve) => execFile('umount', [small], resolve));
      }
    });
  });
});
