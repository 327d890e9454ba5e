import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishNewFile } from '../../src/safe-files.js';
import { SYSTEM_ID_FILE, stableSystemId } from '../../src/state/system-id.js';

describe('the system id is chosen once, whoever asks first', () => {
  let dir: string;
  const machineIdFile = (): string => join(dir, 'machine-id');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snaplog-system-id-'));
    await writeFile(machineIdFile(), 'abc123\n');
    process.env['SNAPLOG_MACHINE_ID_FILE'] = machineIdFile();
  });
  afterAll(async () => {
    delete process.env['SNAPLOG_MACHINE_ID_FILE'];
    await rm(dir, { recursive: true, force: true });
  });

  it('twenty calls racing to choose it in one process all get the same id', async () => {
    const ipc = join(dir, 'ipc');
    const ids = await Promise.all(Array.from({ length: 20 }, () => stableSystemId(ipc)));
    expect(new Set(ids).size).toBe(1);
    expect(JSON.parse(await readFile(join(ipc, SYSTEM_ID_FILE), 'utf8')).id).toBe(ids[0]);
    expect((await readdir(ipc)).filter((name) => name.includes('snaplog-tmp'))).toEqual([]);
  });

  it('processes racing to choose it (freeze, its holder, the ship service) all get the same id, never a half-written file', async () => {
    const module = resolve(import.meta.dirname, '../../dist/state/system-id.js');
    const script = `const { stableSystemId } = await import(${JSON.stringify(module)}); process.stdout.write(await stableSystemId(process.argv[1]));`;
    const run = promisify(execFile);
    for (let round = 0; round < 5; round++) {
      const ipc = join(dir, `ipc-${round}`);
      const outputs = await Promise.all(
        Array.from({ length: 8 }, () =>
          run(process.execPath, ['--input-type=module', '-e', script, ipc], { env: { ...process.env, SNAPLOG_MACHINE_ID_FILE: machineIdFile() } }),
        ),
      );
      const ids = outputs.map((output) => output.stdout);
      expect(new Set(ids).size, ids.join(' ')).toBe(1);
      expect(ids[0]).toMatch(/-[0-9a-f]{12}$/);
    }
  });

  it('publishNewFile never replaces a file that exists, and leaves no temp file behind', async () => {
    const target = join(dir, 'once.json');
    await publishNewFile(target, 'first');
    await expect(publishNewFile(target, 'second')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(target, 'utf8')).toBe('first');
    expect((await readdir(dir)).filter((name) => name.includes('snaplog-tmp'))).toEqual([]);
  });
});
