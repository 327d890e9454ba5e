import { chmod, lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnaplogError } from '../../src/errors.js';
import { HOOK_PRODUCTS, hookLayout, hooksStatus, installHooks, planHooks, recogniseManaged, uninstallHooks } from '../../src/hooks/index.js';
import type { HookProduct } from '../../src/hooks/index.js';
import { makeSandbox } from './helpers.js';
import type { Sandbox } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const myUid = process.getuid?.() ?? 0;

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(() => sandbox.cleanup());

const at = (path: string): string => join(sandbox.root, path);
const plan = (product: HookProduct, configPath?: string) =>
  planHooks(product, { snaplogCommand: sandbox.snaplogCommand, ...(configPath === undefined ? {} : { configPath }) });
const mode = async (path: string): Promise<number> => (await lstat(path)).mode & 0o7777;

async function rejection(promise: Promise<unknown>): Promise<SnaplogError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SnaplogError);
    return error as SnaplogError;
  }
  throw new Error('expected a SnaplogError, got success');
}

describe('hooks install under --root', () => {
  for (const product of HOOK_PRODUCTS) {
    it(`${product}: writes each file with its mode, owned by root, and reports it created`, async () => {
      const wanted = plan(product, sandbox.configPath);
      const report = await installHooks(wanted, { root: sandbox.root });
      expect(report.files.map((file) => [file.onDisk, file.outcome])).toEqual(wanted.files.map((file) => [at(file.path), 'created']));
      for (const file of wanted.files) {
        const stats = await lstat(at(file.path));
        expect(stats.isFile()).toBe(true);
        expect(stats.mode & 0o7777).toBe(file.kind === 'script' ? 0o700 : 0o600);
        expect(stats.uid).toBe(isRoot ? 0 : myUid);
        if (isRoot) expect(stats.gid).toBe(0);
        expect(await readFile(at(file.path), 'utf8')).toBe(file.content);
      }
      // no temp file left behind
      for (const dir of new Set(wanted.files.map((file) => join(at(file.path), '..')))) {
        expect((await readdir(dir)).filter((name) => name.includes('snaplog-tmp'))).toEqual([]);
      }
    });
  }

  it('gcp: /etc/google/snapshots is created 0700, and an existing looser folder is tightened', async () => {
    await installHooks(plan('gcp'), { root: sandbox.root });
    expect(await mode(at('/etc/google/snapshots'))).toBe(0o700);
    await chmod(at('/etc/google/snapshots'), 0o755);
    const again = await installHooks(plan('gcp'), { root: sandbox.root });
    expect(again.dirs).toContainEqual(expect.objectContaining({ path: '/etc/google/snapshots', outcome: 'mode-fixed' }));
    expect(await mode(at('/etc/google/snapshots'))).toBe(0o700);
  });

  it('azure: the JSON is 0600 and names the installed scripts; /etc/snaplog/hooks is 0700', async () => {
    await installHooks(plan('azure'), { root: sandbox.root });
    const json = JSON.parse(await readFile(at('/etc/azure/VMSnapshotScriptPluginConfig.json'), 'utf8')) as Record<string, unknown>;
    expect(json.preScriptLocation).toBe('/etc/snaplog/hooks/azure-pre.sh');
    expect(json.postScriptLocation).toBe('/etc/snaplog/hooks/azure-post.sh');
    expect(await mode(at('/etc/azure/VMSnapshotScriptPluginConfig.json'))).toBe(0o600);
    expect(await mode(at('/etc/snaplog/hooks'))).toBe(0o700);
  });

  it('re-installing is idempotent: every file unchanged, not rewritten', async () => {
    await installHooks(plan('vmware', sandbox.configPath), { root: sandbox.root });
    const before = await stat(at('/usr/sbin/pre-freeze-script'));
    const again = await installHooks(plan('vmware', sandbox.configPath), { root: sandbox.root });
    expect(again.files.map((file) => file.outcome)).toEqual(['unchanged', 'unchanged']);
    const after = await stat(at('/usr/sbin/pre-freeze-script'));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it("re-installing snaplog's own file with a new config updates it in place (no backup)", async () => {
    await installHooks(plan('veeam'), { root: sandbox.root });
    await chmod(at('/etc/snaplog/hooks/veeam-pre.sh'), 0o755);
    const report = await installHooks(plan('veeam', sandbox.configPath), { root: sandbox.root });
    expect(report.files.map((file) => file.outcome)).toEqual(['updated', 'updated']);
    expect(await readFile(at('/etc/snaplog/hooks/veeam-pre.sh'), 'utf8')).toContain(`--config '`);
    expect(await mode(at('/etc/snaplog/hooks/veeam-pre.sh'))).toBe(0o700);
    expect((await readdir(at('/etc/snaplog/hooks'))).sort()).toEqual(['veeam-post.sh', 'veeam-pre.sh']);
  });

  it('refuses to overwrite a foreign hook without --force, names it, hints --force, and changes nothing', async () => {
    await mkdir(at('/usr/sbin'), { recursive: true });
    await writeFile(at('/usr/sbin/pre-freeze-script'), '#!/bin/sh\n/opt/other/freeze-db\n', { mode: 0o755 });
    const error = await rejection(installHooks(plan('vmware'), { root: sandbox.root }));
    expect(error.message).toContain(at('/usr/sbin/pre-freeze-script'));
    expect(error.message).toContain('was not written by snaplog');
    expect(error.hint).toContain('--force');
    expect(error.hint).toContain('.snaplog-backup-');
    expect(await readFile(at('/usr/sbin/pre-freeze-script'), 'utf8')).toBe('#!/bin/sh\n/opt/other/freeze-db\n');
    await expect(lstat(at('/usr/sbin/post-thaw-script'))).rejects.toThrow(/ENOENT/);
  });

  it('a foreign Azure JSON (no snaplogManaged key) is refused too', async () => {
    await mkdir(at('/etc/azure'), { recursive: true });
    await writeFile(at('/etc/azure/VMSnapshotScriptPluginConfig.json'), '{"pluginName":"ScriptRunner","preScriptLocation":"/opt/x/pre.sh"}', { mode: 0o600 });
    const error = await rejection(installHooks(plan('azure'), { root: sandbox.root }));
    expect(error.message).toContain('VMSnapshotScriptPluginConfig.json');
    await expect(lstat(at('/etc/snaplog/hooks/azure-pre.sh'))).rejects.toThrow(/ENOENT/);
  });

  it('a symlink at the hook path is foreign (never written through)', async () => {
    await mkdir(at('/etc/google/snapshots'), { recursive: true });
    await writeFile(join(sandbox.outside, 'target.sh'), 'original\n');
    await symlink(join(sandbox.outside, 'target.sh'), at('/etc/google/snapshots/pre.sh'));
    const error = await rejection(installHooks(plan('gcp'), { root: sandbox.root }));
    expect(error.message).toContain('is a symbolic link');
    await installHooks(plan('gcp'), { root: sandbox.root, force: true });
    expect(await readFile(join(sandbox.outside, 'target.sh'), 'utf8')).toBe('original\n');
    expect((await lstat(at('/etc/google/snapshots/pre.sh'))).isFile()).toBe(true);
  });

  it('--force moves the foreign file aside as <name>.snaplog-backup-<timestamp>; uninstall puts it back', async () => {
    await mkdir(at('/usr/sbin'), { recursive: true });
    await writeFile(at('/usr/sbin/pre-freeze-script'), '#!/bin/sh\n/opt/other/freeze-db\n', { mode: 0o755 });
    const now = () => new Date('2025-03-04T05:06:07.890Z');
    const report = await installHooks(plan('vmware'), { root: sandbox.root, force: true, now });
    const backup = at('/usr/sbin/pre-freeze-script.snaplog-backup-20250304T050607Z');
    expect(report.files[0]).toMatchObject({ outcome: 'replaced', backup });
    expect(report.files[1]).toMatchObject({ outcome: 'created' });
    expect(await readFile(backup, 'utf8')).toBe('#!/bin/sh\n/opt/other/freeze-db\n');
    expect(await mode(backup)).toBe(0o755);
    expect(recogniseManaged(await readFile(at('/usr/sbin/pre-freeze-script'), 'utf8'), 'sh').managed).toBe(true);

    const removed = await uninstallHooks(hookLayout('vmware'), { root: sandbox.root });
    expect(removed.files.map((file) => [file.path, file.outcome])).toEqual([
      ['/usr/sbin/pre-freeze-script', 'restored'],
      ['/usr/sbin/post-thaw-script', 'removed'],
    ]);
    expect(await readFile(at('/usr/sbin/pre-freeze-script'), 'utf8')).toBe('#!/bin/sh\n/opt/other/freeze-db\n');
    expect(await mode(at('/usr/sbin/pre-freeze-script'))).toBe(0o755);
    expect(await readdir(at('/usr/sbin'))).toEqual(['pre-freeze-script']);
  });

  it('two forced installs in the same second get distinct backup names', async () => {
    const now = () => new Date('2025-03-04T05:06:07Z');
    await mkdir(at('/etc/google/snapshots'), { recursive: true });
    await writeFile(at('/etc/google/snapshots/pre.sh'), 'first\n');
    await installHooks(plan('gcp'), { root: sandbox.root, force: true, now });
    await writeFile(at('/etc/google/snapshots/pre.sh'), 'second\n');
    await installHooks(plan('gcp'), { root: sandbox.root, force: true, now });
    expect((await readdir(at('/etc/google/snapshots'))).filter((name) => name.includes('backup')).sort()).toEqual([
      'pre.sh.snaplog-backup-20250304T050607Z',
      'pre.sh.snaplog-backup-20250304T050607Z-2',
    ]);
    await uninstallHooks(hookLayout('gcp'), { root: sandbox.root });
    expect(await readFile(at('/etc/google/snapshots/pre.sh'), 'utf8')).toBe('second\n');
  });

  it('uninstall leaves a foreign file alone and removes snaplog’s empty folder only', async () => {
    await installHooks(plan('veeam'), { root: sandbox.root });
    await installHooks(plan('azure'), { root: sandbox.root });
    const veeam = await uninstallHooks(hookLayout('veeam'), { root: sandbox.root });
    expect(veeam.files.map((file) => file.outcome)).toEqual(['removed', 'removed']);
    expect(veeam.removedDirs).toEqual([]); // azure's scripts are still there
    expect((await readdir(at('/etc/snaplog/hooks'))).sort()).toEqual(['azure-post.sh', 'azure-pre.sh']);

    await writeFile(at('/etc/snaplog/hooks/azure-post.sh'), '#!/bin/sh\necho edited by hand, marker removed\n');
    const azure = await uninstallHooks(hookLayout('azure'), { root: sandbox.root });
    expect(azure.files.map((file) => [file.path, file.outcome])).toEqual([
      ['/etc/snaplog/hooks/azure-pre.sh', 'removed'],
      ['/etc/snaplog/hooks/azure-post.sh', 'kept-foreign'],
      ['/etc/azure/VMSnapshotScriptPluginConfig.json', 'removed'],
    ]);
    expect(await readFile(at('/etc/snaplog/hooks/azure-post.sh'), 'utf8')).toContain('edited by hand');

    await rm(at('/etc/snaplog/hooks/azure-post.sh'));
    const last = await uninstallHooks(hookLayout('azure'), { root: sandbox.root });
    expect(last.files.map((file) => file.outcome)).toEqual(['absent', 'absent', 'absent']);
    expect(last.removedDirs).toEqual([at('/etc/snaplog/hooks')]);
  });

  it('azure: refuses while /etc/azure/workload.conf sets workload_name (Azure would skip the scripts)', async () => {
    await mkdir(at('/etc/azure'), { recursive: true });
    await writeFile(at('/etc/azure/workload.conf'), '[workload]\nworkload_name = mysql\ncredString = x\n');
    const error = await rejection(installHooks(plan('azure'), { root: sandbox.root, force: true }));
    expect(error.message).toContain('workload_name = mysql');
    expect(error.hint).toContain('/etc/snaplog/snaplog.conf');
    await expect(lstat(at('/etc/snaplog/hooks/azure-pre.sh'))).rejects.toThrow(/ENOENT/);

    await writeFile(at('/etc/azure/workload.conf'), '[workload]\n; workload_name = mysql\nipc_folder = /var/lib/snaplog/ipc\n');
    const report = await installHooks(plan('azure'), { root: sandbox.root });
    expect(report.files).toHaveLength(3);
  });

  it('azure: only oracle, mysql, mariadb and postgres are refused; a name Azure ignores (iris) may stay in workload.conf', async () => {
    await mkdir(at('/etc/azure'), { recursive: true });
    for (const name of ['oracle', 'MariaDB', 'postgres']) {
      await writeFile(at('/etc/azure/workload.conf'), `[workload]\nworkload_name = ${name}\n`);
      expect((await rejection(installHooks(plan('azure'), { root: sandbox.root }))).message).toContain(`workload_name = ${name}`);
    }
    await writeFile(at('/etc/azure/workload.conf'), '[workload]\nworkload_name = iris\ntimeout = 120\n');
    expect((await installHooks(plan('azure'), { root: sandbox.root })).files).toHaveLength(3);
    const azure = (await hooksStatus({ root: sandbox.root, products: ['azure'] })).products[0];
    expect(azure).toMatchObject({ state: 'installed', ok: true });
  });

  it("installing a second product's hooks warns, naming both; installing vmware over nakivo does not", async () => {
    await installHooks(plan('veeam'), { root: sandbox.root });
    expect((await installHooks(plan('veeam'), { root: sandbox.root })).notes.join('\n')).not.toMatch(/WARNING: snaplog hooks for/);
    const vmware = await installHooks(plan('vmware'), { root: sandbox.root });
    expect(vmware.notes.join('\n')).toMatch(/WARNING: snaplog hooks for vmware and veeam are installed: a Veeam job that quiesces with VMware Tools runs both/);
    const nakivo = await installHooks(plan('nakivo'), { root: sandbox.root, force: true });
    expect(nakivo.notes.filter((note) => note.startsWith('WARNING: snaplog hooks for'))).toHaveLength(1);
    const gcp = await installHooks(plan('gcp'), { root: sandbox.root });
    expect(gcp.notes.join('\n')).toMatch(/WARNING: snaplog hooks for gcp and nakivo and veeam are installed: a Veeam job/);
  });

  it("gcp: the install notes give the agent's timeout now in force and snaplog's share of it", async () => {
    await mkdir(at('/etc/default'), { recursive: true });
    await writeFile(at('/etc/default/instance_configs.cfg'), '[Snapshots]\nenabled = On\ntimeout_in_seconds = 120\n');
    const notes = (await installHooks(plan('gcp'), { root: sandbox.root })).notes.join('\n');
    expect(notes).toContain('Already enabled ([Snapshots] enabled = On in /etc/default/instance_configs.cfg)');
    expect(notes).toContain('timeout_in_seconds = 120 (/etc/default/instance_configs.cfg): snaplog freeze gets 110 s');
  });

  it('refuses the real / when not root, with a hint; allows --root as non-root (without chown)', async () => {
    const error = await rejection(installHooks(plan('vmware'), { root: '/', uid: 1000 }));
    expect(error.message).toContain('uid 1000, not root');
    expect(error.hint).toContain('--root DIR');
    const uninstall = await rejection(uninstallHooks(hookLayout('vmware'), { root: '/', uid: 1000 }));
    expect(uninstall.message).toContain('not root');

    const report = await installHooks(plan('veeam'), { root: sandbox.root, uid: 1000 });
    expect(report.files.map((file) => file.outcome)).toEqual(['created', 'created']);
    expect(report.notes[0]).toContain('Not running as root');
  });

  it('a missing --root is a usage error (exit 2)', async () => {
    const error = await rejection(installHooks(plan('veeam'), { root: join(sandbox.root, 'nope') }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('does not exist');
  });
});

describe('hooks status under --root', () => {
  it('reports nothing installed as absent and ok', async () => {
    const report = await hooksStatus({ root: sandbox.root });
    expect(report.products.map((product) => [product.product, product.state])).toEqual(HOOK_PRODUCTS.map((product) => [product, 'absent']));
    expect(report.ok).toBe(true);
  });

  it('installed veeam hooks are ok; a wrong mode, a wrong owner or a vanished snaplog is a problem', async () => {
    await installHooks(plan('veeam', sandbox.configPath), { root: sandbox.root });
    let veeam = (await hooksStatus({ root: sandbox.root, products: ['veeam'] })).products[0];
    expect(veeam).toMatchObject({ product: 'veeam', state: 'installed', ok: true, problems: [] });
    expect(veeam?.files[0]).toMatchObject({ exists: true, managed: true, installedFor: 'veeam', mode: '0700', uid: isRoot ? 0 : myUid });

    await chmod(at('/etc/snaplog/hooks/veeam-pre.sh'), 0o755);
    await rm(sandbox.fakeSnaplog);
    const report = await hooksStatus({ root: sandbox.root, products: ['veeam'] });
    veeam = report.products[0];
    expect(report.ok).toBe(false);
    expect(veeam?.problems.join('\n')).toContain('mode 0755, expected 0700');
    expect(veeam?.problems.join('\n')).toContain(`the hooks run ${sandbox.fakeSnaplog}, which is missing`);
  });

  it('a half-removed install is partial and not ok', async () => {
    await installHooks(plan('vmware'), { root: sandbox.root });
    await rm(at('/usr/sbin/post-thaw-script'));
    const vmware = (await hooksStatus({ root: sandbox.root, products: ['vmware'] })).products[0];
    expect(vmware?.state).toBe('partial');
    expect(vmware?.problems[0]).toContain('/usr/sbin/post-thaw-script is missing');
  });

  it('vmware files installed for nakivo show as other-product under vmware; foreign files as foreign', async () => {
    await installHooks(plan('nakivo'), { root: sandbox.root });
    await mkdir(at('/etc/google/snapshots'), { recursive: true, mode: 0o700 });
    await writeFile(at('/etc/google/snapshots/pre.sh'), '#!/bin/sh\nexit 0\n');
    const report = await hooksStatus({ root: sandbox.root });
    const state = Object.fromEntries(report.products.map((product) => [product.product, product.state]));
    expect(state).toEqual({ azure: 'absent', vmware: 'other-product', nakivo: 'installed', veeam: 'absent', gcp: 'foreign' });
    expect(report.ok).toBe(true);
  });

  it('gcp: not enabled in instance_configs.cfg is a problem until [Snapshots] enabled = true', async () => {
    await installHooks(plan('gcp'), { root: sandbox.root });
    let gcp = (await hooksStatus({ root: sandbox.root, products: ['gcp'] })).products[0];
    expect(gcp?.ok).toBe(false);
    expect(gcp?.problems.join('\n')).toContain('[Snapshots] enabled = true');
    await mkdir(at('/etc/default'), { recursive: true });
    await writeFile(
      at('/etc/default/instance_configs.cfg'),
      '[Accounts]\ndeprovision_remove = false\n\n[Snapshots]\nenabled = true\ntimeout_in_seconds = 120\n',
    );
    gcp = (await hooksStatus({ root: sandbox.root, products: ['gcp'] })).products[0];
    expect(gcp).toMatchObject({ state: 'installed', ok: true });
    expect(gcp?.notes.join('\n')).toContain('kills pre.sh after 120 s (timeout_in_seconds, from /etc/default/instance_configs.cfg');
  });

  it('gcp: every boolean spelling the agent accepts enables it; a .template read after instance_configs.cfg wins, as in the agent', async () => {
    await installHooks(plan('gcp'), { root: sandbox.root });
    await mkdir(at('/etc/default'), { recursive: true });
    for (const spelling of ['yes', 'on', '1', 'TRUE']) {
      await writeFile(at('/etc/default/instance_configs.cfg'), `[Snapshots]\nenabled = ${spelling}\n`);
      expect((await hooksStatus({ root: sandbox.root, products: ['gcp'] })).products[0]).toMatchObject({ ok: true });
    }
    await writeFile(at('/etc/default/instance_configs.cfg.template'), '[Snapshots]\nenabled = false\ntimeout_in_seconds = 30\n');
    const gcp = (await hooksStatus({ root: sandbox.root, products: ['gcp'] })).products[0];
    expect(gcp?.ok).toBe(false);
    expect(gcp?.problems.join('\n')).toContain('/etc/default/instance_configs.cfg.template sets enabled = false');
    expect(gcp?.notes.join('\n')).toContain('kills pre.sh after 30 s');
    await writeFile(at('/etc/default/instance_configs.cfg.template'), '[Snapshots]\nenabled = maybe\n');
    expect((await hooksStatus({ root: sandbox.root, products: ['gcp'] })).products[0]?.problems.join('\n')).toMatch(/enabled = 'maybe'.*not a boolean/);
  });

  it('nakivo: status says which path is set up, VMware Tools or SSH with passwordless sudo', async () => {
    await installHooks(plan('nakivo'), { root: sandbox.root });
    let notes = (await hooksStatus({ root: sandbox.root, products: ['nakivo'] })).products[0]?.notes.join('\n') ?? '';
    expect(notes).toContain('VMware Tools path: vmtoolsd not found (fine on EC2 or Hyper-V');
    expect(notes).toContain('sshd not found');
    expect(notes).toContain('no NOPASSWD entry found');
    await mkdir(at('/usr/bin'), { recursive: true });
    await writeFile(at('/usr/bin/vmtoolsd'), '');
    await writeFile(at('/usr/sbin/sshd'), '');
    await mkdir(at('/etc/sudoers.d'), { recursive: true });
    await writeFile(at('/etc/sudoers.d/nakivo'), '# backup account\nbackup ALL=(ALL) NOPASSWD:ALL\n');
    notes = (await hooksStatus({ root: sandbox.root, products: ['nakivo'] })).products[0]?.notes.join('\n') ?? '';
    expect(notes).toContain('VMware Tools path: vmtoolsd is installed');
    expect(notes).toContain('sshd is installed');
    expect(notes).toContain(`NOPASSWD entries in ${at('/etc/sudoers.d/nakivo')}`);
  });

  it('status reports every product installed on the host and what two of them mean', async () => {
    await installHooks(plan('veeam'), { root: sandbox.root });
    expect((await hooksStatus({ root: sandbox.root })).warnings).toEqual([]);
    await installHooks(plan('vmware'), { root: sandbox.root });
    const report = await hooksStatus({ root: sandbox.root, products: ['veeam'] });
    expect(report.installed).toEqual(['vmware', 'veeam']);
    expect(report.warnings.join('\n')).toMatch(/join/);
    expect(report.ok).toBe(true);
  });

  it('azure: a workload.conf with workload_name written after the install is reported', async () => {
    await installHooks(plan('azure'), { root: sandbox.root });
    await writeFile(at('/etc/azure/workload.conf'), '[workload]\nworkload_name = mariadb\n');
    const azure = (await hooksStatus({ root: sandbox.root, products: ['azure'] })).products[0];
    expect(azure?.ok).toBe(false);
    expect(azure?.problems.join('\n')).toContain('Azure Backup then runs its own database freeze');
  });
});
