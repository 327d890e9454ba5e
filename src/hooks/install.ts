/**
 * The imperative shell of `snaplog hooks install|uninstall`: writes a HookPlan under a root folder.
 *
 * - every file appears whole: temp name in the same folder, write, chmod, chown root:root, fsync, rename,
 *   fsync the folder;
 * - a file snaplog did not write (no snaplog-managed marker) is never overwritten: refused, or with
 *   --force moved aside to `<name>.snaplog-backup-<timestamp>` first;
 * - re-installing is idempotent; uninstall removes only snaplog's files and puts a backup back.
 */
import { chmod, chown, mkdir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SnaplogError } from '../errors.js';
import { fsyncFolder, writeFileAtomic } from '../safe-files.js';
import { AZURE_WORKLOAD_CONF } from './azure.js';
import { AZURE_DIVERTING_WORKLOADS, azureWorkloadName } from './checks.js';
import { readGcpSnapshotSettings } from './gcp-agent.js';
import { agentMarginSeconds } from '../freeze/deadline.js';
import { inspectHookFile, isMissing, lstatOrUndefined, onDiskPath } from './hook-files.js';
import { coexistenceWarnings, installedHookProducts } from './status.js';
import type { HookPlan, HookProduct, PlannedFileKind } from './types.js';

export interface HookFsOptions {
  /** Folder that stands for `/` (default `/`). */
  root?: string;
  /** Effective uid (default: the process's). Root gets root:root files; anyone else only under --root. */
  uid?: number;
  /** Clock for backup names (tests). */
  now?: () => Date;
}

export interface InstallOptions extends HookFsOptions {
  /** Move foreign files aside instead of refusing. */
  force?: boolean;
}

export type DirOutcome = 'created' | 'mode-fixed' | 'present';
export type FileOutcome = 'created' | 'updated' | 'unchanged' | 'replaced';

export interface InstalledDir {
  path: string;
  onDisk: string;
  mode: number;
  outcome: DirOutcome;
}

export interface InstalledFile {
  /** Path on the target system. */
  path: string;
  /** Where it was written (under --root). */
  onDisk: string;
  mode: number;
  kind: PlannedFileKind;
  /** 0 when installed as root. */
  uid: number;
  outcome: FileOutcome;
  /** The foreign file moved aside by --force. */
  backup?: string;
}

export interface InstallReport {
  product: HookProduct;
  root: string;
  dirs: InstalledDir[];
  files: InstalledFile[];
  notes: string[];
}

export type RemoveOutcome = 'removed' | 'restored' | 'absent' | 'kept-foreign';

export interface UninstalledFile {
  path: string;
  onDisk: string;
  outcome: RemoveOutcome;
  /** The backup put back in place. */
  restoredFrom?: string;
  /** For a removed file: which product snaplog had installed it for. */
  installedFor?: HookProduct;
}

export interface UninstallReport {
  product: HookProduct;
  root: string;
  files: UninstalledFile[];
  /** snaplog's own folders removed because they were empty. */
  removedDirs: string[];
}

export const BACKUP_INFIX = '.snaplog-backup-';

function isVmwareLike(product: HookProduct): boolean {
  return product === 'vmware' || product === 'nakivo';
}

function effectiveUid(options: HookFsOptions): number {
  return options.uid ?? process.getuid?.() ?? 0;
}

/** Resolves --root and refuses what cannot work: a missing root, or the real / without being root. */
async function checkRoot(options: HookFsOptions, verb: 'install' | 'uninstall', product: HookProduct): Promise<string> {
  const root = resolve(options.root ?? '/');
  const uid = effectiveUid(options);
  if (root === '/' && uid !== 0) {
    throw new SnaplogError(`hooks ${verb} --for ${product} changes root-owned files in /etc and /usr/sbin, and this process runs as uid ${uid}, not root`, {
      hint: `run it as root (sudo snaplog hooks ${verb} --for ${product} …), or add --root DIR to work in a staging folder`,
    });
  }
  let rootStat: Stats;
  try {
    rootStat = await stat(root);
  } catch (error) {
    if (isMissing(error))
      throw new SnaplogError(`hooks ${verb}: --root ${root} does not exist`, { exitCode: 2, hint: 'create the folder first, or leave --root out to use /' });
    throw error;
  }
  if (!rootStat.isDirectory())
    throw new SnaplogError(`hooks ${verb}: --root ${root} is not a folder`, { exitCode: 2, hint: 'give --root a folder that stands for /' });
  return root;
}

function backupStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function freeBackupName(target: string, date: Date): Promise<string> {
  const base = `${target}${BACKUP_INFIX}${backupStamp(date)}`;
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if ((await lstatOrUndefined(candidate)) === undefined) return candidate;
  }
}

