import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { SnaplogError, UsageError } from '../errors.js';
import { parseRecoveryTable } from './iscsi-table.js';
import type { RecoveryVolume } from './iscsi-table.js';
import { loginTarget, logoutTarget } from './iscsi-initiator.js';
import type { FoundDatadir } from '../engines/types.js';
import { readFileNoFollow } from '../safe-files.js';
import { attachRecordFile, hasAttachRecord, readAttachRecord, removeAttachRecord, writeAttachRecord } from './records.js';

export type AttachSource =
  | { kind: 'device'; device: string }
  | { kind: 'image'; image: string }
  | { kind: 'iscsi-script'; script: string }
  | { kind: 'iscsi-target'; portal: string; target: string };

export interface AttachRecord {
  /** The mount point given to attach, resolved: the record's key. */
  mountDir: string;
  source: AttachSource;
  /** sha256 of the file-recovery script when it was run: detach runs it again only if it is unchanged. */
  scriptSha256?: string;
  mounts: string[];
  loopDevice?: string;
  readOnly: boolean;
  attachedAt: string;
}

export interface AttachResult extends AttachRecord {
  datadirs: FoundDatadir[];
  recoveryVolumes?: RecoveryVolume[];
}

export class NotAFilesystemError extends SnaplogError {
  constructor(what: string, detail: string) {
    super(`${what} holds no file system snaplog can mount (${detail})`, {
      hint: 'check the device name (lsblk -f); a restored managed disk shows up as a new /dev/sdX with a partition',
    });
  }
}

async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await execa(command, args)).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
    throw new SnaplogError(`${command} ${args.join(' ')} failed: ${String(stderr).trim()}`, { hint: 'snaplog attach must run as root' });
  }
}

