import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { snaplog } from '../support/cli.js';

/** What a compromised VM could leave on its disk: a binlog index that is a symlink into the host's files. */
async function hostileDisk(label: string): Promise<MountedImage> {
  const disk = await createMountedImage(16, label);
  const datadir = join(disk.mount, 'var/lib/mysql');
  await mkdir(join(datadir, 'mysql'), { recursive: true });
  await writeFile(join(datadir, 'ibdata1'), 'x');
  await symlink('/etc/passwd', join(datadir, 'mysql-bin.index'));
  await writeFile(join(disk.mount, 'setuid-shell'), '#!/bin/sh\nid\n');
  await chmod(join(disk.mount, 'setuid-shell'), 0o4755);
  execFileSync('umount', [disk.mount]);
  return disk;
}

const mountOptions = async (mount: string): Promise<string[] | undefined> =>
  (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[1] === mount)?.[3]
    ?.split(',');

describe('attach and detach treat a restored disk as hostile (real loop-mounted ext4 image)', () => {
  let dir: string;
  let runDir: string;
  let disk: MountedImage;
  const env = () => ({ SNAPLOG_RUN_DIR: runDir });

  beforeAll(async () => {
    dir = await makeTempDir('hostiledisk');
    runDir = join(dir, 'run');
    disk = await hostileDisk('hostile');
  });
  afterAll(async () => {
    for (const mount of ['restore', 'restore2'].map((name) => join(dir, name))) {
      if (await mountOptions(mount)) execFileSync('umount', [mount]);
    }
    await disk?.cleanup();
    await removeDirs(dir);
  });

  it('mounts nosuid,nodev, never follows the disk’s symlinked binlog index, keeps its record in a root-only folder', async () => {
    const image = disk.image;
    const mount = join(dir, 'restore');
    const attached = await snaplog(['attach', '--image', image, '--mount', mount, '--json'], { env: env() });
    expect(attached.stderr).toBe('');
    expect(attached.code).toBe(0);
    const result = JSON.parse(attached.stdout) as { datadirs: { datadir: string; newestBinlog?: { name: string } }[]; loopDevice: string };
    expect(result.datadirs.map((found) => found.datadir)).toEqual([join(mount, 'var/lib/mysql')]);
    expect(result.datadirs[0]!.newestBinlog).toBeUndefined();
    expect(await mountOptions(mount)).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev']));
    expect(await readdir(dir)).not.toContain('.restore.snaplog-attach.json');
    const records = await readdir(join(runDir, 'attach'));
    expect(records).toHaveLength(1);
    expect(
      execFileSync('stat', ['-c', '%a %u', join(runDir, 'attach')])
        .toString()
        .trim(),
    ).toBe('700 0');

    const detached = await snaplog(['detach', '--mount', mount], { env: env() });
    expect(detached.code).toBe(0);
    expect(await mountOptions(mount)).toBeUndefined();
    expect(execFileSync('losetup', ['-a']).toString()).not.toContain(result.loopDevice);
    expect(await readdir(join(runDir, 'attach'))).toHaveLength(0);
  });

  it('a record planted beside a mount point (where a user could write) is not believed: detach refuses and runs nothing', async () => {
    const mount = join(dir, 'planted');
    await mkdir(mount);
    const marker = join(dir, 'ran');
    const script = join(dir, 'evil.sh');
    await writeFile(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    await writeFile(
      join(dir, '.planted.snaplog-attach.json'),
      JSON.stringify({ mountDir: mount, source: { kind: 'iscsi-script', script }, mounts: [mount], readOnly: false, attachedAt: '' }),
    );
    const result = await snaplog(['detach', '--mount', mount], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/was not attached by snaplog/);
    expect(result.stderr).toMatch(/HINT: /);
    expect(existsSync(marker)).toBe(false);
  });

  it('a records folder open to other users is refused before anything is mounted', async () => {
    const looseRun = join(dir, 'loose');
    await mkdir(join(looseRun, 'attach'), { recursive: true, mode: 0o777 });
    await chmod(looseRun, 0o700);
    await chmod(join(looseRun, 'attach'), 0o777);
    const mount = join(dir, 'restore2');
    const result = await snaplog(['attach', '--device', '/dev/null', '--mount', mount], { env: { SNAPLOG_RUN_DIR: looseRun } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/open to other users/);
    expect(result.stderr).toMatch(/HINT: chmod 700/);
    expect(existsSync(mount)).toBe(false);
  });
});

describe('detach runs a file-recovery script only if it is the one attach ran (fake recovery script, real loop device)', () => {
  let dir: string;
  let runDir: string;
  let disk: MountedImage;
  let script: string;
  let volumeMount: string;

  beforeAll(async () => {
    dir = await makeTempDir('changedscript');
    runDir = join(dir, 'run');
    disk = await createMountedImage(16, 'recvol2');
    await mkdir(join(disk.mount, 'var/lib/mysql/mysql'), { recursive: true });
    await writeFile(join(disk.mount, 'var/lib/mysql/ibdata1'), 'x');
    execFileSync('umount', [disk.mount]);
    volumeMount = join(dir, 'vm01', 'Volume1');
    script = join(dir, 'vm01_recovery.sh');
    await writeFile(
      script,
      `#!/bin/bash
echo "$*" >> ${join(dir, 'script.calls')}
if [ "$1" = clean ]; then umount ${volumeMount}; exit $?; fi
mkdir -p ${volumeMount} && mount ${disk.loop} ${volumeMount} || exit 3
echo "Sr.No.  |  Disk  |  Volume  |  MountPath"
echo "1)  | ${disk.loop}  |  ${disk.loop}  |  ${volumeMount}"
`,
      { mode: 0o700 },
    );
  });
  afterAll(async () => {
    if (await mountOptions(volumeMount)) execFileSync('umount', [volumeMount]);
    await disk?.cleanup();
    await removeDirs(dir);
  });

  it('a script changed after attach is not run by detach; the error says what to do', async () => {
    const mount = join(dir, 'unused');
    const attached = await snaplog(['attach', '--iscsi-script', script, '--mount', mount, '--json'], { env: { SNAPLOG_RUN_DIR: runDir } });
    expect(attached.code).toBe(0);
    await writeFile(script, `${await readFile(script, 'utf8')}\n# changed\n`);
    const detached = await snaplog(['detach', '--mount', mount], { env: { SNAPLOG_RUN_DIR: runDir } });
    expect(detached.code).toBe(1);
    expect(detached.stderr).toMatch(/changed since attach/);
    expect(detached.stderr).toMatch(/HINT: read it, then run it yourself with the argument clean/);
    expect(await readFile(join(dir, 'script.calls'), 'utf8')).toBe('\n');
  });
});
