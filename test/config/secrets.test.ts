import { execFileSync } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText as parseWith, readSecretFile } from '../../src/config/index.js';
import { ENGINE_CONFIG } from '../../src/engines/registry.js';
import { readMysqlPassword } from '../../src/engines/mysql/config.js';
import { passwordFromOptionFile } from '../../src/engines/mysql/option-file.js';
import type { ConfigLocation } from '../../src/errors.js';
import { asyncConfigErrorOf, tempDir } from './helpers.js';

const parseConfigText = (text: string, file: string) => parseWith(text, file, ENGINE_CONFIG);

const PASSWORD = 'c0rrect-H0rse#Battery;Staple';
const CONF = '/etc/snaplog/snaplog.conf';
const LOCATION: ConfigLocation = { file: CONF, line: 9, key: 'password_file' };

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('readSecretFile', () => {
  it('reads a 0600 file and trims exactly one trailing newline', async () => {
    expect(await readSecretFile(await tmp.file('a.pw', `${PASSWORD}\n`, 0o600), LOCATION)).toBe(PASSWORD);
    expect(await readSecretFile(await tmp.file('b.pw', `${PASSWORD}\r\n`, 0o600), LOCATION)).toBe(PASSWORD);
    expect(await readSecretFile(await tmp.file('c.pw', PASSWORD, 0o600), LOCATION)).toBe(PASSWORD);
    expect(await readSecretFile(await tmp.file('d.pw', ` ${PASSWORD} \n\n`, 0o600), LOCATION)).toBe(` ${PASSWORD} \n`);
  });

  it('accepts 0400', async () => {
    expect(await readSecretFile(await tmp.file('ro.pw', PASSWORD, 0o400), LOCATION)).toBe(PASSWORD);
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o606])('refuses mode %o with a chmod hint, naming the config location, never the content', async (mode) => {
    const path = await tmp.file('open.pw', `${PASSWORD}\n`, mode);
    const error = await asyncConfigErrorOf(readSecretFile(path, LOCATION));
    expect(error.location).toEqual(LOCATION);
    expect(error.message).toContain(`${CONF}, line 9, key 'password_file': ${path} has mode 0${mode.toString(8)}`);
    expect(error.hint).toBe(`chmod 600 ${path}`);
    expect(error.exitCode).toBe(2);
    expect(error.describe()).not.toContain(PASSWORD);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a file owned by another user (not root, not us)', async () => {
    const path = await tmp.file('theirs.pw', PASSWORD, 0o600);
    await chown(path, 54321, 54321);
    const error = await asyncConfigErrorOf(readSecretFile(path, LOCATION));
    expect(error.message).toContain(`${path} is owned by uid 54321`);
    expect(error.hint).toContain(`chmod 600 ${path}`);
    expect(error.describe()).not.toContain(PASSWORD);
  });

  it('fails on a missing file, naming the file and the config key', async () => {
    const path = join(tmp.dir, 'missing.pw');
    const error = await asyncConfigErrorOf(readSecretFile(path, LOCATION));
    expect(error.message).toBe(`${CONF}, line 9, key 'password_file': ${path} does not exist`);
    expect(error.hint).toContain(`install -m 600 /dev/null ${path}`);
  });

  it('fails on a folder', async () => {
    const path = join(tmp.dir, 'folder');
    await mkdir(path, { mode: 0o700 });
    const error = await asyncConfigErrorOf(readSecretFile(path, LOCATION));
    expect(error.message).toContain(`${path} is not a regular file`);
  });
});

describe('passwordFromOptionFile', () => {
  it('reads password from [client]', () => {
    expect(passwordFromOptionFile('[client]\nuser=backup\npassword=abc123\n')).toBe('abc123');
  });

  it('reads [mysql] and [mariadb-client] and lets the last one win', () => {
    expect(passwordFromOptionFile('[client]\npassword=first\n[mariadb-client]\npassword = second\n')).toBe('second');
    expect(passwordFromOptionFile('[mysql]\npassword=only\n')).toBe('only');
    expect(passwordFromOptionFile('[client-server]\npassword=cs\n[client-mariadb]\npassword=cm\n')).toBe('cm');
  });

  it('ignores groups the client does not read', () => {
    expect(passwordFromOptionFile('[mysqld]\npassword=server\n[mysqldump]\npassword=dump\n')).toBeUndefined();
    expect(passwordFromOptionFile('[client]\npassword=mine\n[mysqld]\npassword=server\n')).toBe('mine');
  });

  it('follows the client rules for comments, quotes and escapes', () => {
    expect(passwordFromOptionFile('# comment\n; comment\n[client]\npassword=abc # trailing comment\n')).toBe('abc');
    expect(passwordFromOptionFile('[client]\npassword="has # hash and ; semicolon"\n')).toBe('has # hash and ; semicolon');
    expect(passwordFromOptionFile("[client]\npassword='single quoted'\n")).toBe('single quoted');
    expect(passwordFromOptionFile('[client]\npassword=a;b\n')).toBe('a;b');
    expect(passwordFromOptionFile('[client]\npassword="tab\\there\\\\"\n')).toBe('tab\there\\');
    expect(passwordFromOptionFile('[client]\r\npassword = spaced \r\n')).toBe('spaced');
    // as `my_print_defaults` (MariaDB 10.11) reads them: an unquoted # cuts the value, unknown escapes stay
    expect(passwordFromOptionFile('[client]\npassword=pass#word\n')).toBe('pass');
    expect(passwordFromOptionFile('[client]\npassword=x\\sy\n')).toBe('x y');
    expect(passwordFromOptionFile('[client]\npassword=w\\zq\n')).toBe('w\\zq');
    expect(passwordFromOptionFile('[client]\npassword="un"closed\n')).toBe('"un"closed');
  });

  it('skips !include lines and treats a bare password (prompt) as none', () => {
    expect(passwordFromOptionFile('!includedir /etc/mysql/conf.d/\n[client]\npassword=x\npassword\n')).toBeUndefined();
  });
});

