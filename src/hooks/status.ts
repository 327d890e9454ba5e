/**
 * `snaplog hooks status`: what is installed where, and whether the backup product will accept and run it
 * (mode, owner, the snaplog command it points at, product-specific switches). Read-only.
 */
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { SnaplogError } from '../errors.js';
import { AZURE_WORKLOAD_CONF } from './azure.js';
import { azureWorkloadName, gcpSnapshotsEnabled } from './checks.js';
import { GCP_INSTANCE_CONFIGS, GCP_SNAPSHOTS_DIR } from './gcp.js';
import { formatMode, inspectHookFile, onDiskPath } from './install.js';
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
}

export interface HooksStatusReport {
  root: string;
  ok: boolean;
  products: ProductHookStatus[];
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
    if (dir && (dir.mode & 0o7777) !== 0o700) problems.push(`${GCP_SNAPSHOTS_DIR} has mode ${formatMode(dir.mode)}, expected 0700 (chmod 0700 ${onDiskPath(root, GCP_SNAPSHOTS_DIR)})`);
    if (!(await gcpSnapshotsEnabled(root))) {
      problems.push(`guest-flush scripts are not enabled: set \`[Snapshots] enabled = true\` in ${GCP_INSTANCE_CONFIGS} and restart google-guest-agent`);
    }
  }
  return problems;
}

export async function productHookStatus(product: HookProduct, root: string): Promise<ProductHookStatus> {
  const layout = hookLayout(product);
  const files: HookFileStatus[] = [];
  const metas: HookMeta[] = [];
  for (const file of layout.files) {
    const onDisk = onDiskPath(root, file.path);
    const existing = await inspectHookFile(onDisk, file).catch((error: unknown) => {
      if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EACCES') {
        throw new SnaplogError(`hooks status: cannot read ${onDisk}: permission denied`, { hint: 'the hooks are root-only files: run sudo snaplog hooks status' });
      }
      throw error;
    });
    const entry: HookFileStatus = { path: file.path, onDisk, kind: file.kind, expectedMode: formatMode(file.mode), exists: existing.kind !== 'absent', managed: existing.kind === 'managed', problems: [] };
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
      if ((existing.stats.mode & 0o7777) !== file.mode) entry.problems.push(`mode ${formatMode(existing.stats.mode)}, expected ${formatMode(file.mode)} (chmod ${formatMode(file.mode)} ${onDisk})`);
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
  return { product, state, ok: problems.length === 0, files, problems };
}

export async function hooksStatus(options: { root?: string; products?: readonly HookProduct[] } = {}): Promise<HooksStatusReport> {
  const root = resolve(options.root ?? '/');
  const products: ProductHookStatus[] = [];
  for (const product of options.products ?? HOOK_PRODUCTS) products.push(await productHookStatus(product, root));
  return { root, ok: products.every((product) => product.ok), products };
}
