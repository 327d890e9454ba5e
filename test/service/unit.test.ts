import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmod, chown, copyFile, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { makeTempDir, removeDirs, writeSnaplogConfig } from '../support/mariadb.js';
import type { SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { shipServiceUnit } from '../../src/ship/unit.js';
import { parseConfigText } from '../../src/config/index.js';
import { ENGINE_CONFIG, shipServiceNeedsOf } from '../../src/engines/registry.js';

describe('snaplog service install', () => {
  let root: string;
  let setup: SnaplogTestSetup;
  beforeAll(async () => {
    root = await makeTempDir('unitroot');
    setup = await writeSnaplogConfig({ socket: '/run/mysqld/mysqld.sock' });
  });
  afterAll(async () => {
    await removeDirs(root, setup?.dir);
  });

  it('writes a hardened unit that runs ship with this config and may write only the archive and ipc folder', async () => {
    const result = await snaplog(['service', 'install', '--root', root, '--config', setup.configPath]);
    expect(result.code).toBe(0);
    const unit = await readFile(join(root, 'etc/systemd/system/snaplog-ship.service'), 'utf8');
    expect(unit).toContain(`--config ${setup.configPath} ship`);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toContain(`ReadWritePaths=${setup.archivePath} ${setup.ipcFolder}`);
    expect(unit).toMatch(/^User=root$/m);
    const verify = (() => {
      try {
        return execFileSync('systemd-analyze', ['verify', join(root, 'etc/systemd/system/snaplog-ship.service')], { stdio: 'pipe' }).toString();
      } catch (error) {
        return String((error as { stderr?: Buffer }).stderr ?? '');
      }
    })();
    expect(verify).not.toMatch(/Unknown (key|section)/);
  });

  it("the sandbox is kept unless the service starts the database's own programs (IRIS/Caché, Oracle with OS authentication)", () => {
    const needs = (text: string) => shipServiceNeedsOf(parseConfigText(`[archive]\npath = /mnt/nfs/snaplog\n${text}`, 'snaplog.conf', ENGINE_CONFIG).config);
    expect(needs('[workload]\nworkload_name = mariadb\n[mysql]\nbinlog_dir = /var/log/mysql\n')).toEqual({
      startsDatabaseTools: false,
      readablePaths: ['/var/log/mysql'],
    });
    expect(needs('[workload]\nworkload_name = iris\n').startsDatabaseTools).toBe(true);
    expect(needs('[workload]\nworkload_name = cache\n').startsDatabaseTools).toBe(true);
    expect(needs('[workload]\nworkload_name = oracle\n[oracle]\nsid = ORCL\n').startsDatabaseTools).toBe(true);
    expect(
      needs('[workload]\nworkload_name = oracle\n[oracle]\nPASSWORD_FILE = /etc/snaplog/oracle.pw\nconnect_string = db:1521/ORCL\n').startsDatabaseTools,
    ).toBe(false);
    const options = {
      snaplogCommand: ['/usr/bin/node', '/opt/snaplog/bin/snaplog'],
      databaseUser: 'oracle',
      writablePaths: ['/mnt/archive', '/var/lib/snaplog/ipc'],
    };
    expect(shipServiceUnit({ ...options, startsDatabaseTools: false })).toMatch(
      /^ProtectSystem=strict\nProtectHome=read-only\nReadWritePaths=\/mnt\/archive \/var\/lib\/snaplog\/ipc$/m,
    );
    expect(shipServiceUnit({ ...options, startsDatabaseTools: true })).not.toMatch(/ProtectSystem|NoNewPrivileges=/);
  });

  it('refuses to replace a foreign unit without --force', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'etc/systemd/system/snaplog-ship.service'), '[Unit]\nDescription=hand-made\n');
    const result = await snaplog(['service', 'install', '--root', root, '--config', setup.configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not written by snaplog/);
    expect(await readFile(join(root, 'etc/systemd/system/snaplog-ship.service'), 'utf8')).toContain('hand-made');
  });
});