describe('readMysqlPassword', () => {
  function config(mysqlLines: string, workloadLines = ''): ReturnType<typeof parseConfigText>['config'] {
    return parseConfigText(
      `[workload]\nworkload_name = mariadb\n${workloadLines}\n[mysql]\nsocket = /run/mysqld/mysqld.sock\n${mysqlLines}\n[archive]\npath = /a\n`,
      CONF,
    ).config;
  }

  it('reads password_file first', async () => {
    const pw = await tmp.file('mysql.pw', `${PASSWORD}\n`, 0o600);
    const cnf = await tmp.file('my.cnf', '[client]\npassword=from-cnf\n', 0o600);
    expect(await readMysqlPassword(config(`password_file = ${pw}\ndefaults_file = ${cnf}`))).toBe(PASSWORD);
  });

  it('falls back to the [client] password of defaults_file', async () => {
    const cnf = await tmp.file('my.cnf', `[client]\nuser = backup\npassword = "${PASSWORD}"\n`, 0o600);
    expect(await readMysqlPassword(config(`defaults_file = ${cnf}`))).toBe(PASSWORD);
  });

  it("uses the --defaults-extra-file named in Azure's credString", async () => {
    const cnf = await tmp.file('backup.cnf', `[mysql]\nuser = backup\npassword = "${PASSWORD}"\n`, 0o600);
    const cfg = config('', `credString = --defaults-extra-file=${cnf}`);
    expect(cfg.mysql?.defaultsFile).toBe(cnf);
    expect(await readMysqlPassword(cfg)).toBe(PASSWORD);
  });

  it('is undefined when neither password_file nor defaults_file is set', async () => {
    expect(await readMysqlPassword(config(''))).toBeUndefined();
  });

  it('is undefined when the defaults file has no client password', async () => {
    const cnf = await tmp.file('my.cnf', '[mysqld]\nport=3306\n', 0o600);
    expect(await readMysqlPassword(config(`defaults_file = ${cnf}`))).toBeUndefined();
  });

  it('refuses a group-readable defaults file, naming the config line and key, without the password', async () => {
    const cnf = await tmp.file('my.cnf', `[client]\npassword=${PASSWORD}\n`, 0o640);
    const error = await asyncConfigErrorOf(readMysqlPassword(config(`defaults_file = ${cnf}`)));
    expect(error.location).toEqual({ file: CONF, line: 6, key: 'defaults_file' });
    expect(error.hint).toBe(`chmod 600 ${cnf}`);
    expect(error.describe()).not.toContain(PASSWORD);
  });

  it('refuses a 0644 password file, naming the config line and key, without the password', async () => {
    const pw = await tmp.file('mysql.pw', `${PASSWORD}\n`, 0o644);
    const error = await asyncConfigErrorOf(readMysqlPassword(config(`password_file = ${pw}`)));
    expect(error.location).toEqual({ file: CONF, line: 6, key: 'password_file' });
    expect(error.describe()).not.toContain(PASSWORD);
  });

  it('refuses an empty password file', async () => {
    const pw = await tmp.file('mysql.pw', '\n', 0o600);
    const error = await asyncConfigErrorOf(readMysqlPassword(config(`password_file = ${pw}`)));
    expect(error.message).toContain(`${pw} is empty`);
  });
});

describe('readSecretFile on a FIFO', () => {
  it('refuses it instead of hanging', async () => {
    const path = join(tmp.dir, 'fifo.pw');
    execFileSync('mkfifo', ['-m', '600', path]);
    const error = await asyncConfigErrorOf(readSecretFile(path, LOCATION));
    expect(error.message).toContain(`${path} is not a regular file`);
  });
});
