/**
 * `snaplog hooks …` through commander, in-process, with a FAKE snaplog command baked into the scripts
 * (hooksCommand's test seam). The lead's main wires hooksCommand() into the real program.
 */
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { withConfigOption } from '../../src/cli/common.js';
import { defaultSnaplogCommand, hooksCommand } from '../../src/cli/hooks.js';
import { makeSandbox } from './helpers.js';
import type { Sandbox } from './helpers.js';

let sandbox: Sandbox;
let stdout: string;
beforeEach(async () => {
  sandbox = await makeSandbox();
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await sandbox.cleanup();
});

async function cli(...argv: string[]): Promise<void> {
  const program = withConfigOption(new Command('snaplog')).exitOverride();
  program.addCommand(hooksCommand({ snaplogCommand: sandbox.snaplogCommand }));
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  await program.parseAsync(argv, { from: 'user' });
}

const at = (path: string): string => join(sandbox.root, path);

describe('snaplog hooks (CLI)', () => {
  it('install prints each path with its mode and owner, then the notes', async () => {
    await cli('hooks', 'install', '--for', 'gcp', '--root', sandbox.root, '--config', sandbox.configPath);
    expect(stdout).toContain(`snaplog hooks for gcp installed under ${sandbox.root}:`);
    expect(stdout).toMatch(new RegExp(`created +${at('/etc/google/snapshots/pre.sh').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +0700 +root:root +script`));
    expect(stdout).toContain(at('/etc/google/snapshots/post.sh'));
    expect(stdout).toContain('`[Snapshots] enabled = true` in /etc/default/instance_configs.cfg and restart google-guest-agent');
    expect((await lstat(at('/etc/google/snapshots/pre.sh'))).mode & 0o7777).toBe(0o700);
  });

  it('--config before the command name is baked into the scripts as an absolute path', async () => {
    await cli('--config', sandbox.configPath, 'hooks', 'install', '--for', 'veeam', '--root', sandbox.root);
    const script = await readFile(at('/etc/snaplog/hooks/veeam-pre.sh'), 'utf8');
    expect(script).toContain(`--config '${sandbox.configPath.replace(/'/g, `'\\''`)}' freeze --product veeam`);
  });

  it("azure: timeoutInSeconds comes from the config's [workload] timeout, or --timeout", async () => {
    await writeFile(
      sandbox.configPath,
      `[workload]\nworkload_name = mariadb\ntimeout = 200\nipc_folder = ${sandbox.outside}/ipc\n\n[archive]\npath = ${sandbox.outside}/archive\n`,
    );
    await cli('hooks', 'install', '--for', 'azure', '--root', sandbox.root, '--config', sandbox.configPath);
    const json = async () => JSON.parse(await readFile(at('/etc/azure/VMSnapshotScriptPluginConfig.json'), 'utf8')) as { timeoutInSeconds: number };
    expect((await json()).timeoutInSeconds).toBe(230);
    await cli('hooks', 'install', '--for', 'azure', '--root', sandbox.root, '--config', sandbox.configPath, '--timeout', '600');
    expect((await json()).timeoutInSeconds).toBe(630);
    expect(stdout).toContain('updated');
  });

  it('an unknown --for is a UsageError listing the valid values', async () => {
    const error = await cli('hooks', 'install', '--for', 'hyperv', '--root', sandbox.root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toBe('use one of: azure, vmware, nakivo, veeam, gcp');
    const missing = await cli('hooks', 'install', '--root', sandbox.root).catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(UsageError);
  });

  it('--workload-conf is refused with the reason, and nothing is written', async () => {
    const error = await cli('hooks', 'install', '--for', 'azure', '--root', sandbox.root, '--workload-conf').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('skips the pre/post scripts');
    await expect(lstat(at('/etc/azure'))).rejects.toThrow(/ENOENT/);
  });

  it('--timeout for vmware, a bad --timeout, or a missing --config are usage errors', async () => {
    const vmware = await cli('hooks', 'install', '--for', 'vmware', '--root', sandbox.root, '--timeout', '90').catch((caught: unknown) => caught);
    expect((vmware as UsageError).message).toContain('--timeout applies to --for azure and gcp');
    const bad = await cli('hooks', 'install', '--for', 'azure', '--root', sandbox.root, '--timeout', '1790').catch((caught: unknown) => caught);
    expect((bad as UsageError).message).toContain('between 1 and 1770');
    const config = await cli('hooks', 'install', '--for', 'veeam', '--root', sandbox.root, '--config', join(sandbox.outside, 'missing.conf')).catch(
      (caught: unknown) => caught,
    );
    expect(config).toBeInstanceOf(UsageError);
    expect((config as UsageError).message).toContain('does not exist');
  });

  it('status --json lists every product; exit code 1 when an installed product has a problem', async () => {
    await cli('hooks', 'install', '--for', 'vmware', '--root', sandbox.root, '--config', sandbox.configPath);
    stdout = '';
    await cli('hooks', 'status', '--root', sandbox.root, '--json');
    const report = JSON.parse(stdout) as { ok: boolean; products: { product: string; state: string }[] };
    expect(report.ok).toBe(true);
    expect(report.products.map((product) => product.state)).toEqual(['absent', 'installed', 'other-product', 'absent', 'absent']);
    expect(process.exitCode).toBeUndefined();

    await writeFile(at('/usr/sbin/post-thaw-script'), '#!/bin/sh\n');
    stdout = '';
    await cli('hooks', 'status', '--root', sandbox.root, '--for', 'vmware');
    expect(stdout).toContain("NOT snaplog's");
    expect(stdout).toContain('PROBLEM:');
    expect(process.exitCode).toBe(1);
  });

  it('install and status print the warning about two products on one host, and the notes of each product', async () => {
    await cli('hooks', 'install', '--for', 'veeam', '--root', sandbox.root, '--config', sandbox.configPath);
    stdout = '';
    await cli('hooks', 'install', '--for', 'nakivo', '--root', sandbox.root, '--config', sandbox.configPath);
    expect(stdout).toContain('  - WARNING: snaplog hooks for nakivo and veeam are installed: a Veeam job that quiesces with VMware Tools runs both');
    stdout = '';
    await cli('hooks', 'status', '--root', sandbox.root);
    expect(stdout).toContain('    note: SSH path (EC2, Hyper-V): sshd not found');
    expect(stdout).toMatch(/\nWARNING: snaplog hooks for nakivo and veeam are installed/);
    expect(process.exitCode).toBeUndefined();
  });

  it('uninstall prints what it removed', async () => {
    await cli('hooks', 'install', '--for', 'veeam', '--root', sandbox.root);
    stdout = '';
    await cli('hooks', 'uninstall', '--for', 'veeam', '--root', sandbox.root);
    expect(stdout).toContain(`removed      ${at('/etc/snaplog/hooks/veeam-pre.sh')}`);
    expect(stdout).toContain(`${at('/etc/snaplog/hooks')}/ (empty)`);
    await expect(lstat(at('/etc/snaplog/hooks'))).rejects.toThrow(/ENOENT/);
  });

  it('the default snaplog command is this node and the absolute bin/snaplog of this package', () => {
    const [node, bin] = defaultSnaplogCommand();
    expect(node).toBe(process.execPath);
    expect(bin).toBe(join(import.meta.dirname, '../../bin/snaplog'));
  });
});
