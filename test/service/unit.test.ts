import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir, removeDirs, writeSnaplogConfig } from '../support/mariadb.js';
import type { SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

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

  it('refuses to replace a foreign unit without --force', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'etc/systemd/system/snaplog-ship.service'), '[Unit]\nDescription=hand-made\n');
    const result = await snaplog(['service', 'install', '--root', root, '--config', setup.configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not written by snaplog/);
    expect(await readFile(join(root, 'etc/systemd/system/snaplog-ship.service'), 'utf8')).toContain('hand-made');
  });
});
