/**
 * Journal.Restore runs as the instance's owner ([workload] linux_user): when snaplog runs as root, the
 * staging folder and the fetched journals are handed to that user so the instance can read them.
 */
import { chown } from 'node:fs/promises';
import { execa } from 'execa';
import { SnaplogError } from '../../errors.js';

export interface UserIds {
  uid: number;
  gid: number;
}

/** Pure: uid and gid from a passwd line (`name:x:uid:gid:…`), as `getent passwd NAME` prints it. */
export function parsePasswdLine(line: string, user: string): UserIds | undefined {
  const fields = line.trim().split(':');
  if (fields.length < 4 || fields[0] !== user || !/^\d+$/.test(fields[2]!) || !/^\d+$/.test(fields[3]!)) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

export async function handStagingTo(user: string, paths: string[]): Promise<void> {
  if (process.getuid?.() !== 0 || user === 'root') return;
  const lookup = await execa('getent', ['passwd', user], { reject: false });
  const ids = parsePasswdLine(String(lookup.stdout ?? '').split('\n')[0] ?? '', user);
  if (!ids) throw new SnaplogError(`[workload] linux_user ${user} is not a user on this machine: the instance could not read the fetched journals`, { hint: 'set linux_user to the instance owner (ls -l <install>/mgr), e.g. irisowner' });
  for (const path of paths) await chown(path, ids.uid, ids.gid);
}
