import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadConfigOptions } from '../../src/config/index.js';
import { ENGINE_CONFIG } from '../../src/engines/registry.js';
import { asyncConfigErrorOf, DESIGN_SAMPLE, tempDir } from './helpers.js';

/** Azure's own template, verbatim (VMBackup/main/workloadPatch/WorkloadUtils/workload.conf). */
const AZURE_TEMPLATE = `[workload]
#workload_name valid values- mysql, oracle, mariadb, postgres
workload_name = 
command_path = 
credString = 
ipc_folder = 
timeout = 
linux_user = 

`;

const AZURE_FILLED = DESIGN_SAMPLE.replace('timeout = 90', 'timeout = 90\ncredString = --defaults-extra-file=/etc/mysql/backup.cnf');

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Options that never touch the real /etc: both default paths point into the temp dir. */
function options(extra: LoadConfigOptions = {}): LoadConfigOptions {
  return {
    env: {},
    workloadConfPath: join(tmp.dir, 'workload.conf'),
    defaultConfigPath: join(tmp.dir, 'snaplog.conf'),
    ...extra,
  };
}

describe('loadConfig: sources and precedence', () => {
  it("merges Azure's workload.conf and snaplog.conf; snaplog's keys win", async () => {
    const azure = await tmp.file('workload.conf', AZURE_FILLED);
    const own = await tmp.file(
      'snaplog.conf',
      ['[workload]', 'timeout = 300', '', '[archive]', 'path = /srv/archive', 'compression = gzip', '', '[ship]', 'tail = on', ''].join('\n'),
    );
    const { config, warnings } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.sources).toEqual([azure, own]);
    expect(config.workload).toEqual({ name: 'mariadb', linuxUser: 'root', ipcFolder: '/var/lib/snaplog/ipc', timeoutSeconds: 300 });
    expect(config.archive).toEqual({ path: '/srv/archive', compression: 'gzip' });
    expect(config.ship.tail).toBe(true);
    expect(config.mysql).toMatchObject({ socket: '/run/mysqld/mysqld.sock', passwordFile: '/etc/snaplog/mysql.pw', defaultsFile: '/etc/mysql/backup.cnf' });
    expect(config.locate('workload', 'timeout')).toEqual({ file: own, line: 2, key: 'timeout' });
    expect(config.locate('workload', 'workload_name')).toEqual({ file: azure, line: 2, key: 'workload_name' });
    expect(config.locate('archive', 'path')).toEqual({ file: own, line: 5, key: 'path' });
    expect(config.locate('mysql', 'password_file')).toEqual({ file: azure, line: 10, key: 'password_file' });
    expect(warnings.some((w) => w.startsWith(`${azure}, line 5, key 'credString': credString is accepted`))).toBe(true);
  });

  it('reads the Azure workload.conf alone (design.md sample plus credString) when there is no snaplog.conf', async () => {
    const azure = await tmp.file('workload.conf', AZURE_FILLED);
    const { config } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.sources).toEqual([azure]);
    expect(config.workload.name).toBe('mariadb');
    expect(config.archive.path).toBe('/mnt/nfs/snaplog');
    expect(config.mysql?.defaultsFile).toBe('/etc/mysql/backup.cnf');
    expect(config.locate('mysql', 'defaults_file')).toEqual({ file: azure, line: 5, key: 'credString' });
  });

  it("reads Azure's verbatim template (every key empty) next to snaplog.conf, warning about each empty key", async () => {
    const azure = await tmp.file('workload.conf', AZURE_TEMPLATE);
    const own = await tmp.file('snaplog.conf', DESIGN_SAMPLE);
    const { config, warnings } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.sources).toEqual([azure, own]);
    expect(config.workload).toEqual({ name: 'mariadb', linuxUser: 'root', ipcFolder: '/var/lib/snaplog/ipc', timeoutSeconds: 90 });
    expect(warnings).toContain(`${azure}, line 6, key 'ipc_folder': empty value, treated as unset; the value from ${own}, line 3 is used`);
    expect(warnings).toContain(`${azure}, line 8, key 'linux_user': empty value, treated as unset; the default (root) is used`);
    expect(warnings).toContain(`${azure}, line 4, key 'command_path': empty value, treated as unset; it stays unset`);
    expect(warnings.filter((w) => w.includes('empty value'))).toHaveLength(6);
  });

  it('uses the default snaplog.conf path when nothing else is given', async () => {
    const own = await tmp.file('snaplog.conf', DESIGN_SAMPLE);
    const { config } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.sources).toEqual([own]);
  });

  it('uses SNAPLOG_CONFIG instead of the default path', async () => {
    await tmp.file('snaplog.conf', DESIGN_SAMPLE);
    const fromEnv = await tmp.file('env.conf', DESIGN_SAMPLE.replace('/mnt/nfs/snaplog', '/from/env'));
    const { config } = await loadConfig(ENGINE_CONFIG, options({ env: { SNAPLOG_CONFIG: fromEnv } }));
    expect(config.sources).toEqual([fromEnv]);
    expect(config.archive.path).toBe('/from/env');
  });

  it('lets --config win over SNAPLOG_CONFIG', async () => {
    const fromEnv = await tmp.file('env.conf', DESIGN_SAMPLE.replace('/mnt/nfs/snaplog', '/from/env'));
    const explicit = await tmp.file('explicit.conf', DESIGN_SAMPLE.replace('/mnt/nfs/snaplog', '/from/flag'));
    const { config } = await loadConfig(ENGINE_CONFIG, options({ configPath: explicit, env: { SNAPLOG_CONFIG: fromEnv } }));
    expect(config.sources).toEqual([explicit]);
    expect(config.archive.path).toBe('/from/flag');
  });

  it('fails naming the --config file when it is missing, even if workload.conf exists', async () => {
    await tmp.file('workload.conf', AZURE_FILLED);
    const missing = join(tmp.dir, 'nope.conf');
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options({ configPath: missing })));
    expect(error.location).toEqual({ file: missing });
    expect(error.message).toBe(`${missing}: the config file named by --config does not exist`);
    expect(error.exitCode).toBe(2);
  });

  it('fails naming the SNAPLOG_CONFIG file when it is missing', async () => {
    await tmp.file('snaplog.conf', DESIGN_SAMPLE);
    const missing = join(tmp.dir, 'gone.conf');
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options({ env: { SNAPLOG_CONFIG: missing } })));
    expect(error.message).toBe(`${missing}: the config file named by SNAPLOG_CONFIG does not exist`);
  });

  it('fails naming both paths tried when neither file exists, with a hint on creating one', async () => {
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    const own = join(tmp.dir, 'snaplog.conf');
    const azure = join(tmp.dir, 'workload.conf');
    expect(error.message).toContain(`no config file found (tried ${own} and ${azure})`);
    expect(error.hint).toContain(`create ${own} with at least:\n[workload]\nworkload_name = mariadb`);
  });

  it('refuses a folder given as --config', async () => {
    const folder = join(tmp.dir, 'conf.d');
    await mkdir(folder);
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options({ configPath: folder })));
    expect(error.message).toContain(`${folder}: this is a folder, not a config file`);
  });
});

