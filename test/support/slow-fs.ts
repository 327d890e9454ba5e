import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeTempDir } from './mariadb.js';

const SLOW_FS_SCRIPT = resolve(import.meta.dirname, 'slow-fs.py');

/** A FUSE passthrough mount whose writes can be made slow at will: the far, overloaded NFS server. */
export interface SlowFilesystem {
  mount: string;
  /** Every create/fsync/rename/link waits `latencyMs`; writes are throttled to `kibPerSecond` (0: unthrottled). */
  setSlowness(latencyMs: number, kibPerSecond: number): Promise<void>;
  cleanup(): Promise<void>;
}

async function isMounted(path: string): Promise<boolean> {
  return (await readFile('/proc/mounts', 'utf8')).split('\n').some((line) => line.split(' ')[1] === path);
}

export async function mountSlowFilesystem(label: string): Promise<SlowFilesystem> {
  const dir = await makeTempDir(label);
  const backing = join(dir, 'backing');
  const mount = join(dir, 'mount');
  const control = join(dir, 'slowness');
  await mkdir(backing);
  await mkdir(mount);
  await writeFile(control, '0 0');
  const child: ChildProcess = spawn('/usr/bin/python3', [SLOW_FS_SCRIPT, backing, mount, control], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await isMounted(mount))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`the slow FUSE file system did not mount (needs /dev/fuse and python3-fusepy): ${stderr.trim()}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    mount,
    setSlowness: (latencyMs, kibPerSecond) => writeFile(control, `${latencyMs} ${kibPerSecond}`),
    cleanup: async () => {
      await writeFile(control, '0 0');
      try {
        execFileSync('umount', [mount], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      }
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
