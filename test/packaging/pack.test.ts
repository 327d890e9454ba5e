import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeDirs } from '../support/mariadb.js';

const run = promisify(execFile);
const projectRoot = resolve(import.meta.dirname, '../..');

/** What a database VM without internet does: install the packed tarball, nothing else. */
describe('npm pack: an offline-installable package', () => {
  let dir: string;
  let tarball: string;
  let prefix: string;
  beforeAll(async () => {
    dir = await makeTempDir('pack');
    // --ignore-scripts: the test command already built dist/; prepack would rebuild it under running tests.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: projectRoot, maxBuffer: 256 << 20 });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    tarball = join(dir, packed?.filename ?? 'missing.tgz');
    prefix = join(dir, 'prefix');
    // An empty cache and --offline: anything not inside the tarball would fail to install.
    await run('npm', ['install', '--global', '--offline', '--cache', join(dir, 'empty-cache'), '--prefix', prefix, tarball], { cwd: dir, maxBuffer: 64 << 20 });
  }, 240_000);
  afterAll(async () => {
    await removeDirs(dir);
  });

  it('installs from the tarball alone and runs snaplog --help', async () => {
    const { stdout } = await run(join(prefix, 'bin/snaplog'), ['--help'], { env: { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin` } });
    expect(stdout).toMatch(/^Usage: snaplog/m);
    expect(stdout).toContain('restore');
  });

  it('runs a real command from the installed copy (config check)', async () => {
    const config = join(dir, 'snaplog.conf');
    await writeFile(config, '[workload]\nworkload_name = mariadb\n\n[mysql]\nsocket = /run/mysqld/mysqld.sock\n\n[archive]\npath = /mnt/nfs/snaplog\n');
    const { stdout } = await run(join(prefix, 'bin/snaplog'), ['config', 'check', '--config', config], {
      env: { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin` },
    });
    expect(stdout).toMatch(/^config OK/);
  });

  it('carries its runtime dependencies and none of the development ones', async () => {
    const installed = join(prefix, 'lib/node_modules/snaplog');
    const modules = await readdir(join(installed, 'node_modules'));
    const manifest = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies)) expect(modules).toContain(name.split('/')[0]);
    for (const name of Object.keys(manifest.devDependencies)) {
      const [scope, scoped] = name.startsWith('@') ? name.split('/') : [undefined, name];
      if (scope === undefined) expect(modules).not.toContain(name);
      else if (modules.includes(scope)) expect(await readdir(join(installed, 'node_modules', scope))).not.toContain(scoped);
    }
    expect(await readdir(installed)).not.toContain('test');
    expect(await readdir(installed)).not.toContain('src');
  });
});
