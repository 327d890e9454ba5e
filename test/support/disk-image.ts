import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { makeTempDir } from './mariadb.js';
import { createMountedImage as createImageIn } from '../../src/demo/disk-image.js';
import type { MountedImage } from '../../src/demo/disk-image.js';

export { snapshotImage } from '../../src/demo/disk-image.js';
export type { MountedImage } from '../../src/demo/disk-image.js';

/** A loop-mounted ext4 image in its own temp folder; cleanup also removes the folder. */
export async function createMountedImage(sizeMiB: number, label = 'disk'): Promise<MountedImage> {
  const dir = await makeTempDir(label);
  const image = await createImageIn(dir, sizeMiB, label);
  return {
    ...image,
    cleanup: async () => {
      await image.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Loop devices attached to files under `dir` (teardown checks that none is left). */
export function loopDevicesUnder(dir: string): string[] {
  return execFileSync('losetup', ['-a'])
    .toString()
    .split('\n')
    .filter((line) => line.includes(dir))
    .map((line) => line.split(':')[0]!);
}