describe('the ship service with [workload] linux_user (a fake `iris` instance: no IRIS can run here)', () => {
  const FAKE = resolve(import.meta.dirname, '../iris/fake-iris.mjs');
  let dir: string;
  let fake: string;
  let statePath: string;
  let configPath: string;
  let ipcFolder: string;
  let archivePath: string;
  const env = () => ({ FAKE_IRIS_STATE: statePath });
  const cli = (args: string[]) => snaplog([...args, '--config', configPath], { env: env() });
  const calls = async (): Promise<{ uid: number; entry?: string }[]> =>
    (await readFile(join(fake, 'calls.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  beforeEach(async () => {
    dir = await makeTempDir('service-user');
    await chmod(dir, 0o711);
    // The fake instance runs as linux_user = nobody: its state lives where nobody may write.
    fake = join(dir, 'fake');
    const journalDir = join(fake, 'journal');
    await mkdir(join(journalDir), { recursive: true });
    await chmod(fake, 0o777);
    await chmod(journalDir, 0o777);
    for (const name of ['20261122.001', '20261122.002', '20261122.003'])
      await writeFile(join(journalDir, name), Buffer.alloc(4096, name.length), { mode: 0o666 });
    statePath = join(fake, 'state.json');
    await writeFile(statePath, JSON.stringify({ journalDir, current: '20261122.003' }));
    await chmod(statePath, 0o666);
    await mkdir(join(dir, 'bin'));
    // The fake runs as nobody: a copy in this test's folder, wherever the checkout lives (a 0700 clone folder is not nobody's to read).
    const fakeCopy = join(dir, 'bin', 'fake-iris.mjs');
    await copyFile(FAKE, fakeCopy);
    await chmod(fakeCopy, 0o644);
    await writeFile(join(dir, 'bin', 'iris'), `#!${process.execPath}\nimport(${JSON.stringify(fakeCopy)});\n`, { mode: 0o755 });
    ipcFolder = join(dir, 'ipc');
    archivePath = join(dir, 'archive');
    configPath = join(dir, 'snaplog.conf');
    await writeFile(
      configPath,
      [
        '[workload]',
        'workload_name = iris',
        'instance = IRIS',
        `command_path = ${join(dir, 'bin')}`,
        'linux_user = nobody',
        `ipc_folder = ${ipcFolder}`,
        'timeout = 30',
        '',
        '[archive]',
        `path = ${archivePath}`,
        '',
      ].join('\n'),
    );
    expect((await cli(['archive', 'init', '--force'])).code).toBe(0);
  });
  afterEach(async () => {
    await cli(['thaw']);
    await removeDirs(dir);
  });

  it('the unit runs as root and names linux_user for the database tools; systemd-analyze verify accepts it; its own command ships, with every instance call made as nobody', async () => {
    const root = join(dir, 'root');
    expect((await cli(['service', 'install', '--root', root])).code).toBe(0);
    const unitPath = join(root, 'etc/systemd/system/snaplog-ship.service');
    const unit = await readFile(unitPath, 'utf8');
    expect(unit).toMatch(/^User=root$/m);
    expect(unit).toMatch(/linux_user = nobody is used\n# only for the database's own tools/);
    // iris terminal (maybe setuid) runs from the service and reaches the instance's files: no sandbox that would stop it.
    expect(unit).not.toMatch(/^(NoNewPrivileges|ProtectSystem|ProtectHome|PrivateTmp|ReadWritePaths)=/m);
    expect(unit).toMatch(/^# No file-system sandbox and no NoNewPrivileges: the database's own client programs run from here/m);
    expect(unit).toMatch(/^ProtectKernelTunables=yes$/m);
    const verify = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    if (!verify.error) expect(verify.status, verify.stderr).toBe(0);
    if (!verify.error) expect(`${verify.stdout}${verify.stderr}`.split('\n').filter((line) => line.includes('snaplog-ship.service'))).toEqual([]);

    // ExecStart as systemd would run it (root), once.
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    const ship = spawnSync(execStart[0]!, [...execStart.slice(1), '--once'], { env: { ...process.env, ...env() }, encoding: 'utf8' });
    expect(ship.status, ship.stderr).toBe(0);
    const system = (await readdir(archivePath)).filter((entry) => !entry.startsWith('.'))[0]!;
    expect((await readdir(join(archivePath, system, 'logs'))).sort()).toEqual(['20261122.001', '20261122.001.json', '20261122.002', '20261122.002.json']);
    const seen = await calls();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((call) => call.uid === 65534)).toBe(true);
    expect((await stat(ipcFolder)).uid).toBe(0);
  });

  it('an ipc folder owned by another user is refused with what to do; symlinks planted in the ipc folder are never followed', async () => {
    await mkdir(ipcFolder, { recursive: true, mode: 0o700 });
    await chown(ipcFolder, 65534, 65534);
    const refused = await cli(['freeze']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the ipc folder .* is owned by uid 65534, not by root \(uid 0\)/);
    expect(refused.stderr).toMatch(/HINT: give it back: chown 0:0/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(await readFile(statePath, 'utf8')).frozen).toBeUndefined();
    // Its state is not believed either: thaw and status say what is wrong instead of reading it.
    await writeFile(join(ipcFolder, 'freeze.json'), JSON.stringify({ state: 'frozen', snapshotId: 'forged', holderPid: process.pid }));
    for (const command of ['thaw', 'status']) {
      const result = await cli([command]);
      expect(result.code, command).toBe(1);
      expect(result.stderr).toMatch(/the ipc folder .* is owned by uid 65534/);
    }
    await rm(join(ipcFolder, 'freeze.json'));

    await chown(ipcFolder, 0, 0);
    const victims = ['freeze.json', 'events.jsonl', 'holder.log', 'ship-status.json'];
    for (const name of victims) {
      await writeFile(join(dir, `victim-${name}`), 'not yours\n');
      await rm(join(ipcFolder, name), { force: true });
      await symlink(join(dir, `victim-${name}`), join(ipcFolder, name));
    }
    await cli(['status']);
    await cli(['thaw']);
    await cli(['freeze']);
    await cli(['thaw']);
    await cli(['ship', '--once']);
    for (const name of victims) expect(await readFile(join(dir, `victim-${name}`), 'utf8')).toBe('not yours\n');
    // State files are replaced by rename, so the link itself is gone; the logs refuse to write through one.
    expect((await lstat(join(ipcFolder, 'freeze.json'))).isFile()).toBe(true);
    expect(JSON.parse(await readFile(statePath, 'utf8')).frozen).not.toBe(true);
  });
});
