/**
 * `snaplog hooks status`: what is installed where, and whether the backup product will accept and run it
 * (mode, owner, the snaplog command it points at, product-specific switches). Read-only.
 */
import { constants } from 'node:fs';
import { access, lstat, readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { agentMarginSeconds } from '../freeze/deadline.js';
import { SnaplogError } from '../errors.js';
import { AZURE_WORKLOAD_CONF } from './azure.js';
import { azureWorkloadName } from './checks.js';
import { GCP_SNAPSHOTS_DIR } from './gcp.js';
import { GCP_INSTANCE_CONFIGS, readGcpSnapshotSettings } from './gcp-agent.js';
import { formatMode, inspectHookFile, onDiskPath } from './hook-files.js';
import { hookLayout } from './plan.js';
import { HOOK_PRODUCTS } from './types.js';
import type { HookMeta, HookProduct, PlannedFileKind } from './types.js';

export type HookState = 'installed' | 'partial' | 'absent' | 'foreign' | 'other-product';

export interface HookFileStatus {
  path: string;
  onDisk: string;
  kind: PlannedFileKind;
  expectedMode: string;
  exists: boolean;
  managed: boolean;
  /** The product snaplog installed this file for (vmware and nakivo share their files). */
  installedFor?: HookProduct;
  mode?: string;
  uid?: number;
  gid?: number;
  problems: string[];
}

export interface ProductHookStatus {
  product: HookProduct;
  state: HookState;
  /** false when installed (or partly) but the product would not run the hooks, or they would fail. */
  ok: boolean;
  files: HookFileStatus[];
  problems: string[];
  /** Facts worth knowing that are not problems (the agent's timeout, which NAKIVO path is set up). */
  notes: string[];
}

export interface HooksStatusReport {
  root: string;
  ok: boolean;
  products: ProductHookStatus[];
  /** Products whose snaplog hooks are installed on this host (vmware and nakivo share their files). */
  installed: HookProduct[];
  /** More than one product's hooks: what that means for a snapshot that runs both. */
  warnings: string[];
}

async function commandProblems(command: readonly string[], config: string | undefined, product: HookProduct): Promise<string[]> {
  const problems: string[] = [];
  const reinstall = `reinstall: snaplog hooks install --for ${product}`;
  const [executable, ...rest] = command;
  if (executable !== undefined) {
    try {
      await access(executable, constants.X_OK);
    } catch {
      problems.push(`the hooks run ${executable}, which is missing or not executable (snaplog or node moved?); ${reinstall}`);
    }
  }
  for (const word of rest) {
    if (!isAbsolute(word)) continue;
    try {
      await access(word, constants.R_OK);
    } catch {
      problems.push(`the hooks run ${word}, which is missing (snaplog moved?); ${reinstall}`);
    }
  }
  if (config !== undefined) {
    try {
      await access(config, constants.R_OK);
    } catch {
      problems.push(`the hooks pass --config ${config}, which does not exist; create it or ${reinstall} --config FILE`);
    }
  }
  return problems;
}

async function productProblems(product: HookProduct, root: string): Promise<string[]> {
  const problems: string[] = [];
  if (product === 'azure') {
    const name = await azureWorkloadName(root);
    if (name !== undefined) {
      problems.push(
        `${AZURE_WORKLOAD_CONF} sets workload_name = ${name}: Azure Backup then runs its own database freeze instead of snaplog's scripts; move workload_name to snaplog.conf and delete it from ${AZURE_WORKLOAD_CONF}`,
      );
    }
  }
  if (product === 'gcp') {
    const dir = await lstat(onDiskPath(root, GCP_SNAPSHOTS_DIR)).catch(() => undefined);
    if (dir && (dir.mode & 0o7777) !== 0o700)
      problems.push(`${GCP_SNAPSHOTS_DIR} has mode ${formatMode(dir.mode)}, expected 0700 (chmod 0700 ${onDiskPath(root, GCP_SNAPSHOTS_DIR)})`);
    const settings = await readGcpSnapshotSettings(root);
    problems.push(...settings.problems);
    if (!settings.enabled.value) {
      const where = settings.enabled.source ? ` (${settings.enabled.source} sets enabled = ${settings.enabled.raw ?? ''}, and it is the file that wins)` : '';
      problems.push(
        `guest-flush scripts are not enabled${where}: set \`[Snapshots] enabled = true\` in ${GCP_INSTANCE_CONFIGS} (a .distro or .template file read after it must not turn it off) and restart google-guest-agent`,
      );
    }
  }
  return problems;
}

/** What the operator should know about the product's side, beyond problems. */
async function productNotes(product: HookProduct, root: string): Promise<string[]> {
  if (product === 'gcp') {
    const { timeoutSeconds } = await readGcpSnapshotSettings(root);
    const seconds = timeoutSeconds.value;
    const from = timeoutSeconds.source ? `from ${timeoutSeconds.source}` : 'the default';
    return [
      `google-guest-agent kills pre.sh after ${seconds} s (timeout_in_seconds, ${from}; the agent reads it when it starts); snaplog freeze gives itself ${seconds - agentMarginSeconds(seconds)} s to flush, ship and lock, or undoes the freeze`,
    ];
  }
  if (product === 'vmware' || product === 'nakivo') return nakivoPathNotes(product, root);
  return [];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Lines of sudoers files that grant NOPASSWD (NAKIVO's SSH path with a non-root account needs one). */
async function nopasswdSudoers(root: string): Promise<string[]> {
  const files = [onDiskPath(root, '/etc/sudoers')];
  const dropIns = onDiskPath(root, '/etc/sudoers.d');
  for (const name of await readdir(dropIns).catch(() => [] as string[])) if (!name.includes('.') && !name.endsWith('~')) files.push(join(dropIns, name));
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.split('\n').some((line) => !line.trim().startsWith('#') && /NOPASSWD\s*:/.test(line))) found.push(file);
  }
  return found;
}

/**
 * VMware Tools runs the scripts for a quiesced VMware snapshot; NAKIVO on EC2 or Hyper-V runs the same files
 * itself over SSH (as root, or with passwordless sudo). Which of the two this host can serve.
 */
async function nakivoPathNotes(product: 'vmware' | 'nakivo', root: string): Promise<string[]> {
  const tools = (await Promise.all(['/usr/bin/vmtoolsd', '/usr/sbin/vmtoolsd'].map((path) => exists(onDiskPath(root, path))))).some(Boolean);
  const notes = [
    tools
      ? 'VMware Tools path: vmtoolsd is installed; it runs these scripts for quiesced snapshots (is open-vm-tools running? systemctl status open-vm-tools)'
      : `VMware Tools path: vmtoolsd not found${product === 'vmware' ? ': install open-vm-tools, or these scripts never run' : ' (fine on EC2 or Hyper-V: NAKIVO runs the scripts over SSH)'}`,
  ];
  if (product === 'nakivo') {
    const sshd = (await Promise.all(['/usr/sbin/sshd', '/usr/bin/sshd'].map((path) => exists(onDiskPath(root, path))))).some(Boolean);
    const sudoers = await nopasswdSudoers(root);
    notes.push(
      `SSH path (EC2, Hyper-V): ${sshd ? 'sshd is installed' : 'sshd not found: NAKIVO cannot run the scripts over SSH'}; ` +
        `NAKIVO logs in as root, or as an account with passwordless sudo (${
          sudoers.length > 0 ? `NOPASSWD entries in ${sudoers.join(', ')}` : 'no NOPASSWD entry found in /etc/sudoers or /etc/sudoers.d'
        })`,
    );
  }
  return notes;
}

export async function productHookStatus(product: HookProduct, root: string): Promise<ProductHookStatus> {
  const layout = hookLayout(product);
  const files: HookFileStatus[] = [];
  const metas: HookMeta[] = [];
  for (const file of layout.files) {
    const onDisk = onDiskPath(root, file.path);
    const existing = await inspectHookFile(onDisk, file).catch((error: unknown) => {
      if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EACCES') {
        throw new SnaplogError(`hooks status: cannot read ${onDisk}: permission denied`, {
          hint: 'the hooks are root-only files: run sudo snaplog hooks status',
        });
      }
      throw error;
    });
    const entry: HookFileStatus = {
      path: file.path,
      onDisk,
      kind: file.kind,
      expectedMode: formatMode(file.mode),
      exists: existing.kind !== 'absent',
      managed: existing.kind === 'managed',
      problems: [],
    };
    if (existing.kind !== 'absent') {
      entry.mode = formatMode(existing.stats.mode);
      entry.uid = existing.stats.uid;
      entry.gid = existing.stats.gid;
    }
    if (existing.kind === 'foreign') entry.problems.push(`not snaplog's: it ${existing.why}`);
    if (existing.kind === 'managed') {
      if (existing.meta) {
        entry.installedFor = existing.meta.product;
        if (existing.meta.product === product) metas.push(existing.meta);
      }
      if ((existing.stats.mode & 0o7777) !== file.mode)
        entry.problems.push(`mode ${formatMode(existing.stats.mode)}, expected ${formatMode(file.mode)} (chmod ${formatMode(file.mode)} ${onDisk})`);
      if (existing.stats.uid !== 0) entry.problems.push(`owned by uid ${existing.stats.uid}, expected root (chown root:root ${onDisk})`);
    }
    files.push(entry);
  }

  const mine = files.filter((file) => file.managed && (file.installedFor ?? product) === product);
  const others = files.filter((file) => file.managed && file.installedFor !== undefined && file.installedFor !== product);
  const present = files.filter((file) => file.exists);
  let state: HookState;
  if (mine.length === files.length) state = 'installed';
  else if (mine.length > 0) state = 'partial';
  else if (present.length === 0) state = 'absent';
  else if (others.length > 0) state = 'other-product';
  else state = 'foreign';

  const problems: string[] = [];
  if (state === 'installed' || state === 'partial') {
    for (const file of files) {
      if (!file.exists) problems.push(`${file.path} is missing; reinstall: snaplog hooks install --for ${product}`);
      for (const problem of file.problems) problems.push(`${file.path}: ${problem}`);
    }
    // The snaplog command and config each file runs: checked once per distinct pair, not once per file.
    const seen = new Set<string>();
    for (const meta of metas) {
      const key = JSON.stringify([meta.command, meta.config ?? null]);
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(...(await commandProblems(meta.command, meta.config, product)));
    }
    problems.push(...(await productProblems(product, root)));
  }
  const notes = state === 'installed' || state === 'partial' ? await productNotes(product, root) : [];
  return { product, state, ok: problems.length === 0, files, problems, notes };
}