/** The newest `<name>.snaplog-backup-*` beside the target, if any. */
async function newestBackup(target: string): Promise<string | undefined> {
  const prefix = `${basename(target)}${BACKUP_INFIX}`;
  let names: string[];
  try {
    names = await readdir(dirname(target));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const backups = names
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => {
      const [stampA, stampB] = [a.slice(prefix.length), b.slice(prefix.length)];
      const [baseA = '', nA = '1'] = stampA.split('-');
      const [baseB = '', nB = '1'] = stampB.split('-');
      return baseA === baseB ? Number(nA) - Number(nB) : baseA < baseB ? -1 : 1;
    });
  const newest = backups.at(-1);
  return newest === undefined ? undefined : join(dirname(target), newest);
}

async function ensureDirs(plan: HookPlan, root: string, chownRoot: boolean): Promise<InstalledDir[]> {
  const done: InstalledDir[] = [];
  for (const dir of plan.dirs) {
    const onDisk = onDiskPath(root, dir.path);
    const stats = await lstatOrUndefined(onDisk);
    if (stats === undefined) {
      await mkdir(onDisk, { recursive: true, mode: 0o755 });
      await chmod(onDisk, dir.mode); // trusted: the products' folders under /etc and /usr/sbin are root's
      if (chownRoot) await chown(onDisk, 0, 0); // trusted: as above
      done.push({ path: dir.path, onDisk, mode: dir.mode, outcome: 'created' });
      continue;
    }
    if (!stats.isDirectory()) {
      // A symlink to a folder is accepted (e.g. /usr/sbin → /usr/bin on merged-/usr systems).
      const target = await stat(onDisk).catch(() => undefined);
      if (!target?.isDirectory()) {
        throw new SnaplogError(`hooks install --for ${plan.product}: ${onDisk} exists but is not a folder`, {
          hint: 'move it away; the hooks must live in that folder',
        });
      }
      done.push({ path: dir.path, onDisk, mode: target.mode & 0o7777, outcome: 'present' });
      continue;
    }
    if (dir.enforceMode && (stats.mode & 0o7777) !== dir.mode) {
      await chmod(onDisk, dir.mode); // trusted: a root-owned product folder
      done.push({ path: dir.path, onDisk, mode: dir.mode, outcome: 'mode-fixed' });
      continue;
    }
    done.push({ path: dir.path, onDisk, mode: stats.mode & 0o7777, outcome: 'present' });
  }
  return done;
}

/**
 * Writes the plan under options.root. Checks every file before writing any: if one is foreign and
 * --force is not given, nothing is changed.
 */