describe('loadConfig: errors and warnings name the right file', () => {
  it('warns about an unknown key with file, line and key', async () => {
    const own = await tmp.file('snaplog.conf', `${DESIGN_SAMPLE}\n[ship]\nrescan = 5s\n`);
    const { warnings } = await loadConfig(ENGINE_CONFIG, options());
    expect(warnings).toContain(`${own}, line 15, key 'rescan': unknown key in [ship], ignored (did you mean 'rescan_interval'?)`);
  });

  it('fails on a missing [archive] path, naming snaplog.conf and the key', async () => {
    await tmp.file('workload.conf', '[workload]\nworkload_name = mysql\n');
    const own = await tmp.file('snaplog.conf', '[mysql]\nsocket = /run/mysqld/mysqld.sock\n');
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    expect(error.location).toEqual({ file: own, key: 'path' });
    expect(error.message).toContain('required in section [archive]');
  });

  it('reports a syntax error in workload.conf with its file and line', async () => {
    const azure = await tmp.file('workload.conf', '[workload]\nworkload_name = mysql\ntimeout 90\n');
    await tmp.file('snaplog.conf', DESIGN_SAMPLE);
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    expect(error.location).toEqual({ file: azure, line: 3 });
  });

  it('reports a wrong type in the file that holds it', async () => {
    await tmp.file('workload.conf', AZURE_FILLED.replace('timeout = 90', 'timeout = ninety'));
    await tmp.file('snaplog.conf', '[archive]\npath = /a\n');
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    expect(error.describe()).toMatch(/^[^\n]*workload\.conf, line 4, key 'timeout': expected whole seconds \(e\.g\. 90\), found "ninety"\nHINT: /);
  });

  it('does not let an overridden bad value in workload.conf fail the load', async () => {
    await tmp.file('workload.conf', AZURE_FILLED.replace('timeout = 90', 'timeout = ninety'));
    await tmp.file('snaplog.conf', '[workload]\ntimeout = 120\n');
    const { config } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.workload.timeoutSeconds).toBe(120);
  });
});

