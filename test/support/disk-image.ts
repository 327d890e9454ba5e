import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * The data directory of a snapshot image, copied out to `<work>/snapshot-datadir` the way a DBA would: attach
 * the image like a restored disk (snaplog attach), copy, detach. Each restore then works on its own copy.
 */
export async function datadirOfSnapshotImage(image: string, work: string, configPath: string): Promise<string> {
  const { snaplog } = await import('./cli.js');
  const mount = join(work, 'snapshot-mnt');
  const attached = await snaplog(['attach', '--image', image, '--mount', mount, '--json', '--config', configPath]);
  if (attached.code !== 0) throw new Error(`snaplog attach failed: ${attached.stderr}`);
  const datadir = join(work, 'snapshot-datadir');
  execFileSync('cp', ['-a', (JSON.parse(attached.stdout) as { datadirs: { datadir: string }[] }).datadirs[0]!.datadir, datadir]);
  const detached = await snaplog(['detach', '--mount', mount]);
  if (detached.code !== 0) throw new Error(`snaplog detach failed: ${detached.stderr}`);
  return datadir;
}