/** The partitions (or the whole device) of DEV that carry a file system, largest first. */
async function filesystemsOn(device: string): Promise<string[]> {
  const output = await run('lsblk', ['-J', '-b', '-p', '-o', 'NAME,FSTYPE,SIZE,TYPE', device]);
  const tree = JSON.parse(output) as { blockdevices: { name: string; fstype: string | null; size: number; children?: unknown[] }[] };
  const all: { name: string; fstype: string | null; size: number }[] = [];
  const walk = (nodes: { name: string; fstype: string | null; size: number; children?: unknown[] }[]): void => {
    for (const node of nodes) {
      all.push(node);
      if (node.children) walk(node.children as typeof nodes);
    }
  };
  walk(tree.blockdevices);
  const withFs = all.filter((node) => node.fstype && node.fstype !== 'swap' && node.fstype !== 'LVM2_member').sort((a, b) => Number(b.size) - Number(a.size));
  if (withFs.length === 0) {
    const blkid = await execa('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { reject: false });
    if (blkid.exitCode === 0 && blkid.stdout.trim()) return [device];
    throw new NotAFilesystemError(
      device,
      all.some((node) => node.fstype === 'LVM2_member') ? 'LVM: activate it with vgchange -ay and pass the logical volume' : 'no file system signature',
    );
  }
  return withFs.map((node) => node.name);
}

/** A restored disk is a copy of a VM that may be compromised: no setuid programs, no device files from it. */
const HOSTILE_DISK_OPTIONS = 'nosuid,nodev';

async function mountOne(device: string, mountDir: string, readOnly: boolean): Promise<void> {
  await mkdir(mountDir, { recursive: true });
  if ((await lstat(mountDir)).isSymbolicLink()) throw new UsageError(`${mountDir} is a symlink`, 'give a real, empty folder with --mount');
  const entries = await readdir(mountDir);
  if (entries.length > 0) throw new UsageError(`${mountDir} is not empty`, 'give an empty folder with --mount');
  await run('mount', ['-o', `${readOnly ? 'ro,noload' : 'rw'},${HOSTILE_DISK_OPTIONS}`, device, mountDir]).catch(async (error) => {
    if (!readOnly) throw error;
    await run('mount', ['-o', `ro,${HOSTILE_DISK_OPTIONS}`, device, mountDir]);
  });
}

/** Mounts a restored disk, a disk image or Azure's file-recovery volumes, and finds the data directory on it. */
/**
 * Mounts the source and looks for data directories with `findDatadirs` (the engines' volume readers: see
 * engines/registry.ts); the attach record lets detach undo exactly what was done.
 */
export async function attach(
  source: AttachSource,
  options: { mount?: string; readOnly?: boolean; findDatadirs: (root: string) => Promise<FoundDatadir[]> },
): Promise<AttachResult> {
  const readOnly = options.readOnly ?? false;
  const mountDir = resolve(options.mount ?? `/mnt/snaplog-restore-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`);
  if (await hasAttachRecord(mountDir)) throw new UsageError(`${mountDir} is already attached by snaplog`, `snaplog detach --mount ${mountDir}`);
  let record: AttachRecord;
  let recoveryVolumes: RecoveryVolume[] | undefined;
  if (source.kind === 'iscsi-script') {
    const script = await readRecoveryScript(source.script);
    const output = await runRecoveryScript(source.script, script, []);
    recoveryVolumes = parseRecoveryTable(output);
    if (recoveryVolumes.length === 0)
      throw new SnaplogError(`the file-recovery script ${source.script} mounted no volume (no "Sr.No. | Disk | Volume | MountPath" table in its output)`, {
        hint: 'run it by hand to see its messages; it needs outbound port 3260 and iscsi-initiator-utils',
      });
    record = {
      mountDir,
      source,
      scriptSha256: sha256(script),
      mounts: recoveryVolumes.map((volume) => volume.mountPath),
      readOnly,
      attachedAt: new Date().toISOString(),
    };
  } else if (source.kind === 'iscsi-target') {
    const disks = await loginTarget(source.portal, source.target);
    const mounts: string[] = [];
    try {
      const filesystems = (await Promise.all(disks.map((disk) => filesystemsOn(disk)))).flat();
      for (const filesystem of filesystems) {
        const mount = filesystems.length === 1 ? mountDir : join(mountDir, basename(filesystem));
        await mountOne(filesystem, mount, readOnly);
        mounts.push(mount);
      }
    } catch (error) {
      for (const mount of mounts.reverse()) await execa('umount', [mount], { reject: false });
      await logoutTarget(source.portal, source.target).catch(() => undefined);
      throw error;
    }
    record = { mountDir, source, mounts, readOnly, attachedAt: new Date().toISOString() };
  } else {
    let loopDevice: string | undefined;
    let device = source.kind === 'device' ? source.device : '';
    if (source.kind === 'image') {
      if (!existsSync(source.image)) throw new UsageError(`image ${source.image} does not exist`);
      loopDevice = (await run('losetup', ['--find', '--show', '--partscan', ...(readOnly ? ['--read-only'] : []), source.image])).trim();
      device = loopDevice;
    } else if (!existsSync(device)) throw new UsageError(`device ${device} does not exist`, 'list disks with lsblk');
    try {
      const [filesystem] = await filesystemsOn(device);
      await mountOne(filesystem!, mountDir, readOnly);
    } catch (error) {
      if (loopDevice) await execa('losetup', ['-d', loopDevice], { reject: false });
      throw error;
    }
    record = { mountDir, source, mounts: [mountDir], loopDevice, readOnly, attachedAt: new Date().toISOString() };
  }
  await writeAttachRecord(record);
  const datadirs = (await Promise.all(record.mounts.map((mount) => options.findDatadirs(mount)))).flat();
  return { ...record, datadirs, recoveryVolumes };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function readRecoveryScript(script: string): Promise<Buffer> {
  if (!existsSync(script)) throw new UsageError(`file-recovery script ${script} does not exist`);
  return readFileNoFollow(script);
}

async function runRecoveryScript(script: string, content: Buffer, args: string[]): Promise<string> {
  const interpreter = /^#!.*python/.test(content.subarray(0, 200).toString('utf8')) || script.endsWith('.py') ? 'python3' : 'bash';
  const result = await execa(interpreter, [resolve(script), ...args], { cwd: dirname(resolve(script)), reject: false, input: '' });
  if (result.exitCode !== 0) {
    throw new SnaplogError(
      `the file-recovery script ${script} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ')}`,
      {
        hint: 'the script expires 12 hours after download: generate a new one in the portal (File Recovery) if it is old',
      },
    );
  }
  return result.stdout;
}

/**
 * `losetup -d` only marks a device still held open (udev probing the partitions of a just-unmounted image) for
 * detaching when the last holder lets go: wait, bounded, until it is really gone, so that "detached" is true.
 */
async function detachLoopDevice(device: string): Promise<void> {
  await run('losetup', ['-d', device]);
  const backingFile = `/sys/block/${basename(device)}/loop/backing_file`;
  for (let waited = 0; existsSync(backingFile) && waited < 5_000; waited += 50) await sleep(50);
}

/** Unmounts what attach mounted, detaches the loop device, or runs the recovery script's `clean`. */
export async function detach(mountDir: string): Promise<AttachRecord> {
  const record = await readAttachRecord(mountDir);
  if (!record) throw new UsageError(`${mountDir} was not attached by snaplog`, 'unmount it by hand (umount) if it is mounted');
  if (record.source.kind === 'iscsi-script') {
    const script = await readRecoveryScript(record.source.script);
    if (sha256(script) !== record.scriptSha256) {
      throw new SnaplogError(`the file-recovery script ${record.source.script} changed since attach: snaplog will not run it`, {
        hint: `read it, then run it yourself with the argument clean; afterwards remove snaplog's record ${attachRecordFile(mountDir)}`,
      });
    }
    await runRecoveryScript(record.source.script, script, ['clean']);
  } else {
    for (const mount of [...record.mounts].reverse()) await run('umount', [mount]);
    if (record.loopDevice) await detachLoopDevice(record.loopDevice);
    if (record.source.kind === 'iscsi-target') await logoutTarget(record.source.portal, record.source.target);
  }
  await removeAttachRecord(mountDir);
  return record;
}
