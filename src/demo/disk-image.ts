import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface MountedImage {
  dir: string;
  image: string;
  loop: string;
  mount: string;
  /** Unmounts, detaches the loop device and removes the folder; safe to call twice. */
  cleanup(): Promise<void>;
}

const sh = (command: string, args: string[]): string =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

/** A real ext4 file system in a sparse image file, loop-mounted: a "disk" for a throwaway database (root only). */
export async function createMountedImage(dir: string, sizeMiB: number, label = 'disk'): Promise<MountedImage> {
  await mkdir(dir, { recursive: true });
  const image = join(dir, `${label}.img`);
  const mount = join(dir, `${label}-mnt`);
  await mkdir(mount, { recursive: true });
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
    await rm(image, { force: true });
    await rm(mount, { recursive: true, force: true });
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
export function snapshotImage(image: Pick<MountedImage, 'mount' | 'image'>, destination: string): void {
  sh('fsfreeze', ['-f', image.mount]);
  try {
    sh('cp', ['--sparse=always', image.image, destination]);
  } finally {
    sh('fsfreeze', ['-u', image.mount]);
  }
}
