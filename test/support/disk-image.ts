import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from './mariadb.js';

export interface MountedImage {
  dir: string;
  image: string;
  loop: string;
  mount: string;
  /** Unmounts, detaches the loop device and removes the folder; safe to call twice. */
  cleanup(): Promise<void>;
}

const sh = (command: string, args: string[]): string => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** A real ext4 file system in a sparse image file, loop-mounted: a "disk" for the database. */
export async function createMountedImage(sizeMiB: number, label = 'disk'): Promise<MountedImage> {
  const dir = await makeTempDir(label);
  const image = join(dir, `${label}.img`);
  const mount = join(dir, 'mnt');
  await mkdir(mount);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
  const loop = sh('losetup', ['--find', '--show', image]);
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    try {
      sh('umount', [mount]);
    } catch {
      // not mounted
    }
    try {
      sh('losetup', ['-d', loop]);
    } catch {
      // already detached
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    sh('mount', [loop, mount]);
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { dir, image, loop, mount, cleanup };
}

/** A crash-consistent copy of the mounted image, taken between fsfreeze -f and -u like a VM snapshot. */
export function snapshotImage(image: MountedImage, destination: string): void {
  sh('fsfreeze', ['-f', image.mount]);
  try {
    sh('cp', ['--sparse=always', image.image, destination]);
  } finally {
    sh('fsfreeze', ['-u', image.mount]);
  }
}

/** Loop devices attached to files under `dir` (teardown checks that none is left). */
export function loopDevicesUnder(dir: string): string[] {
  return sh('losetup', ['-a'])
    .split('\n')
    .filter((line) => line.includes(dir))
    .map((line) => line.split(':')[0]!);
}
