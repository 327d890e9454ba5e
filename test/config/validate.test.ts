import { describe, expect, it } from 'vitest';
import { parseConfigText as parseWith, parseIni, resolveConfig } from '../../src/config/index.js';
import { ENGINE_CONFIG } from '../../src/engines/registry.js';
import { configErrorOf, DESIGN_SAMPLE } from './helpers.js';

const parseConfigText = (text: string, file: string) => parseWith(text, file, ENGINE_CONFIG);

const FILE = '/etc/snaplog/snaplog.conf';
const MINIMAL = '[workload]\nworkload_name = mariadb\n[mysql]\nsocket = /run/mysqld/mysqld.sock\n[archive]\npath = /mnt/nfs/snaplog\n';

/** MINIMAL plus `extra` lines appended under `[section]`; returns the text and the line number of the first extra line. */
function withSection(section: string, ...extra: string[]): { text: string; line: number } {
  const text = `${MINIMAL}\n[${section}]\n${extra.join('\n')}\n`;
  return { text, line: MINIMAL.split('\n').length + 2 };
}

describe('parseConfigText: the design.md sample', () => {
  it('yields the documented values and defaults', () => {
    const { config, warnings } = parseConfigText(DESIGN_SAMPLE, FILE);
    expect(config.sources).toEqual([FILE]);
    expect(config.workload).toEqual({ name: 'mariadb', linuxUser: 'root', ipcFolder: '/var/lib/snaplog/ipc', timeoutSeconds: 90 });
    expect(config.mysql).toEqual({
      socket: '/run/mysqld/mysqld.sock',
      port: 3306,
      user: 'root',
      passwordFile: '/etc/snaplog/mysql.pw',
      freezeMethod: 'auto',
      binlogKeyAlgorithm: 'aes_cbc',
    });
    expect(config.archive).toEqual({ path: '/mnt/nfs/snaplog', compression: 'none' });
    expect(config.ship).toEqual({ tail: false, rescanIntervalSeconds: 10, concurrency: 2, retryMaxDelaySeconds: 60 });
    expect(config.events).toEqual({ maxBytes: 10 * 1024 * 1024 });
    expect(config.oracle).toBeUndefined();
    expect(config.iris).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('locate() names file, line and key of a value, and the file alone for a default', () => {
    const { config } = parseConfigText(DESIGN_SAMPLE, FILE);
    expect(config.locate('mysql', 'password_file')).toEqual({ file: FILE, line: 9, key: 'password_file' });
    expect(config.locate('WORKLOAD', 'Timeout')).toEqual({ file: FILE, line: 4, key: 'timeout' });
    expect(config.locate('mysql', 'port')).toEqual({ file: FILE, key: 'port' });
  });
});

describe('parseConfigText: every key', () => {
  it('reads every typed key', () => {
    const text = `
[workload]
workload_name = mysql
command_path = /usr/bin
linux_user = mysql
ipc_folder = /var/lib/mysql-files
timeout = 120
configuration_path = /etc/oratab
instance = IRIS

[mysql]
host = 10.0.0.5
port = 3307
user = backup
defaults_file = /etc/snaplog/my.cnf
binlog_dir = /data/binlogs
freeze_method = ftwrl
server_id = 4242
binlog_key_file = /etc/mysql/encryption/keyfile
binlog_key_algorithm = AES_CTR

[archive]
path = /mnt/nfs/snaplog
compression = zstd
system_id = db01

[ship]
max_log_age = 5m
tail = yes
rescan_interval = 30s
concurrency = 4
retry_max_delay = 2m

[events]
max_bytes = 64k

[oracle]
ORACLE_SID = ORCL
rman_channels = 4

[iris]
journal_dir = /iris/mgr/journal
`;
    const { config, warnings } = parseConfigText(text, FILE);
    expect(warnings).toEqual([]);
    expect(config.workload).toEqual({
      name: 'mysql',
      commandPath: '/usr/bin',
      linuxUser: 'mysql',
      ipcFolder: '/var/lib/mysql-files',
      timeoutSeconds: 120,
      configurationPath: '/etc/oratab',
      instance: 'IRIS',
    });
    expect(config.mysql).toEqual({
      host: '10.0.0.5',
      port: 3307,
      user: 'backup',
      defaultsFile: '/etc/snaplog/my.cnf',
      binlogDir: '/data/binlogs',
      freezeMethod: 'ftwrl',
      binlogKeyFile: '/etc/mysql/encryption/keyfile',
      binlogKeyAlgorithm: 'aes_ctr',
      serverId: 4242,
    });
    expect(config.archive).toEqual({ path: '/mnt/nfs/snaplog', compression: 'zstd', systemId: 'db01' });
    expect(config.ship).toEqual({ maxLogAgeSeconds: 300, tail: true, rescanIntervalSeconds: 30, concurrency: 4, retryMaxDelaySeconds: 120 });
    expect(config.events).toEqual({ maxBytes: 65536 });
    expect(config.oracle).toEqual({ ORACLE_SID: 'ORCL', rman_channels: '4' });
    expect(config.iris).toEqual({ journal_dir: '/iris/mgr/journal' });
    expect(config.locate('oracle', 'oracle_sid')).toMatchObject({ line: 38, key: 'ORACLE_SID' });
  });

  it('matches section and key names case-insensitively (Azure reads them with ConfigParser)', () => {
    const { config, warnings } = parseConfigText('[Workload]\nWORKLOAD_NAME = MySQL\ncredstring = x\n[ARCHIVE]\nPath = /a\n', FILE);
    expect(config.workload.name).toBe('mysql');
    expect(config.archive.path).toBe('/a');
    expect(warnings.some((w) => w.includes("key 'credstring'") && w.includes('credString is accepted'))).toBe(true);
  });

  it('leaves out [mysql] for other workloads, with a warning if it was written', () => {
    const { config, warnings } = parseConfigText('[workload]\nworkload_name = oracle\n[mysql]\nport = 3306\n[archive]\npath = /a\n', FILE);
    expect(config.mysql).toBeUndefined();
    expect(warnings).toEqual([`${FILE}, line 3: section [mysql] is ignored: workload_name is oracle`]);
  });
});

describe('parseConfigText: wrong types name file, line and key, what was expected and what was found', () => {
  it.each([
    ['workload', 'timeout', 'ninety', 'expected whole seconds (e.g. 90), found "ninety"'],
    ['workload', 'timeout', '0', 'expected whole seconds from 1 to 1800, found "0"'],
    ['workload', 'timeout', '3600', 'expected whole seconds from 1 to 1800, found "3600"'],
    ['workload', 'timeout', '90s', 'expected whole seconds (e.g. 90), found "90s"'],
    ['workload', 'workload_name', 'postgres', 'expected one of mysql, mariadb, oracle, iris, cache, found "postgres"'],
    ['workload', 'ipc_folder', 'var/lib/snaplog', 'expected an absolute path starting with /'],
    ['workload', 'command_path', 'bin', 'expected an absolute path starting with /'],
    ['workload', 'linux_user', 'two words', 'expected a user name without spaces'],
    ['mysql', 'port', 'mysql', 'expected a TCP port number (e.g. 3306), found "mysql"'],
    ['mysql', 'port', '70000', 'expected a TCP port number from 1 to 65535, found "70000"'],
    ['mysql', 'port', '0', 'expected a TCP port number from 1 to 65535, found "0"'],
    ['mysql', 'freeze_method', 'lock', 'expected one of auto, backup-stage, ftwrl, found "lock"'],
    ['mysql', 'server_id', '-1', 'expected a whole number from 1 to 4294967295, found "-1"'],
    ['mysql', 'password_file', 'mysql.pw', 'expected an absolute path starting with /'],
    ['mysql', 'socket', 'mysqld.sock', 'expected an absolute path starting with /'],
    ['archive', 'compression', 'lz4', 'expected one of none, gzip, zstd, found "lz4"'],
    ['archive', 'system_id', '../etc', "expected a name of letters, digits, '.', '_' and '-'"],
    ['ship', 'concurrency', 'many', 'expected a whole number (e.g. 2), found "many"'],
    ['ship', 'concurrency', '17', 'expected a whole number from 1 to 16, found "17"'],
    ['ship', 'concurrency', '0', 'expected a whole number from 1 to 16, found "0"'],
    ['ship', 'tail', 'maybe', 'expected true or false (also yes/no, on/off, 1/0), found "maybe"'],
    ['ship', 'max_log_age', '5 minutes', 'expected a duration: whole seconds, or a number with unit s, m or h (e.g. 5m), found "5 minutes"'],
    ['ship', 'max_log_age', '0', 'expected a duration of at least 1 second, found "0"'],
    ['ship', 'rescan_interval', 'often', 'expected a duration'],
    ['ship', 'retry_max_delay', '1d', 'expected a duration'],
    ['events', 'max_bytes', 'big', 'expected a size: bytes, or a number with unit k, m or g (e.g. 10m), found "big"'],
    ['events', 'max_bytes', '10', 'expected a size of at least 1k, found "10"'],
  ])('[%s] %s = %s', (section, key, value, expected) => {
    // workload keys go into the [workload] section already present: replace it wholesale
    const text =
      section === 'workload'
        ? `[archive]\npath = /mnt/nfs/snaplog\n\n[workload]\nworkload_name = ${key === 'workload_name' ? value : 'mariadb'}\n${key === 'workload_name' ? '' : `${key} = ${value}\n`}`
        : withSection(section, `${key} = ${value}`).text;
    const line = section === 'workload' ? (key === 'workload_name' ? 5 : 6) : withSection(section).line;
    const error = configErrorOf(() => parseConfigText(text, FILE));
    expect(error.location).toEqual({ file: FILE, line, key });
    expect(error.message).toContain(`${FILE}, line ${line}, key '${key}': ${expected}`);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain(`line ${line} of ${FILE}`);
  });

  it('reads like the 3 a.m. example', () => {
    const text = `[workload]\nworkload_name = mysql\n\n; comment\n\n\ntimeout = ninety\n[archive]\npath = /a\n`;
    const error = configErrorOf(() => parseConfigText(text, FILE));
    expect(error.describe()).toBe(
      `${FILE}, line 7, key 'timeout': expected whole seconds (e.g. 90), found "ninety"\n` +
        `HINT: write it like \`timeout = 90\` on line 7 of ${FILE}; the freeze is released after this many seconds; Azure Backup allows 60 to 1800`,
    );
  });

  it('suggests the nearest allowed value for an enum', () => {
    const error = configErrorOf(() => parseConfigText(withSection('archive', 'compression = gz').text, FILE));
    expect(error.hint).toContain('`compression = gzip`');
  });

  it('suggests the nearest workload_name of the registered engines', () => {
    const error = configErrorOf(() => parseConfigText(MINIMAL.replace('workload_name = mariadb', 'workload_name = mariadbb'), FILE));
    expect(error.location).toEqual({ file: FILE, line: 2, key: 'workload_name' });
    expect(error.message).toContain('expected one of mysql, mariadb, oracle, iris, cache, found "mariadbb"');
    expect(error.hint).toBe(`did you mean \`workload_name = mariadb\`? Fix line 2 of ${FILE}`);
  });
});

describe('parseConfigText: mandatory keys', () => {
  it('fails without [archive] path, naming the file and the key', () => {
    const error = configErrorOf(() => parseConfigText('[workload]\nworkload_name = mysql\n', FILE));
    expect(error.location).toEqual({ file: FILE, key: 'path' });
    expect(error.message).toContain(`${FILE}, key 'path': required in section [archive]`);
    expect(error.hint).toContain('[archive]\npath = /mnt/nfs/snaplog');
  });

  it('points at the [archive] header when the section exists without path', () => {
    const error = configErrorOf(() => parseConfigText('[workload]\nworkload_name = mysql\n[archive]\ncompression = gzip\n', FILE));
    expect(error.location).toEqual({ file: FILE, line: 3, key: 'path' });
  });

  it('points at the line when the mandatory value is empty', () => {
    const error = configErrorOf(() => parseConfigText('[workload]\nworkload_name = mysql\n[archive]\npath =\n', FILE));
    expect(error.location).toEqual({ file: FILE, line: 4, key: 'path' });
    expect(error.message).toContain('its value is empty');
  });

  it('fails without workload_name', () => {
    const error = configErrorOf(() => parseConfigText('[archive]\npath = /a\n', FILE));
    expect(error.location).toEqual({ file: FILE, key: 'workload_name' });
    expect(error.message).toContain('required in section [workload]');
  });
});

describe('parseConfigText: warnings', () => {
  it('warns about an unknown key with file, line, key and a suggestion', () => {
    const { config, warnings } = parseConfigText(`${MINIMAL}[ship]\nconcurency = 4\n`, FILE);
    expect(config.ship.concurrency).toBe(2);
    expect(warnings).toEqual([`${FILE}, line 8, key 'concurency': unknown key in [ship], ignored (did you mean 'concurrency'?)`]);
  });

  it('says which section a misplaced key belongs to', () => {
    const { warnings } = parseConfigText(`${MINIMAL}[mysql]\ncompression = gzip\n`, FILE);
    expect(warnings).toEqual([`${FILE}, line 8, key 'compression': unknown key in [mysql], ignored (did you mean to put it in [archive]?)`]);
  });

  it('warns about an unknown section once, with a suggestion, and ignores its keys', () => {
    const { warnings } = parseConfigText(`${MINIMAL}[mysqld]\nsocket = /tmp/x.sock\nport = 1\n`, FILE);
    expect(warnings).toContain(`${FILE}, line 7: unknown section [mysqld]; its keys are ignored (did you mean [mysql]?)`);
    expect(warnings.filter((w) => w.includes('mysqld'))).toHaveLength(1);
  });

  it('accepts any key in [oracle] and [iris] without warnings', () => {
    const { config, warnings } = parseConfigText(`${MINIMAL}[oracle]\nanything_at_all = 1\n[iris]\nWhatever = x y z\n`, FILE);
    expect(warnings).toEqual([]);
    expect(config.oracle).toEqual({ anything_at_all: '1' });
    expect(config.iris).toEqual({ Whatever: 'x y z' });
  });

  it('treats an empty value as unset, with a warning naming the line', () => {
    const { config, warnings } = parseConfigText(`[workload]\nworkload_name = mariadb\nipc_folder =\ncommand_path =\n[archive]\npath = /a\n`, FILE);
    expect(config.workload.ipcFolder).toBe('/var/lib/snaplog/ipc');
    expect(config.workload.commandPath).toBeUndefined();
    expect(warnings).toContain(`${FILE}, line 3, key 'ipc_folder': empty value, treated as unset; the default (/var/lib/snaplog/ipc) is used`);
    expect(warnings).toContain(`${FILE}, line 4, key 'command_path': empty value, treated as unset; it stays unset`);
  });

  it('warns when a key is set twice in one file; the later line wins', () => {
    const { config, warnings } = parseConfigText(`${MINIMAL}[ship]\nconcurrency = 3\nconcurrency = 5\n`, FILE);
    expect(config.ship.concurrency).toBe(5);
    expect(config.locate('ship', 'concurrency').line).toBe(9);
    expect(warnings).toEqual([`${FILE}, line 9, key 'concurrency': also set on line 8 of this file; this later line wins`]);
  });

  it('accepts a timeout below 60 with a warning, and above 1800 not at all', () => {
    const { config, warnings } = parseConfigText(`${MINIMAL.replace('mariadb', 'mariadb\ntimeout = 30')}`, FILE);
    expect(config.workload.timeoutSeconds).toBe(30);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${FILE}, line 3, key 'timeout': 30 seconds is below Azure Backup's minimum of 60`))]);
    expect(() => parseConfigText(MINIMAL.replace('mariadb', 'mariadb\ntimeout = 1801'), FILE)).toThrow(/from 1 to 1800/);
  });

  it('defaults the socket, with a warning, when neither socket nor host is given', () => {
    const { config, warnings } = parseConfigText('[workload]\nworkload_name = mysql\n[archive]\npath = /a\n', FILE);
    expect(config.mysql?.socket).toBe('/run/mysqld/mysqld.sock');
    expect(warnings).toEqual([
      `${FILE}, key 'socket': neither socket nor host is set in [mysql]; using socket /run/mysqld/mysqld.sock. Set one of them to silence this`,
    ]);
    const withHost = parseConfigText('[workload]\nworkload_name = mysql\n[archive]\npath = /a\n[mysql]\nhost = db.example\n', FILE);
    expect(withHost.config.mysql?.socket).toBeUndefined();
    expect(withHost.config.mysql?.host).toBe('db.example');
    expect(withHost.warnings).toEqual([]);
  });

  it('warns about a password written into the config, without echoing it', () => {
    const { warnings } = parseConfigText(`${MINIMAL}[mysql]\npassword = Hunter2-Secret\n`, FILE);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${FILE}, line 8, key 'password': a password must not be written in the config file`);
    expect(warnings.join('\n')).not.toContain('Hunter2-Secret');
  });

  it("names Azure's own keys and sections as unused rather than as typos", () => {
    const { warnings } = parseConfigText(`${MINIMAL.replace('mariadb', 'mariadb\ndbnames = a;b')}[logbackup]\nloginPath = x\n`, FILE);
    expect(warnings).toContain(`${FILE}, line 3, key 'dbnames': Azure Backup key not used by snaplog; ignored`);
    expect(warnings).toContain(`${FILE}, line 8: section [logbackup] belongs to Azure Backup's own scripts; snaplog ignores it`);
  });
});

describe('parseConfigText: credString', () => {
  it('takes --defaults-extra-file=PATH as the mysql defaults file, and warns that it is not used on a command line', () => {
    const { config, warnings } = parseConfigText(MINIMAL.replace('mariadb', 'mariadb\ncredString = --defaults-extra-file=/etc/mysql/backup.cnf'), FILE);
    expect(config.mysql?.defaultsFile).toBe('/etc/mysql/backup.cnf');
    expect(config.locate('mysql', 'defaults_file')).toEqual({ file: FILE, line: 3, key: 'credString' });
    expect(warnings).toContain(
      `${FILE}, line 3, key 'credString': credString is accepted for compatibility with Azure Backup, but snaplog never puts it on a command line (it would show in ps and in logs); it reads the password from the option file named here (/etc/mysql/backup.cnf) instead, as [mysql] defaults_file`,
    );
  });

  it('also understands --defaults-file="PATH" among other options', () => {
    const { config } = parseConfigText(MINIMAL.replace('mariadb', 'mariadb\ncredString = -u backup --defaults-file="/etc/my backup.cnf"'), FILE);
    expect(config.mysql?.defaultsFile).toBe('/etc/my backup.cnf');
  });

  it('lets [mysql] defaults_file win over credString', () => {
    const text = `${MINIMAL.replace('mariadb', 'mariadb\ncredString = --defaults-extra-file=/etc/mysql/backup.cnf')}[mysql]\ndefaults_file = /etc/snaplog/my.cnf\n`;
    const { config, warnings } = parseConfigText(text, FILE);
    expect(config.mysql?.defaultsFile).toBe('/etc/snaplog/my.cnf');
    expect(config.locate('mysql', 'defaults_file').key).toBe('defaults_file');
    expect(warnings.some((w) => w.includes('[mysql] defaults_file is set, so the option file named here is not used'))).toBe(true);
  });

  it('refuses a relative defaults file in credString, naming the credString line', () => {
    const error = configErrorOf(() => parseConfigText(MINIMAL.replace('mariadb', 'mariadb\ncredString = --defaults-extra-file=backup.cnf'), FILE));
    expect(error.location).toEqual({ file: FILE, line: 3, key: 'credString' });
  });

  it('ignores credString for workloads other than MySQL/MariaDB, with a warning', () => {
    const { config, warnings } = parseConfigText(
      '[workload]\nworkload_name = oracle\ncredString = --defaults-extra-file=/etc/x.cnf\n[archive]\npath = /a\n',
      FILE,
    );
    expect(config.mysql).toBeUndefined();
    expect(warnings).toEqual([
      `${FILE}, line 3, key 'credString': credString is accepted for compatibility with Azure Backup; snaplog does not use it for this workload`,
    ]);
  });

  it('warns about a password in credString without repeating it', () => {
    const { config, warnings } = parseConfigText(MINIMAL.replace('mariadb', 'mariadb\ncredString = -uroot -pTopSecret99'), FILE);
    expect(config.mysql?.defaultsFile).toBeUndefined();
    expect(warnings.some((w) => w.includes('credString appears to contain a password'))).toBe(true);
    expect(warnings.some((w) => w.includes('it is ignored. Set [mysql] password_file or defaults_file instead'))).toBe(true);
    expect(warnings.join('\n')).not.toContain('TopSecret99');
  });
});

describe('resolveConfig: precedence', () => {
  it('lets the later document win key by key and records where each value came from', () => {
    const azure = parseIni('[workload]\nworkload_name = mysql\ntimeout = 120\nipc_folder = /var/lib/mysql-files\n', '/etc/azure/workload.conf');
    const own = parseIni('[workload]\ntimeout = 300\nipc_folder =\n[archive]\npath = /a\n', FILE);
    const { config, warnings } = resolveConfig([azure, own], ENGINE_CONFIG);
    expect(config.sources).toEqual(['/etc/azure/workload.conf', FILE]);
    expect(config.workload.name).toBe('mysql');
    expect(config.workload.timeoutSeconds).toBe(300);
    expect(config.workload.ipcFolder).toBe('/var/lib/mysql-files');
    expect(config.locate('workload', 'timeout')).toEqual({ file: FILE, line: 2, key: 'timeout' });
    expect(config.locate('workload', 'workload_name')).toEqual({ file: '/etc/azure/workload.conf', line: 2, key: 'workload_name' });
    expect(warnings).toContain(`${FILE}, line 3, key 'ipc_folder': empty value, treated as unset; the value from /etc/azure/workload.conf, line 4 is used`);
  });
});
