import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

/** Runs an installed hook as its product does: a clean environment, no TTY, argv only. */
function runHook(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { PATH: '/usr/bin:/bin' }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('installed hooks, run the way each backup product runs them, against a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let root: string;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 30' });
    root = await makeTempDir('hookroot');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
  });
  afterAll(async () => {
    await snaplog(['thaw', '--config', setup.configPath]);
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir, root);
  });

  async function install(product: string): Promise<void> {
    const result = await snaplog(['hooks', 'install', '--for', product, '--root', root, '--config', setup.configPath, '--force']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }

  async function snapshotStates(): Promise<Record<string, string>> {
    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const dir = join(setup.archivePath, systems[0]!, 'snapshots');
    const states: Record<string, string> = {};
    for (const file of await readdir(dir)) states[file.replace(/\.json$/, '')] = JSON.parse(await readFile(join(dir, file), 'utf8')).status;
    return states;
  }

  async function freezeState(): Promise<{ state: string; snapshotId: string; product?: string }> {
    return JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8'));
  }

  async function expectCycle(pre: () => Promise<{ code: number; stderr: string }>, post: () => Promise<{ code: number; stderr: string }>, product: string): Promise<void> {
    const frozen = await pre();
    expect(frozen.stderr).toBe('');
    expect(frozen.code).toBe(0);
    const state = await freezeState();
    expect(state.state).toBe('frozen');
    expect(state.product).toBe(product);
    const thawed = await post();
    expect(thawed.stderr).toBe('');
    expect(thawed.code).toBe(0);
    expect((await snapshotStates())[state.snapshotId]).toBe('thawed');
  }

  it('azure: sh pre-script, sh post-script', async () => {
    await install('azure');
    const config = JSON.parse(await readFile(join(root, 'etc/azure/VMSnapshotScriptPluginConfig.json'), 'utf8'));
    await expectCycle(() => runHook('sh', [join(root, config.preScriptLocation)]), () => runHook('sh', [join(root, config.postScriptLocation)]), 'azure');
  });

  it('vmware: pre-freeze-script freeze, post-thaw-script thaw; freezeFail marks the snapshot failed', async () => {
    await install('vmware');
    const pre = join(root, 'usr/sbin/pre-freeze-script');
    const post = join(root, 'usr/sbin/post-thaw-script');
    await expectCycle(() => runHook(pre, ['freeze']), () => runHook(post, ['thaw']), 'vmware');
    expect((await runHook(pre, ['freeze'])).code).toBe(0);
    const { snapshotId } = await freezeState();
    const failed = await runHook(post, ['freezeFail']);
    expect(failed.code).toBe(0);
    expect((await snapshotStates())[snapshotId]).toBe('failed');
  });

  it('nakivo: the same scripts and arguments as VMware', async () => {
    await install('nakivo');
    await expectCycle(() => runHook(join(root, 'usr/sbin/pre-freeze-script'), ['freeze']), () => runHook(join(root, 'usr/sbin/post-thaw-script'), ['thaw']), 'nakivo');
  });

  it('veeam: pre and post scripts with nothing on stderr', async () => {
    await install('veeam');
    await expectCycle(() => runHook(join(root, 'etc/snaplog/hooks/veeam-pre.sh'), []), () => runHook(join(root, 'etc/snaplog/hooks/veeam-post.sh'), []), 'veeam');
  });

  it("gcp: pre.sh and post.sh with the agent's disk list", async () => {
    await install('gcp');
    await expectCycle(() => runHook(join(root, 'etc/google/snapshots/pre.sh'), ['disk-1,disk-2']), () => runHook(join(root, 'etc/google/snapshots/post.sh'), ['disk-1,disk-2']), 'gcp');
  });
});
