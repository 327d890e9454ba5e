import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, utimes, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeDirs } from '../support/mariadb.js';

const run = promisify(execFile);
const projectRoot = resolve(import.meta.dirname, '../..');
const bin = join(projectRoot, 'bin/snaplog');

/** bin/snaplog run by node; NODE_DEBUG=esm makes node name every module file it loads (on stderr). */
async function snaplogLoading(args: string[], env: Record<string, string> = {}) {
  const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, NODE_DEBUG: 'esm', ...env }, maxBuffer: 64 << 20 });
  const loaded = [...new Set(stderr.match(/dist\/[\w-]+\/[\w-]+\.js/g) ?? [])];
  return { stdout, loaded };
}

describe('the bundled CLI (dist/bundle, built by npm run build)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('bundle');
  });
  afterAll(async () => {
    await removeDirs(dir);
  });

  it('is what bin/snaplog loads: --version reads the bundle, no compiled module, and loads no command', async () => {
    const { stdout, loaded } = await snaplogLoading(['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(loaded).toContain('dist/bundle/main.js');
    expect(loaded.filter((file) => !file.startsWith('dist/bundle/'))).toEqual([]);
    // A command's own chunk is named after its module (status-….js); shared code is in chunk-….js.
    expect(loaded.filter((file) => !/^dist\/bundle\/(main|chunk-[\w]+)\.js$/.test(file))).toEqual([]);
  });

  it('answers like the unbundled build: --help, config check, a usage error', async () => {
    const config = join(dir, 'snaplog.conf');
    await writeFile(config, '[workload]\nworkload_name = mariadb\n\n[mysql]\nsocket = /run/mysqld/mysqld.sock\n\n[archive]\npath = /mnt/nfs/snaplog\n');
    for (const args of [['--help'], ['config', 'check', '--config', config], ['restore', '--help']]) {
      const bundled = await snaplogLoading(args);
      const unbundled = await snaplogLoading(args, { SNAPLOG_UNBUNDLED: '1' });
      expect(bundled.loaded.every((file) => file.startsWith('dist/bundle/'))).toBe(true);
      expect(unbundled.loaded.some((file) => file.startsWith('dist/bundle/'))).toBe(false);
      expect(bundled.stdout).toBe(unbundled.stdout);
    }
    const usage = await run(process.execPath, [bin, 'status', '--no-such-option']).catch((error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: 2 });
    expect((usage as { stderr: string }).stderr).toMatch(/^snaplog: unknown option '--no-such-option'/m);
  });

  it('is used only when it is at least as new as the compiled modules (a tsc-only build never runs a stale bundle)', async () => {
    // The real bin/snaplog in a tree whose two entries say which one ran.
    const tree = join(dir, 'tree');
    await rm(tree, { recursive: true, force: true });
    await mkdir(join(tree, 'bin'), { recursive: true });
    await copyFile(bin, join(tree, 'bin/snaplog'));
    const entry = (name: string) => `export async function run() { process.stdout.write('${name}\\n'); return 0; }\n`;
    await mkdir(join(tree, 'dist/cli'), { recursive: true });
    await writeFile(join(tree, 'dist/cli/main.js'), entry('compiled'));
    const which = async (env: Record<string, string> = {}) => {
      const { stdout } = await run(process.execPath, [join(tree, 'bin/snaplog')], { env: { ...process.env, ...env } });
      return stdout.trim();
    };

    expect(await which()).toBe('compiled');
    await mkdir(join(tree, 'dist/bundle'), { recursive: true });
    await writeFile(join(tree, 'dist/bundle/main.js'), entry('bundle'));
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    await utimes(join(tree, 'dist/cli/main.js'), at(0), at(0));
    await utimes(join(tree, 'dist/bundle/main.js'), at(1), at(1));
    expect(await which()).toBe('bundle');
    expect(await which({ SNAPLOG_UNBUNDLED: '1' })).toBe('compiled');
    // npm pack gives every file the same time: the bundle.
    await utimes(join(tree, 'dist/bundle/main.js'), at(0), at(0));
    expect(await which()).toBe('bundle');
    // tsc ran after the bundle was made: the compiled modules.
    await utimes(join(tree, 'dist/cli/main.js'), at(2), at(2));
    expect(await which()).toBe('compiled');
  });
});
