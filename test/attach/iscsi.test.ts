import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { createMountedImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { snaplog } from '../support/cli.js';
import { parseDiscoveredTargets, parseSessionDisks } from '../../src/attach/iscsi-initiator.js';
import { parseRecoveryTable } from '../../src/attach/iscsi-table.js';

const TARGET = 'iqn.2016-01.microsoft.azure.backup:3433-recovery-vm01';

const SESSION_OUTPUT = (disk: string) => `iSCSI Transport Class version 2.0-870
version 2.1.8
Target: iqn.2016-01.other:unrelated (non-flash)
	Current Portal: 10.0.0.9:3260,1
		Host Number: 2	State: running
			Attached scsi disk sdz		State: running
Target: ${TARGET} (non-flash)
	Current Portal: 127.0.0.1:5365,1
	Persistent Portal: 127.0.0.1:5365,1
		************************
		Attached SCSI devices:
		************************
		Host Number: 3	State: running
		scsi3 Channel 00 Id 0 Lun: 0
			Attached scsi disk ${disk}		State: running
`;

describe('iSCSI output parsers (pure)', () => {
  it('sendtargets lines give the target IQNs', () => {
    expect(parseDiscoveredTargets(`127.0.0.1:5365,1 ${TARGET}\n10.0.0.9:3260,1 iqn.2016-01.other:unrelated\ngarbage\n`)).toEqual([
      TARGET,
      'iqn.2016-01.other:unrelated',
    ]);
  });
  it('session -P 3 gives only the disks of the named target', () => {
    expect(parseSessionDisks(SESSION_OUTPUT('sdc'), TARGET)).toEqual(['sdc']);
    expect(parseSessionDisks(SESSION_OUTPUT('sdc'), 'iqn.none')).toEqual([]);
  });
  it("the file-recovery script's table gives each mounted volume; unmounted rows are skipped", () => {
    const output = `Connection succeeded!
Please wait while we attach volumes of the recovery point to this machine...
************ Volumes of the recovery point and their mount paths on this machine ************

Sr.No.  |  Disk  |  Volume  |  MountPath
1)  | /dev/sdc  |  /dev/sdc1  |  /root/vm01-20261122/Volume1
2)  | /dev/sdc  |  /dev/sdc2  |
3)  | /dev/sdd  |  /dev/sdd1  |  /root/vm01-20261122/Volume3

After recovery, remove the disks and close the connection to the recovery point.`;
    expect(parseRecoveryTable(output)).toEqual([
      { serial: '1)', disk: '/dev/sdc', volume: '/dev/sdc1', mountPath: '/root/vm01-20261122/Volume1' },
      { serial: '3)', disk: '/dev/sdd', volume: '/dev/sdd1', mountPath: '/root/vm01-20261122/Volume3' },
    ]);
  });
});

/** A "recovery volume": a real ext4 image holding a MariaDB data directory layout, on a loop device. */
async function recoveryDisk(label: string): Promise<MountedImage> {
  const disk = await createMountedImage(16, label);
  await mkdir(join(disk.mount, 'var/lib/mysql/mysql'), { recursive: true });
  await writeFile(join(disk.mount, 'var/lib/mysql/ibdata1'), 'x');
  execFileSync('umount', [disk.mount]);
  return disk;
}

describe('attach --iscsi-portal/--iscsi-target with a fake iscsiadm on PATH (no kernel initiator here; the disk is a real loop device)', () => {
  let dir: string;
  let disk: MountedImage;
  let fakeBin: string;
  const calls = () => readFile(join(dir, 'iscsiadm.calls'), 'utf8').catch(() => '');

  beforeAll(async () => {
    dir = await makeTempDir('iscsi');
    disk = await recoveryDisk('iscsivol');
    fakeBin = join(dir, 'bin');
    await mkdir(fakeBin);
    await writeFile(join(dir, 'session.txt'), SESSION_OUTPUT(disk.loop.replace('/dev/', '')));
    await writeFile(
      join(fakeBin, 'iscsiadm'),
      `#!/bin/bash
echo "$*" >> ${join(dir, 'iscsiadm.calls')}
case "$*" in
  "-m discovery -t sendtargets -p 127.0.0.1:5365") echo "127.0.0.1:5365,1 ${TARGET}" ;;
  "-m discovery"*) echo "iscsiadm: cannot make connection to $6: Connection refused" >&2; exit 4 ;;
  *"--login") echo "Login to [iface: default, target: $4, portal: $6] successful." ;;
  *"--logout") echo "Logout of [sid: 3, target: $4, portal: $6] successful." ;;
  "-m session -P 3") cat ${join(dir, 'session.txt')} ;;
  *) exit 7 ;;
esac
`,
    );
    await chmod(join(fakeBin, 'iscsiadm'), 0o755);
  });
  afterAll(async () => {
    await disk?.cleanup();
    await removeDirs(dir);
  });

  const env = () => ({ PATH: `${fakeBin}:${process.env.PATH}` });

  it('discovers, logs in, mounts the disk read-write, finds the data directory; detach unmounts and logs out', async () => {
    const mount = join(dir, 'restore');
    const attached = await snaplog(['attach', '--iscsi-portal', '127.0.0.1:5365', '--iscsi-target', TARGET, '--mount', mount, '--json'], { env: env() });
    expect(attached.stderr).toBe('');
    expect(attached.code).toBe(0);
    const result = JSON.parse(attached.stdout) as { mounts: string[]; datadirs: { datadir: string }[] };
    expect(result.mounts).toEqual([mount]);
    expect(result.datadirs.map((found) => found.datadir)).toEqual([join(mount, 'var/lib/mysql')]);
    expect(await readFile('/proc/mounts', 'utf8')).toContain(` ${mount} ext4 rw`);
    expect(await calls()).toBe(`-m discovery -t sendtargets -p 127.0.0.1:5365\n-m node -T ${TARGET} -p 127.0.0.1:5365 --login\n-m session -P 3\n`);

    const detached = await snaplog(['detach', '--mount', mount], { env: env() });
    expect(detached.code).toBe(0);
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(` ${mount} `);
    expect((await calls()).trim().split('\n').pop()).toBe(`-m node -T ${TARGET} -p 127.0.0.1:5365 --logout`);
  });

  it('a target the portal does not offer: a clear error naming what it offers, no login, nothing mounted', async () => {
    await writeFile(join(dir, 'iscsiadm.calls'), '');
    const mount = join(dir, 'wrong');
    const result = await snaplog(['attach', '--iscsi-portal', '127.0.0.1:5365', '--iscsi-target', 'iqn.2016-01.typo:x', '--mount', mount], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`target iqn.2016-01.typo:x is not offered by 127.0.0.1:5365 (it offers ${TARGET})`);
    expect(await calls()).not.toContain('--login');
    expect(existsSync(mount)).toBe(false);
  });

  it('an unreachable portal: the error carries iscsiadm’s words and a hint', async () => {
    const result = await snaplog(['attach', '--iscsi-portal', '10.9.9.9:3260', '--iscsi-target', TARGET, '--mount', join(dir, 'unreachable')], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/iscsiadm could not discover targets on 10\.9\.9\.9:3260: .*Connection refused/);
    expect(result.stderr).toMatch(/HINT: .*3260/);
  });

  it('--iscsi-portal without --iscsi-target is a usage error (exit 2)', async () => {
    const result = await snaplog(['attach', '--iscsi-portal', '127.0.0.1:5365', '--mount', join(dir, 'x')], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/go together/);
  });
});

describe("attach --iscsi-script with a fake file-recovery script (it mounts a real loop device and prints Azure's table)", () => {
  let dir: string;
  let disk: MountedImage;
  let script: string;
  let volumeMount: string;

  beforeAll(async () => {
    dir = await makeTempDir('recoveryscript');
    disk = await recoveryDisk('recvol');
    volumeMount = join(dir, 'vm01-20261122', 'Volume1');
    script = join(dir, 'vm01_recovery.sh');
    await writeFile(
      script,
      `#!/bin/bash
echo "$*" >> ${join(dir, 'script.calls')}
if [ "$1" = clean ]; then umount ${volumeMount} && echo "Disconnected from the recovery point"; exit $?; fi
mkdir -p ${volumeMount} && mount ${disk.loop} ${volumeMount} || exit 3
echo "Connection succeeded!"
echo "************ Volumes of the recovery point and their mount paths on this machine ************"
echo ""
echo "Sr.No.  |  Disk  |  Volume  |  MountPath"
echo "1)  | ${disk.loop}  |  ${disk.loop}  |  ${volumeMount}"
echo ""
`,
    );
    await chmod(script, 0o700);
  });
  afterAll(async () => {
    if ((await readFile('/proc/mounts', 'utf8')).includes(` ${volumeMount} `)) execFileSync('umount', [volumeMount]);
    await disk?.cleanup();
    await removeDirs(dir);
  });

  it('runs the script, reads its table, finds the data directory; detach runs the script with clean', async () => {
    const attached = await snaplog(['attach', '--iscsi-script', script, '--mount', join(dir, 'unused'), '--json']);
    expect(attached.code).toBe(0);
    const result = JSON.parse(attached.stdout) as { mounts: string[]; datadirs: { datadir: string }[] };
    expect(result.mounts).toEqual([volumeMount]);
    expect(result.datadirs.map((found) => found.datadir)).toEqual([join(volumeMount, 'var/lib/mysql')]);
    const detached = await snaplog(['detach', '--mount', join(dir, 'unused')]);
    expect(detached.code).toBe(0);
    expect(await readFile(join(dir, 'script.calls'), 'utf8')).toBe('\nclean\n');
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(volumeMount);
  });
});