/** Products whose snaplog hooks are on this host, whatever `--for` asked about. */
export async function installedHookProducts(root: string): Promise<HookProduct[]> {
  const installed: HookProduct[] = [];
  for (const product of HOOK_PRODUCTS) {
    const status = await productHookStatus(product, root);
    if (status.state === 'installed' || status.state === 'partial') installed.push(product);
  }
  return installed;
}

/** Pure: what two products' hooks on one host mean. */
export function coexistenceWarnings(installed: readonly HookProduct[]): string[] {
  if (installed.length < 2) return [];
  const list = installed.join(' and ');
  const veeamWithTools = installed.includes('veeam') && (installed.includes('vmware') || installed.includes('nakivo'));
  return [
    veeamWithTools
      ? `snaplog hooks for ${list} are installed: a Veeam job that quiesces with VMware Tools runs both for one snapshot ` +
        "(Veeam's pre-freeze script, then VMware Tools' pre-freeze-script). snaplog lets the second freeze join the first " +
        '(no second lock; event freeze-nested) and releases the lock at the last of the two thaws. If the Veeam job does not ' +
        'use VMware Tools quiescing, or VMware snapshots are taken by nothing else, uninstall one of them.'
      : `snaplog hooks for ${list} are installed: one host is normally backed up by one product. If two of them snapshot it ` +
        'at once, the second freeze joins the first (event freeze-nested) and the lock is released at the last thaw; ' +
        'otherwise uninstall the hooks of the product that does not back up this host.',
  ];
}

export async function hooksStatus(options: { root?: string; products?: readonly HookProduct[] } = {}): Promise<HooksStatusReport> {
  const root = resolve(options.root ?? '/');
  const products: ProductHookStatus[] = [];
  for (const product of options.products ?? HOOK_PRODUCTS) products.push(await productHookStatus(product, root));
  const installed = await installedHookProducts(root);
  return { root, ok: products.every((product) => product.ok), products, installed, warnings: coexistenceWarnings(installed) };
}
