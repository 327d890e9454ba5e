/**
 * The installed hook scripts, run the way each product runs them, against a FAKE snaplog (a sh script that
 * records its argv and exits with a chosen code). What snaplog freeze/thaw do is tested elsewhere; here:
 * the argv each product's call turns into, the exit-code mapping, and silence on stderr when all is well.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installHooks, planHooks } from '../../src/hooks/index.js';
import type { HookProduct } from '../../src/hooks/index.js';
import { makeSandbox, runHook } from './helpers.js';
import type { Sandbox } from './helpers.js';

async function installed(product: HookProduct): Promise<{ sandbox: Sandbox; at: (path: string) => string; config: string[] }> {
  const sandbox = await makeSandbox();
  await installHooks(planHooks(product, { snaplogCommand: sandbox.snaplogCommand, configPath: sandbox.configPath }), { root: sandbox.root });
  return { sandbox, at: (path) => join(sandbox.root, path), config: ['--config', sandbox.configPath] };
}

describe('azure hook scripts with a fake snaplog (run as `sh script`)', () => {
  let env: Awaited<ReturnType<typeof installed>>;
  beforeAll(async () => {
    env = await installed('azure');
  });
  afterAll(() => env.sandbox.cleanup());

  it('pre: snaplog freeze --product azure, exit 0, stdout passed through, nothing on stderr', async () => {
    const run = await runHook(env.sandbox, ['/bin/sh', env.at('/etc/snaplog/hooks/azure-pre.sh')]);
    expect(run.calls).toEqual([[...env.config, 'freeze', '--product', 'azure']]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('fake snaplog ran: --config');
  });

  it('post: snaplog thaw --product azure', async () => {
    const run = await runHook(env.sandbox, ['/bin/sh', env.at('/etc/snaplog/hooks/azure-post.sh')]);
    expect(run.calls).toEqual([[...env.config, 'thaw', '--product', 'azure']]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  it("a failing freeze: the script fails with snaplog's exit code and lets its stderr through", async () => {
    const run = await runHook(env.sandbox, ['/bin/sh', env.at('/etc/snaplog/hooks/azure-pre.sh')], 1);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('fake snaplog: failing with exit 1\n');
  });
});

for (const product of ['vmware', 'nakivo'] as const) {
  describe(`${product} hook scripts with a fake snaplog (run as \`script freeze|thaw|freezeFail\`)`, () => {
    let env: Awaited<ReturnType<typeof installed>>;
    let pre: string;
    let post: string;
    beforeAll(async () => {
      env = await installed(product);
      pre = env.at('/usr/sbin/pre-freeze-script');
      post = env.at('/usr/sbin/post-thaw-script');
    });
    afterAll(() => env.sandbox.cleanup());

    const cases: [string, 'pre' | 'post', string[], string[]][] = [
      ['pre-freeze-script freeze', 'pre', ['freeze'], ['freeze']],
      ['post-thaw-script thaw', 'post', ['thaw'], ['thaw']],
      ['post-thaw-script freezeFail', 'post', ['freezeFail'], ['thaw', '--failed']],
      ['pre-freeze-script freezeFail', 'pre', ['freezeFail'], ['thaw', '--failed']],
      ['pre-freeze-script (no argument)', 'pre', [], ['freeze']],
      ['post-thaw-script (no argument)', 'post', [], ['thaw']],
    ];
    for (const [label, which, args, expected] of cases) {
      it(`${label} → snaplog ${expected.join(' ')} --product ${product}, exit 0, stderr empty`, async () => {
        const run = await runHook(env.sandbox, [which === 'pre' ? pre : post, ...args]);
        expect(run.calls).toEqual([[...env.config, ...expected, '--product', product]]);
        expect(run.status).toBe(0);
        expect(run.stderr).toBe('');
      });
    }

    it('an unknown argument: exit 1 with a message, snaplog not called', async () => {
      const run = await runHook(env.sandbox, [pre, 'bogus']);
      expect(run.status).toBe(1);
      expect(run.calls).toEqual([]);
      expect(run.stderr).toContain("pre-freeze-script: unknown argument 'bogus' (expected freeze, thaw or freezeFail)");
    });

    it("snaplog's failure is the script's failure (non-zero = fail for VMware Tools)", async () => {
      const run = await runHook(env.sandbox, [post, 'thaw'], 1);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('failing with exit 1');
    });
  });
}

describe('veeam hook scripts with a fake snaplog (run as `script`, stderr = failure)', () => {
  let env: Awaited<ReturnType<typeof installed>>;
  beforeAll(async () => {
    env = await installed('veeam');
  });
  afterAll(() => env.sandbox.cleanup());

  it('pre: snaplog freeze --product veeam; stdout only, nothing on stderr', async () => {
    const run = await runHook(env.sandbox, [env.at('/etc/snaplog/hooks/veeam-pre.sh')]);
    expect(run.calls).toEqual([[...env.config, 'freeze', '--product', 'veeam']]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toBe('');
  });

  it('post: snaplog thaw --product veeam', async () => {
    const run = await runHook(env.sandbox, [env.at('/etc/snaplog/hooks/veeam-post.sh')]);
    expect(run.calls).toEqual([[...env.config, 'thaw', '--product', 'veeam']]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('a failed thaw (freeze had timed out): exit 1 and a message on stderr for Veeam to show', async () => {
    const run = await runHook(env.sandbox, [env.at('/etc/snaplog/hooks/veeam-post.sh')], 1);
    expect(run.status).toBe(1);
    expect(run.stderr).not.toBe('');
  });
});

describe('gcp hook scripts with a fake snaplog (run as `script DISKS`)', () => {
  let env: Awaited<ReturnType<typeof installed>>;
  let pre: string;
  let post: string;
  beforeAll(async () => {
    env = await installed('gcp');
    pre = env.at('/etc/google/snapshots/pre.sh');
    post = env.at('/etc/google/snapshots/post.sh');
  });
  afterAll(() => env.sandbox.cleanup());

  it('pre.sh disk-1 disk-2 → snaplog freeze --product gcp --agent-timeout gcp --disks disk-1,disk-2', async () => {
    const run = await runHook(env.sandbox, [pre, 'disk-1', 'disk-2']);
    expect(run.calls).toEqual([[...env.config, 'freeze', '--product', 'gcp', '--agent-timeout', 'gcp', '--disks', 'disk-1,disk-2']]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('the agent\'s single-argument form "disk-1,disk-2" gives the same --disks', async () => {
    const run = await runHook(env.sandbox, [post, 'disk-1,disk-2']);
    expect(run.calls).toEqual([[...env.config, 'thaw', '--product', 'gcp', '--disks', 'disk-1,disk-2']]);
  });

  it('no disks → no --disks; a glob character is not expanded', async () => {
    expect((await runHook(env.sandbox, [pre])).calls).toEqual([[...env.config, 'freeze', '--product', 'gcp', '--agent-timeout', 'gcp']]);
    expect((await runHook(env.sandbox, [pre, '*'])).calls).toEqual([[...env.config, 'freeze', '--product', 'gcp', '--agent-timeout', 'gcp', '--disks', '*']]);
  });

  it('pre.sh execs snaplog: the process the agent started (and kills at its timeout) is snaplog itself', async () => {
    const run = await runHook(env.sandbox, [pre, 'disk-1']);
    expect(run.stdout).toContain(`fake snaplog pid ${run.pid}\n`);
  });

  for (const [snaplogExit, scriptExit] of [
    [0, 0],
    [1, 1],
    [2, 2],
    [124, 124],
  ] as const) {
    it(`snaplog exit ${snaplogExit} → script exit ${scriptExit} (exec: the agent sees snaplog's own exit)`, async () => {
      const run = await runHook(env.sandbox, [pre, 'disk-1'], snaplogExit);
      expect(run.status).toBe(scriptExit);
      expect(run.calls).toHaveLength(1);
      if (snaplogExit === 0) expect(run.stderr).toBe('');
      else expect(run.stderr).toContain(`failing with exit ${snaplogExit}`);
    });
  }
});
