/**
 * The installed hooks, run the way each backup agent runs them (test/hooks/agents.ts: arguments,
 * environment, working folder, google-guest-agent's kill of the direct child at its timeout), against a real
 * MariaDB: the lock is held between pre and post and released once, and the failure cases leave the
 * database writable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig, writable } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { eventually } from '../support/observe.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { isHolderProcess } from '../../src/state/freeze-state.js';
import type { FreezeState } from '../../src/state/freeze-state.js';
import { runAsAzure, runAsGcpAgent, runAsNakivoSsh, runAsVeeam, runAsVmtools } from './agents.js';
import type { AgentRun } from './agents.js';

async function freezeState(setup: SnaplogTestSetup): Promise<FreezeState> {
  return JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8')) as FreezeState;
}

async function snapshotStates(setup: SnaplogTestSetup): Promise<Record<string, string>> {
  const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.') && entry !== 'lost+found');
  const dir = join(setup.archivePath, systems[0]!, 'snapshots');
  const states: Record<string, string> = {};
  for (const file of await readdir(dir))
    states[file.replace(/\.json$/, '')] = (JSON.parse(await readFile(join(dir, file), 'utf8')) as { status: string }).status;
  return states;
}

async function events(setup: SnaplogTestSetup, snapshotId: string): Promise<{ type: string; [key: string]: unknown }[]> {
  const text = await readFile(join(setup.ipcFolder, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; snapshotId?: string })
    .filter((event) => event.snapshotId === snapshotId);
}

async function install(root: string, setup: SnaplogTestSetup, product: string): Promise<string> {
  const result = await snaplog(['hooks', 'install', '--for', product, '--root', root, '--config', setup.configPath, '--force']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

function expectQuietSuccess(run: AgentRun): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

describe('installed hooks, run the way each backup agent runs them, against a real MariaDB', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let root: string;

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 30' });
    root = await makeTempDir('hookroot');
    await mkdir(join(root, 'etc/default'), { recursive: true });
    await writeFile(join(root, 'etc/default/instance_configs.cfg'), '[Snapshots]\nenabled = yes\ntimeout_in_seconds = 60\n');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
  });
  afterEach(async () => {
    await snaplog(['thaw', '--config', setup.configPath]);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir, root);
  });

  async function expectCycle(pre: () => Promise<AgentRun>, post: () => Promise<AgentRun>, product: string): Promise<string> {
    expectQuietSuccess(await pre());
    const state = await freezeState(setup);
    expect(state.state).toBe('frozen');
    expect(state.product).toBe(product);
    expect(await writable(server)).toBe(false);
    expectQuietSuccess(await post());
    expect(await writable(server)).toBe(true);
    expect((await snapshotStates(setup))[state.snapshotId]).toBe('thawed');
    return state.snapshotId;
  }

  it('azure: `sh SCRIPT` from the extension folder', async () => {
    await install(root, setup, 'azure');
    const config = JSON.parse(await readFile(join(root, 'etc/azure/VMSnapshotScriptPluginConfig.json'), 'utf8')) as {
      preScriptLocation: string;
      postScriptLocation: string;
    };
    await expectCycle(
      () => runAsAzure(join(root, config.preScriptLocation)),
      () => runAsAzure(join(root, config.postScriptLocation)),
      'azure',
    );
  });

  it('vmware: vmtoolsd runs pre-freeze-script freeze, post-thaw-script thaw; freezeFail marks the snapshot failed', async () => {
    await install(root, setup, 'vmware');
    const pre = join(root, 'usr/sbin/pre-freeze-script');
    const post = join(root, 'usr/sbin/post-thaw-script');
    await expectCycle(
      () => runAsVmtools(pre, 'freeze'),
      () => runAsVmtools(post, 'thaw'),
      'vmware',
    );
    expectQuietSuccess(await runAsVmtools(pre, 'freeze'));
    const { snapshotId } = await freezeState(setup);
    expectQuietSuccess(await runAsVmtools(post, 'freezeFail'));
    expect(await writable(server)).toBe(true);
    expect((await snapshotStates(setup))[snapshotId]).toBe('failed');
  });

  it('nakivo on VMware: through VMware Tools, with its arguments', async () => {
    await install(root, setup, 'nakivo');
    await expectCycle(
      () => runAsVmtools(join(root, 'usr/sbin/pre-freeze-script'), 'freeze'),
      () => runAsVmtools(join(root, 'usr/sbin/post-thaw-script'), 'thaw'),
      'nakivo',
    );
  });

  it('nakivo on EC2/Hyper-V: the same files run over SSH with sudo, no argument, from the login folder', async () => {
    await install(root, setup, 'nakivo');
    await expectCycle(
      () => runAsNakivoSsh(join(root, 'usr/sbin/pre-freeze-script')),
      () => runAsNakivoSsh(join(root, 'usr/sbin/post-thaw-script')),
      'nakivo',
    );
  });

  it('veeam: the uploaded stub in /tmp execs the installed scripts; nothing on stderr', async () => {
    await install(root, setup, 'veeam');
    await expectCycle(
      () => runAsVeeam(join(root, 'etc/snaplog/hooks/veeam-pre.sh')),
      () => runAsVeeam(join(root, 'etc/snaplog/hooks/veeam-post.sh')),
      'veeam',
    );
  });

  it('veeam: an events file that cannot be written does not reach stderr (a warning on stdout, the job log)', async () => {
    await install(root, setup, 'veeam');
    const eventsFile = join(setup.ipcFolder, 'events.jsonl');
    const saved = await readFile(eventsFile, 'utf8');
    await rm(eventsFile);
    await mkdir(eventsFile);
    try {
      const pre = await runAsVeeam(join(root, 'etc/snaplog/hooks/veeam-pre.sh'));
      expectQuietSuccess(pre);
      expect(pre.stdout).toMatch(/warning: snaplog: could not write event freeze-start/);
      expect((await freezeState(setup)).state).toBe('frozen');
      expectQuietSuccess(await runAsVeeam(join(root, 'etc/snaplog/hooks/veeam-post.sh')));
      expect(await writable(server)).toBe(true);
    } finally {
      await rm(eventsFile, { recursive: true, force: true });
      await writeFile(eventsFile, saved, { mode: 0o600 });
    }
  });

  it("gcp: the agent's `pre.sh DISKS` / `post.sh DISKS`, with its settings read from its own files", async () => {
    await install(root, setup, 'gcp');
    const env = { SNAPLOG_HOOKS_ROOT: root };
    const snapshotId = await expectCycle(
      () => runAsGcpAgent(join(root, 'etc/google/snapshots/pre.sh'), 'disk-1,disk-2', 60, env),
      () => runAsGcpAgent(join(root, 'etc/google/snapshots/post.sh'), 'disk-1,disk-2', 60, env),
      'gcp',
    );
    const start = (await events(setup, snapshotId)).find((event) => event.type === 'freeze-start');
    expect(start).toMatchObject({ disks: ['disk-1', 'disk-2'], agentTimeoutSeconds: 60, stepBudgetSeconds: expect.any(Number) });
    expect(start?.stepBudgetSeconds as number).toBeLessThanOrEqual(50);
  });

  it('freeze --agent-timeout takes whole seconds or gcp; anything else is a usage error and nothing is frozen', async () => {
    const bad = await snaplog(['freeze', '--agent-timeout', 'soon', '--config', setup.configPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--agent-timeout must be whole seconds or 'gcp', got 'soon'\nHINT: /);
    expect(await writable(server)).toBe(true);
    const ok = await snaplog(['freeze', '--agent-timeout', '120', '--json', '--config', setup.configPath]);
    expect(ok.code).toBe(0);
    expect((await events(setup, (JSON.parse(ok.stdout) as { snapshotId: string }).snapshotId)).find((event) => event.type === 'freeze-start')).toMatchObject({
      agentTimeoutSeconds: 120,
    });
  });

  it('veeam + vmware installed, a Veeam job quiescing with VMware Tools: both hooks run for one snapshot, the lock is taken and released once', async () => {
    const both = await makeTempDir('hookroot-both');
    try {
      await install(both, setup, 'veeam');
      const warning = await install(both, setup, 'vmware');
      expect(warning).toMatch(/WARNING: snaplog hooks for vmware and veeam are installed: a Veeam job that quiesces with VMware Tools runs both/);
      const status = await snaplog(['hooks', 'status', '--root', both, '--json']);
      expect((JSON.parse(status.stdout) as { installed: string[]; warnings: string[] }).installed).toEqual(['vmware', 'veeam']);

      // Veeam's order: its pre-freeze script, then the VMware snapshot (VMware Tools' freeze and thaw), then its post-thaw script.
      expectQuietSuccess(await runAsVeeam(join(both, 'etc/snaplog/hooks/veeam-pre.sh')));
      const owner = await freezeState(setup);
      expect(owner).toMatchObject({ state: 'frozen', product: 'veeam' });
      const nested = await runAsVmtools(join(both, 'usr/sbin/pre-freeze-script'), 'freeze');
      expectQuietSuccess(nested);
      expect(nested.stdout).toMatch(/frozen \(joined\): snapshot .* already frozen by veeam's hook/);
      expect(await freezeState(setup)).toMatchObject({ snapshotId: owner.snapshotId, holderPid: owner.holderPid, state: 'frozen' });
      expect(await writable(server)).toBe(false);

      const vmwareThaw = await runAsVmtools(join(both, 'usr/sbin/post-thaw-script'), 'thaw');
      expectQuietSuccess(vmwareThaw);
      expect(vmwareThaw.stdout).toMatch(/the lock stays until veeam thaws/);
      expect((await freezeState(setup)).state).toBe('frozen');
      expect(await isHolderProcess(owner.holderPid, owner.snapshotId)).toBe(true);
      expect(await writable(server)).toBe(false);

      expectQuietSuccess(await runAsVeeam(join(both, 'etc/snaplog/hooks/veeam-post.sh')));
      expect(await writable(server)).toBe(true);
      expect((await freezeState(setup)).state).toBe('thawed');
      expect((await snapshotStates(setup))[owner.snapshotId]).toBe('thawed');
      const types = (await events(setup, owner.snapshotId)).map((event) => event.type);
      expect(types.filter((type) => type === 'freeze-start')).toHaveLength(1);
      expect(types.filter((type) => type === 'frozen')).toHaveLength(1);
      expect(types.filter((type) => type === 'thawed')).toHaveLength(1);
      expect(types).toContain('freeze-nested');
      expect(types).toContain('thaw-nested');
      expect(types.indexOf('thaw-nested')).toBeLessThan(types.indexOf('thawed'));
    } finally {
      await removeDirs(both);
    }
  });
});

describe("gcp: the archive hangs past google-guest-agent's timeout (real MariaDB, archive on a frozen ext4 image)", () => {
  const AGENT_TIMEOUT_SECONDS = 10;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let archiveDisk: MountedImage | undefined;
  let frozenFs = false;
  let root: string;

  beforeAll(async () => {
    server = await startMariadb();
    archiveDisk = await createMountedImage(64, 'gcparchive');
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 30', archivePath: join(archiveDisk.mount, 'archive') });
    root = await makeTempDir('hookroot-gcp');
    await mkdir(join(root, 'etc/default'), { recursive: true });
    await writeFile(join(root, 'etc/default/instance_configs.cfg'), `[Snapshots]\nenabled = true\n`);
    // The distro file is read after instance_configs.cfg and wins, as in the agent.
    await writeFile(join(root, 'etc/default/instance_configs.cfg.distro'), `[Snapshots]\ntimeout_in_seconds = ${AGENT_TIMEOUT_SECONDS}\n`);
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
    await install(root, setup, 'gcp');
  });
  afterAll(async () => {
    if (frozenFs && archiveDisk) execFileSync('fsfreeze', ['-u', archiveDisk.mount]);
    await snaplog(['thaw', '--config', setup.configPath]);
    await stopAllMariadb();
    await archiveDisk?.cleanup();
    await removeDirs(server?.base, setup?.dir, root);
  });

  it('pre.sh fails by the deadline, nothing is left holding the agent, and no lock is taken when the archive recovers', async () => {
    execFileSync('fsfreeze', ['-f', archiveDisk!.mount]);
    frozenFs = true;
    const pre = await runAsGcpAgent(join(root, 'etc/google/snapshots/pre.sh'), 'disk-1', AGENT_TIMEOUT_SECONDS, { SNAPLOG_HOOKS_ROOT: root });
    const agentDeadline = pre.startedAt + AGENT_TIMEOUT_SECONDS * 1000;
    expect(pre.code).not.toBe(0);
    if (!pre.killedByAgent) expect(pre.stderr).toMatch(/backup agent's 10 s script timeout/);
    // exec: no shell and no child of snaplog's outlives it on the agent's pipes.
    expect(pre.pipesClosedAt).toBeDefined();

    // The archive recovers after the agent has given up on the snapshot.
    execFileSync('fsfreeze', ['-u', archiveDisk!.mount]);
    frozenFs = false;
    const noFreezeInForce = async (): Promise<boolean> => {
      const state = await freezeState(setup);
      return state.state !== 'frozen' && !(await isHolderProcess(state.holderPid, state.snapshotId)) && (await writable(server));
    };
    expect(await eventually(noFreezeInForce, 20_000)).toBe(true);
    expect(Date.now() - agentDeadline).toBeLessThan(25_000);

    // Whatever the pre-step had left running (the shipping child) has now finished on the healed archive: still no lock.
    const { snapshotId } = await freezeState(setup);
    await eventually(async () => (await events(setup, snapshotId)).some((event) => event.type === 'freeze-failed'), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await noFreezeInForce()).toBe(true);
    expect((await freezeState(setup)).state).not.toBe('frozen');
  });
});
