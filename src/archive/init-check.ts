import { readFile, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { SnaplogError } from '../errors.js';
import { ARCHIVE_MARKER } from './layout.js';

/** One line of /proc/self/mountinfo: where a file system is mounted, and what it is. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** What `archive init` found at the configured path. */
export interface ArchivePathFacts {
  path: string;
  kind: 'missing' | 'directory' | 'other';
  /** The path with symlinks resolved (when it exists). */
  realPath?: string;
  mounts: MountEntry[];
}

export interface InitRefusal {
  reason: string;
  hint: string;
  /** --force creates or uses the folder anyway; false when nothing can make the path an archive. */
  forceHelps: boolean;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Pure: the mounts listed in /proc/self/mountinfo (fields 5, 9 and 10: mount point, type, source). */
export function parseMountInfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields[4] === undefined) continue;
    mounts.push({ mountPoint: unescapeMountField(fields[4]), fsType: fields[separator + 1] ?? '?', source: unescapeMountField(fields[separator + 2] ?? '?') });
  }
  return mounts;
}

/** Pure: the mount that holds `realPath` (the last listed of the longest matching mount points: it is on top). */
export function containingMount(realPath: string, mounts: MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const point = mount.mountPoint;
    const inside = point === '/' || realPath === point || realPath.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/**
 * Pure: why `snaplog archive init` must not write a marker at this path. An NFS share that is not mounted
 * leaves its mount point as an empty folder on the root file system (or no folder at all); a marker
 * written there would make every later command take that local folder for the archive. So the path must
 * exist and be a mount point, or lie inside a mounted file system other than the root one.
 */
export function initRefusal(facts: ArchivePathFacts): InitRefusal | undefined {
  const { path } = facts;
  if (facts.kind === 'missing') {
    return {
      reason: `${path} does not exist: snaplog does not create the archive folder, because an unmounted share is a missing or empty folder`,
      hint:
        `mount the share (mount ${path}, or the share that holds it) and create the folder on it, then run snaplog archive init again; ` +
        'for a local archive on purpose, add --force',
      forceHelps: true,
    };
  }
  if (facts.kind === 'other') {
    return { reason: `${path} is not a folder`, hint: 'set [archive] path to the folder of the mounted share', forceHelps: false };
  }
  const realPath = facts.realPath ?? path;
  const mount = containingMount(realPath, facts.mounts);
  if (!mount || mount.mountPoint === '/') {
    const where = realPath === path ? path : `${path} (${realPath})`;
    return {
      reason:
        `${where} is not a mount point and not inside one: it is on the root file system${mount ? ` (${mount.fsType} ${mount.source})` : ''}, ` +
        "where an unmounted share's empty folder would be",
      hint:
        `mount the share at ${path} (findmnt ${path} shows what is mounted there), then run snaplog archive init again; ` +
        'for a local archive on purpose (a test, a disk you manage yourself), add --force',
      forceHelps: true,
    };
  }
  return undefined;
}

/** Reads what initRefusal needs about `path` from the file system and /proc/self/mountinfo. */
export async function archivePathFacts(path: string): Promise<ArchivePathFacts> {
  const absolute = posix.resolve(path);
  const mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'missing', mounts };
    throw error;
  }
  if (!info.isDirectory()) return { path, kind: 'other', mounts };
  return { path, kind: 'directory', realPath: await realpath(absolute), mounts };
}

export class ArchiveInitRefusedError extends SnaplogError {
  constructor(refusal: InitRefusal) {
    super(`refusing to initialise the archive: ${refusal.reason}`, { hint: refusal.hint });
  }
}

/**
 * Throws unless `archive init` may write its marker at `path`: an archive that already has its marker is
 * fine (init writes nothing then); --force accepts a missing path or a local folder.
 */
export async function assertArchivePathInitialisable(path: string, force: boolean): Promise<void> {
  if (await exists(posix.join(path, ARCHIVE_MARKER))) return;
  const refusal = initRefusal(await archivePathFacts(path));
  if (refusal && (!force || !refusal.forceHelps)) throw new ArchiveInitRefusedError(refusal);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
