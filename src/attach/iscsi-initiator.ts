import { execa } from 'execa';
import { SnaplogError } from '../errors.js';

/** Pure: the targets `iscsiadm -m discovery -t sendtargets` printed (`IP:PORT,TPGT IQN` per line). */
export function parseDiscoveredTargets(output: string): string[] {
  return output
    .split('\n')
    .map((line) => /^\S+:\d+,\d+\s+(\S+)\s*$/.exec(line.trim())?.[1])
    .filter((target): target is string => target !== undefined);
}

/** Pure: the SCSI disks (`sdc`, …) attached to `target` in `iscsiadm -m session -P 3` output. */
export function parseSessionDisks(output: string, target: string): string[] {
  const disks: string[] = [];
  let inTarget = false;
  for (const line of output.split('\n')) {
    const header = /^\s*Target:\s*(\S+)/.exec(line);
    if (header) inTarget = header[1] === target;
    const disk = /Attached scsi disk\s+(\S+)/.exec(line);
    if (inTarget && disk?.[1]) disks.push(disk[1]);
  }
  return disks;
}

async function iscsiadm(args: string[], what: string): Promise<string> {
  const result = await execa('iscsiadm', args, { reject: false, input: '' });
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout || String(result.exitCode)).trim().split('\n').slice(-2).join(' / ');
    throw new SnaplogError(`iscsiadm could not ${what}: ${detail}`, {
      hint:
        result.exitCode === undefined
          ? 'install open-iscsi (apt-get install open-iscsi) and run as root'
          : 'check the portal address and port 3260, and CHAP settings in /etc/iscsi/iscsid.conf',
    });
  }
  return result.stdout;
}

/** Logs in to one target on `portal` and returns the block devices it brought, waiting for them to appear. */
export async function loginTarget(portal: string, target: string, waitMs = 20_000): Promise<string[]> {
  const found = parseDiscoveredTargets(await iscsiadm(['-m', 'discovery', '-t', 'sendtargets', '-p', portal], `discover targets on ${portal}`));
  if (!found.includes(target)) {
    throw new SnaplogError(`target ${target} is not offered by ${portal}${found.length ? ` (it offers ${found.join(', ')})` : ' (it offers none)'}`, {
      hint: 'copy the target IQN exactly as the recovery point shows it',
    });
  }
  await iscsiadm(['-m', 'node', '-T', target, '-p', portal, '--login'], `log in to ${target}`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const disks = parseSessionDisks(await iscsiadm(['-m', 'session', '-P', '3'], 'list its sessions'), target);
    if (disks.length) return disks.map((disk) => `/dev/${disk}`);
    if (Date.now() > deadline) {
      await logoutTarget(portal, target).catch(() => undefined);
      throw new SnaplogError(`logged in to ${target}, but no disk appeared within ${waitMs / 1000} s`, {
        hint: 'see dmesg; the recovery volume may still be preparing',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function logoutTarget(portal: string, target: string): Promise<void> {
  await iscsiadm(['-m', 'node', '-T', target, '-p', portal, '--logout'], `log out of ${target}`);
}
