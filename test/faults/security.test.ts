import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

const PASSWORD = 'Pw-9f3c1e-never-in-argv';

/** The user snaplog connects as; created outside the binlog (the server would log its password). */
async function createSnaplogUser(server: MariadbServer): Promise<void> {
  const connection = await server.connect();
  try {
    await connection.query('SET sql_log_bin = 0');
    await connection.query(`CREATE USER 'snaplog'@'localhost' IDENTIFIED BY '${PASSWORD}'`);
    await connection.query("GRANT ALL ON *.* TO 'snaplog'@'localhost'");
  } finally {
    await connection.end();
  }
}

/** Every process's argv, read from /proc, as often as possible while `work` runs. */
async function scanArgvDuring<T>(work: Promise<T>): Promise<{ result: T; scans: number; leaks: string[] }> {
  let done = false;
  let scans = 0;
  const leaks: string[] = [];
  const scanner = (async () => {
    while (!done) {
      for (const pid of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid)) continue;
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes(PASSWORD)) leaks.push(cmdline.replace(/\0/g, ' '));
      }
      scans++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const result = await work;
  done = true;
  await scanner;
  return { result, scans, leaks };
}

describe('security: the database password never reaches argv, logs or events; secrets and folders are private', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let passwordFile: string;

  beforeAll(async () => {
    server = await startMariadb();
    await createSnaplogUser(server);
    const dir = server.base;
    passwordFile = join(dir, 'snaplog.pw');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    setup = await writeSnaplogConfig(server, { mysql: `password_file = ${passwordFile}` });
    const config = (await readFile(setup.configPath, 'utf8')).replace('user = root', 'user = snaplog');
    await writeFile(setup.configPath, config);
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE s');
    await server.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
    await server.query('INSERT INTO s.t VALUES (1)');
    await server.query('FLUSH BINARY LOGS');
  });
  afterAll(async () => {
    await snaplog(['thaw', '--config', setup.configPath]);
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('ship, freeze and thaw run with the password from a 0600 file and no process ever shows it', async () => {
    for (const args of [['ship', '--once'], ['freeze'], ['thaw']]) {
      const { result, scans, leaks } = await scanArgvDuring(snaplog([...args, '--config', setup.configPath]));
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(scans).toBeGreaterThan(0);
      expect(leaks).toEqual([]);
    }
  });

  it('restore through mariadb-binlog | mariadb into a server does not show it either', async () => {
    await server.query('CREATE TABLE s.after (id INT PRIMARY KEY)');
    await server.query('INSERT INTO s.after VALUES (1), (2)');
    await server.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
    const target = await startMariadb();
    await createSnaplogUser(target);
    await target.query('CREATE DATABASE s');
    await target.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
    const { result, leaks } = await scanArgvDuring(
      snaplog(['restore', '--latest', '--target-socket', target.socket, '--staging', join(target.base, 'staging'), '--config', setup.configPath]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(leaks).toEqual([]);
    expect(await target.query('SELECT COUNT(*) AS n FROM s.after')).toEqual([{ n: '2' }]);
    await target.kill();
    await removeDirs(target.base);
  });

  it('the password is in no event, state file, holder log or archive file', async () => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(join(dir, entry.name));
        else files.push(join(dir, entry.name));
      }
    };
    await walk(setup.ipcFolder);
    await walk(setup.archivePath);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect((await readFile(file)).includes(PASSWORD), file).toBe(false);
  });

  it('a wrong password is a clear error naming where it came from, without the password', async () => {
    await writeFile(passwordFile, 'wrong-password\n', { mode: 0o600 });
    try {
      const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/refused user 'snaplog'/);
      expect(result.stderr).toContain(passwordFile);
      expect(result.stderr).not.toContain('wrong-password');
    } finally {
      await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    }
  });

  it('a password file readable by group or others is refused, and nothing runs', async () => {
    await chmod(passwordFile, 0o640);
    try {
      const result = await snaplog(['freeze', '--config', setup.configPath]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('chmod 600');
      expect(result.stderr).not.toContain(PASSWORD);
    } finally {
      await chmod(passwordFile, 0o600);
    }
  });

  it('the ipc folder is 0700, its files 0600; archive files are not world-readable', async () => {
    expect((await stat(setup.ipcFolder)).mode & 0o777).toBe(0o700);
    for (const file of await readdir(setup.ipcFolder)) {
      const info = await stat(join(setup.ipcFolder, file));
      if (info.isFile()) expect(info.mode & 0o077, file).toBe(0);
    }
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        expect((await stat(path)).mode & 0o007, path).toBe(0);
        if (entry.isDirectory()) await walk(path);
      }
    };
    await walk(setup.archivePath);
  });
});

describe('security: no shell between snaplog and the programs it runs', () => {
  it('src/ starts child processes only with argument vectors: no exec/execSync, no shell option, no execa $ templates', async () => {
    const srcRoot = join(import.meta.dirname, '../../src');
    const offenders: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith('.ts')) {
          const text = await readFile(path, 'utf8');
          const patterns = [
            /\bshell\s*:\s*(true|['"`])/,
            /(?<![.\w])(exec|execSync)\s*\(/,
            /import\s*\{[^}]*\b(exec|execSync|\$)\b[^}]*\}\s*from\s*'(node:child_process|execa)'/,
            /\$`/,
          ];
          for (const pattern of patterns) if (pattern.test(text)) offenders.push(`${path}: ${pattern}`);
        }
      }
    };
    await walk(srcRoot);
    expect(offenders).toEqual([]);
  });
});