describe('loadConfig: secret files named in the config', () => {
  const PASSWORD = 'Sup3r-Secret-Pw!';

  function configWithPasswordFile(path: string): string {
    return `[workload]\nworkload_name = mysql\n\n[mysql]\nsocket = /run/mysqld/mysqld.sock\npassword_file = ${path}\n\n[archive]\npath = /a\n`;
  }

  it('refuses a password file readable by others, naming file, line and key, without the password', async () => {
    const pw = await tmp.file('mysql.pw', `${PASSWORD}\n`, 0o644);
    const own = await tmp.file('snaplog.conf', configWithPasswordFile(pw));
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    expect(error.location).toEqual({ file: own, line: 6, key: 'password_file' });
    expect(error.message).toContain(`${pw} has mode 0644`);
    expect(error.hint).toBe(`chmod 600 ${pw}`);
    expect(error.describe()).not.toContain(PASSWORD);
  });

  it('accepts a 0600 password file', async () => {
    const pw = await tmp.file('mysql.pw', `${PASSWORD}\n`, 0o600);
    await tmp.file('snaplog.conf', configWithPasswordFile(pw));
    const { config, warnings } = await loadConfig(ENGINE_CONFIG, options());
    expect(config.mysql?.passwordFile).toBe(pw);
    expect(warnings).toEqual([]);
  });

  it('only warns when the password file does not exist yet', async () => {
    const pw = join(tmp.dir, 'later.pw');
    const own = await tmp.file('snaplog.conf', configWithPasswordFile(pw));
    const { warnings } = await loadConfig(ENGINE_CONFIG, options());
    expect(warnings).toEqual([`${own}, line 6, key 'password_file': ${pw} does not exist; connecting to the database will fail until it does`]);
  });

  it('checks the defaults file named in credString as well, naming the credString line', async () => {
    const cnf = await tmp.file('backup.cnf', `[client]\npassword=${PASSWORD}\n`, 0o640);
    const azure = await tmp.file('workload.conf', `[workload]\nworkload_name = mysql\ncredString = --defaults-extra-file=${cnf}\n[archive]\npath = /a\n`);
    const error = await asyncConfigErrorOf(loadConfig(ENGINE_CONFIG, options()));
    expect(error.location).toEqual({ file: azure, line: 3, key: 'credString' });
    expect(error.hint).toBe(`chmod 600 ${cnf}`);
    expect(error.describe()).not.toContain(PASSWORD);
  });
});
