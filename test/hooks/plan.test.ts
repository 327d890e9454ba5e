import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SnaplogError, UsageError } from '../../src/errors.js';
import { HOOK_PRODUCTS, parseHookProduct, planHooks, recogniseManaged } from '../../src/hooks/index.js';
import { shQuote } from '../../src/shell-quote.js';
import type { HookProduct } from '../../src/hooks/index.js';

const command = ['/usr/bin/node', "/opt/snap log's/bin/snaplog"];

const expectedFiles: Record<HookProduct, [string, number, 'script' | 'config'][]> = {
  azure: [
    ['/etc/snaplog/hooks/azure-pre.sh', 0o700, 'script'],
    ['/etc/snaplog/hooks/azure-post.sh', 0o700, 'script'],
    ['/etc/azure/VMSnapshotScriptPluginConfig.json', 0o600, 'config'],
  ],
  vmware: [
    ['/usr/sbin/pre-freeze-script', 0o700, 'script'],
    ['/usr/sbin/post-thaw-script', 0o700, 'script'],
  ],
  nakivo: [
    ['/usr/sbin/pre-freeze-script', 0o700, 'script'],
    ['/usr/sbin/post-thaw-script', 0o700, 'script'],
  ],
  veeam: [
    ['/etc/snaplog/hooks/veeam-pre.sh', 0o700, 'script'],
    ['/etc/snaplog/hooks/veeam-post.sh', 0o700, 'script'],
  ],
  gcp: [
    ['/etc/google/snapshots/pre.sh', 0o700, 'script'],
    ['/etc/google/snapshots/post.sh', 0o700, 'script'],
  ],
};

describe('hook planners (pure)', () => {
  for (const product of HOOK_PRODUCTS) {
    it(`${product}: plans the product's paths, modes and kinds, scripts before config`, () => {
      const plan = planHooks(product, { snaplogCommand: command });
      expect(plan.product).toBe(product);
      expect(plan.files.map((file) => [file.path, file.mode, file.kind])).toEqual(expectedFiles[product]);
      expect(plan.notes.length).toBeGreaterThan(0);
    });

    it(`${product}: every script is POSIX sh that dash parses, marked snaplog-managed, set -u`, () => {
      const plan = planHooks(product, { snaplogCommand: command, configPath: '/etc/snaplog/snaplog.conf' });
      for (const file of plan.files) {
        expect(recogniseManaged(file.content, file.format)).toMatchObject({ managed: true, meta: { product, command } });
        if (file.format !== 'sh') continue;
        expect(file.content.startsWith('#!/bin/sh\n# snaplog-managed hook')).toBe(true);
        expect(file.content).toMatch(/^set -u$/m);
        const parsed = spawnSync('dash', ['-n'], { input: file.content, encoding: 'utf8' });
        expect(parsed.stderr).toBe('');
        expect(parsed.status).toBe(0);
        // every path is quoted: the unquoted form never appears
        expect(file.content).toContain(`'/opt/snap log'\\''s/bin/snaplog'`);
        expect(file.content).toContain(`--config '/etc/snaplog/snaplog.conf'`);
      }
    });
  }

  it('azure: the ScriptRunner JSON carries every field Azure reads', () => {
    const plan = planHooks('azure', { snaplogCommand: command, freezeTimeoutSeconds: 90 });
    const json = plan.files.find((file) => file.kind === 'config');
    expect(json).toBeDefined();
    const parsed = JSON.parse(json?.content ?? '{}') as Record<string, unknown>;
    expect(parsed).toMatchObject({
      pluginName: 'ScriptRunner',
      preScriptLocation: '/etc/snaplog/hooks/azure-pre.sh',
      postScriptLocation: '/etc/snaplog/hooks/azure-post.sh',
      preScriptParams: [],
      postScriptParams: [],
      preScriptNoOfRetries: 0,
      postScriptNoOfRetries: 0,
      timeoutInSeconds: 120,
      continueBackupOnFailure: true,
      fsFreezeEnabled: true,
      snaplogManaged: true,
    });
  });

  it('azure: timeoutInSeconds = freeze timeout + 30, default 90, capped at 1800', () => {
    const timeout = (freezeTimeoutSeconds?: number): unknown => {
      const plan = planHooks('azure', { snaplogCommand: command, ...(freezeTimeoutSeconds === undefined ? {} : { freezeTimeoutSeconds }) });
      return (JSON.parse(plan.files[2]?.content ?? '{}') as { timeoutInSeconds?: number }).timeoutInSeconds;
    };
    expect(timeout()).toBe(120);
    expect(timeout(300)).toBe(330);
    expect(timeout(1790)).toBe(1800);
  });

  it('vmware and nakivo share the files but record their own --product', () => {
    const vmware = planHooks('vmware', { snaplogCommand: command }).files[0]?.content ?? '';
    const nakivo = planHooks('nakivo', { snaplogCommand: command }).files[0]?.content ?? '';
    expect(vmware).toContain('freeze --product vmware');
    expect(nakivo).toContain('freeze --product nakivo');
    expect(vmware).not.toContain('--product nakivo');
  });

  it('gcp prints how to enable the feature; vmware says it does not install into backupScripts.d', () => {
    expect(planHooks('gcp', { snaplogCommand: command }).notes.join('\n')).toContain(
      '`[Snapshots] enabled = true` in /etc/default/instance_configs.cfg and restart google-guest-agent',
    );
    expect(planHooks('vmware', { snaplogCommand: command }).notes.join('\n')).toContain('/etc/vmware-tools/backupScripts.d');
  });

  it('refuses a relative snaplog command or config path (agents run hooks with a minimal PATH)', () => {
    expect(() => planHooks('veeam', { snaplogCommand: ['node', 'snaplog'] })).toThrow(SnaplogError);
    expect(() => planHooks('veeam', { snaplogCommand: [] })).toThrow(/no snaplog command/);
    expect(() => planHooks('veeam', { snaplogCommand: command, configPath: 'snaplog.conf' })).toThrow(/must be absolute/);
  });

  it('parseHookProduct: case-insensitive; unknown or missing → UsageError (exit 2) listing the valid values', () => {
    expect(parseHookProduct('Azure')).toBe('azure');
    expect(() => parseHookProduct('hyperv')).toThrow(UsageError);
    try {
      parseHookProduct('hyperv');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).hint).toBe('use one of: azure, vmware, nakivo, veeam, gcp');
    }
    expect(() => parseHookProduct(undefined)).toThrow(/--for is required/);
  });

  it('shQuote survives quotes, spaces, $ and backslashes through a real sh', () => {
    const nasty = `it's a $HOME \\ "path" \`x\``;
    const echoed = spawnSync('sh', ['-c', `printf %s ${shQuote(nasty)}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(nasty);
  });

  it('recogniseManaged: foreign text and JSON without the key are not snaplog’s', () => {
    expect(recogniseManaged('#!/bin/sh\necho mine\n', 'sh').managed).toBe(false);
    expect(recogniseManaged('{"pluginName":"ScriptRunner"}', 'json').managed).toBe(false);
    expect(recogniseManaged('{"snaplogManaged":"yes"}', 'json').managed).toBe(false);
    expect(recogniseManaged('not json', 'json').managed).toBe(false);
    // the marker only counts near the top, as a comment line
    expect(recogniseManaged(`#!/bin/sh\n${'echo\n'.repeat(20)}# snaplog-managed hook\n`, 'sh').managed).toBe(false);
  });
});