export async function installHooks(plan: HookPlan, options: InstallOptions = {}): Promise<InstallReport> {
  const root = await checkRoot(options, 'install', plan.product);
  const uid = effectiveUid(options);
  const chownRoot = uid === 0;
  const now = options.now ?? (() => new Date());

  if (plan.product === 'azure') {
    const workloadName = await azureWorkloadName(root);
    if (workloadName !== undefined) {
      throw new SnaplogError(
        `hooks install --for azure: ${onDiskPath(root, AZURE_WORKLOAD_CONF)} sets workload_name = ${workloadName}, and for ${AZURE_DIVERTING_WORKLOADS.join(', ')} Azure Backup runs its own database freeze instead of the pre/post scripts snaplog would install`,
        {
          hint: `move workload_name (and any other keys snaplog reads from it) into /etc/snaplog/snaplog.conf, delete workload_name from ${AZURE_WORKLOAD_CONF} (or the whole file), check with \`snaplog config check\`, then run this again (other names, e.g. iris, may stay: Azure ignores them)`,
        },
      );
    }
  }

  const existing = await Promise.all(
    plan.files.map(async (file) => ({ file, onDisk: onDiskPath(root, file.path), state: await inspectHookFile(onDiskPath(root, file.path), file) })),
  );
  const foreign = existing.filter((entry) => entry.state.kind === 'foreign');
  if (foreign.length > 0 && !options.force) {
    const list = foreign.map((entry) => `${entry.onDisk} ${entry.state.kind === 'foreign' ? entry.state.why : ''}`).join('; ');
    throw new SnaplogError(
      `hooks install --for ${plan.product}: refusing to overwrite ${foreign.length === 1 ? 'a file' : 'files'} snaplog did not write: ${list}`,
      {
        hint: `look at ${foreign.length === 1 ? 'it' : 'them'} first (another tool's hook?). To replace ${foreign.length === 1 ? 'it' : 'them'}, re-run with --force: snaplog moves each one aside to <name>${BACKUP_INFIX}<timestamp>, and \`snaplog hooks uninstall --for ${plan.product}\` puts it back`,
      },
    );
  }

  const dirs = await ensureDirs(plan, root, chownRoot);
  const files: InstalledFile[] = [];
  for (const { file, onDisk, state } of existing) {
    const base = { path: file.path, onDisk, mode: file.mode, kind: file.kind, uid: chownRoot ? 0 : uid };
    if (state.kind === 'managed') {
      const sameOwner = !chownRoot || (state.stats.uid === 0 && state.stats.gid === 0);
      if (state.content === file.content && (state.stats.mode & 0o7777) === file.mode && sameOwner) {
        files.push({ ...base, outcome: 'unchanged' });
        continue;
      }
      await writeFileAtomic(onDisk, file.content, { mode: file.mode, ...(chownRoot ? { owner: { uid: 0, gid: 0 } } : {}) });
      files.push({ ...base, outcome: 'updated' });
      continue;
    }
    if (state.kind === 'foreign') {
      const backup = await freeBackupName(onDisk, now());
      await rename(onDisk, backup);
      await writeFileAtomic(onDisk, file.content, { mode: file.mode, ...(chownRoot ? { owner: { uid: 0, gid: 0 } } : {}) });
      files.push({ ...base, outcome: 'replaced', backup });
      continue;
    }
    await writeFileAtomic(onDisk, file.content, { mode: file.mode, ...(chownRoot ? { owner: { uid: 0, gid: 0 } } : {}) });
    files.push({ ...base, outcome: 'created' });
  }

  let notes = [...plan.notes];
  if (plan.product === 'gcp') {
    const settings = await readGcpSnapshotSettings(root);
    const seconds = settings.timeoutSeconds.value;
    if (settings.enabled.value) {
      notes = notes.map((note) =>
        note.startsWith('Enable with')
          ? `Already enabled ([Snapshots] enabled = ${settings.enabled.raw ?? 'true'} in ${settings.enabled.source ?? '?'}); restart google-guest-agent if you enabled it only now.`
          : note,
      );
    }
    notes.push(
      `Now: timeout_in_seconds = ${seconds} (${settings.timeoutSeconds.source ?? "the agent's default"}): snaplog freeze gets ${seconds - agentMarginSeconds(seconds)} s to flush, ship and lock; raise it there (then restart the agent) if your archive needs longer.`,
      ...settings.problems.map((problem) => `WARNING: ${problem}`),
    );
  }
  const others = (await installedHookProducts(root)).filter((product) => product !== plan.product && !(isVmwareLike(product) && isVmwareLike(plan.product)));
  for (const warning of coexistenceWarnings([plan.product, ...others])) notes.push(`WARNING: ${warning}`);
  if (!chownRoot) {
    notes.unshift(`Not running as root: the files are owned by uid ${uid}. The backup products only run root-owned hooks: install as root on the real system.`);
  }
  return { product: plan.product, root, dirs, files, notes };
}

/**
 * Removes the plan's files that snaplog wrote (config first, so a product never sees a config naming a
 * missing script) and puts back the newest `<name>.snaplog-backup-*`. Foreign files are left alone.
 */
export async function uninstallHooks(plan: HookPlan, options: HookFsOptions = {}): Promise<UninstallReport> {
  const root = await checkRoot(options, 'uninstall', plan.product);
  const files: UninstalledFile[] = [];
  for (const file of [...plan.files].reverse()) {
    const onDisk = onDiskPath(root, file.path);
    const state = await inspectHookFile(onDisk, file);
    if (state.kind === 'foreign') {
      files.push({ path: file.path, onDisk, outcome: 'kept-foreign' });
      continue;
    }
    if (state.kind === 'managed') await unlink(onDisk);
    const backup = await newestBackup(onDisk);
    if (backup !== undefined) await rename(backup, onDisk);
    if (state.kind === 'managed' || backup !== undefined) await fsyncFolder(dirname(onDisk));
    const installedFor = state.kind === 'managed' && state.meta ? { installedFor: state.meta.product } : {};
    if (backup !== undefined) files.push({ path: file.path, onDisk, outcome: 'restored', restoredFrom: backup, ...installedFor });
    else files.push({ path: file.path, onDisk, outcome: state.kind === 'managed' ? 'removed' : 'absent', ...installedFor });
  }
  files.reverse();

  const removedDirs: string[] = [];
  for (const dir of plan.dirs) {
    if (!dir.removeWhenEmpty) continue;
    const onDisk = onDiskPath(root, dir.path);
    try {
      await rmdir(onDisk);
      removedDirs.push(onDisk);
    } catch {
      // not empty (another product's hooks, a backup) or already gone: keep it
    }
  }
  return { product: plan.product, root, files, removedDirs };
}
