import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

describe('bad config through the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('badcfg');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function config(lines: string[]): Promise<string> {
    const path = join(dir, `c${Math.random().toString(16).slice(2)}.conf`);
    await writeFile(path, lines.join('\n'));
    return path;
  }

  it('a wrong type names file, line and key and exits 2', async () => {
    const path = await config(['[workload]', 'workload_name = mariadb', 'timeout = ninety', '[archive]', `path = ${dir}/a`]);
    const result = await snaplog(['status', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}, line 3, key 'timeout'`);
    expect(result.stderr).toMatch(/HINT:/);
  });

  it('a missing mandatory key names file and key', async () => {
    const path = await config(['[workload]', 'workload_name = mariadb']);
    const result = await snaplog(['ship', '--once', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path);
    expect(result.stderr).toMatch(/path/);
  });

  it('--config works after the command name as well as before it', async () => {
    const path = await config(['[workload]', 'workload_name = mariadb', 'timeout = x', '[archive]', `path = ${dir}/a`]);
    const before = await snaplog(['--config', path, 'status']);
    const after = await snaplog(['status', '--config', path]);
    expect(before.code).toBe(2);
    expect(after.stderr).toBe(before.stderr);
  });

  it('a group-readable password file is refused naming the key', async () => {
    const passwordFile = join(dir, 'mysql.pw');
    await writeFile(passwordFile, 'sekret-value\n');
    await chmod(passwordFile, 0o644);
    const path = await config([
      '[workload]',
      'workload_name = mariadb',
      '[mysql]',
      'socket = /nonexistent.sock',
      `password_file = ${passwordFile}`,
      '[archive]',
      `path = ${dir}/a`,
    ]);
    const result = await snaplog(['ship', '--once', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`key 'password_file'`);
    expect(result.stderr).toContain('chmod 600');
    expect(result.stderr).not.toContain('sekret-value');
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await snaplog(['frobnicate'])).code).toBe(2);
    expect((await snaplog(['ship', '--bogus'])).code).toBe(2);
  });
});
