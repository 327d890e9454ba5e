/**
 * What a hook installer plans: plain data, no I/O. A planner per backup product (azure.ts, vmware.ts,
 * veeam.ts, gcp.ts) returns a HookPlan; install.ts writes it, status.ts compares the disk with it.
 */
import { UsageError } from '../errors.js';

export const HOOK_PRODUCTS = ['azure', 'vmware', 'nakivo', 'veeam', 'gcp'] as const;
export type HookProduct = (typeof HOOK_PRODUCTS)[number];

/** Normalises `--for VALUE`; anything else is a UsageError listing the valid values. */
export function parseHookProduct(value: string | undefined): HookProduct {
  if (value === undefined || value === '') {
    throw new UsageError('hooks: --for is required', `name the backup product, one of: ${HOOK_PRODUCTS.join(', ')} (e.g. --for azure)`);
  }
  const normalised = value.trim().toLowerCase();
  const found = HOOK_PRODUCTS.find((product) => product === normalised);
  if (!found) {
    throw new UsageError(`hooks: unknown product '${value}' for --for`, `use one of: ${HOOK_PRODUCTS.join(', ')}`);
  }
  return found;
}

export interface HookPlanOptions {
  /**
   * How the hook scripts start snaplog, resolved at install time: the absolute node binary and the
   * absolute bin/snaplog script (tests pass a fake). The first element must be an absolute path: a
   * backup agent runs hooks with a minimal PATH.
   */
  snaplogCommand: readonly string[];
  /** Absolute path baked into the scripts as `--config`; absent = snaplog's default lookup. */
  configPath?: string;
  /**
   * snaplog's ipc folder (`[workload] ipc_folder`), absolute: the post script releases the lock through the
   * freeze holder's FIFO there before it starts snaplog thaw. Absent: no fast path, snaplog thaw releases.
   */
  ipcFolder?: string;
  /** The freeze timeout (snaplog's `[workload] timeout`), used to size the product's script timeout. */
  freezeTimeoutSeconds?: number;
}

export type PlannedFileKind = 'script' | 'config';
/** How the snaplog-managed marker is written (and recognised) in the file. */
export type PlannedFileFormat = 'sh' | 'json';

export interface PlannedFile {
  /** Absolute path on the target system (install joins it under --root). */
  path: string;
  mode: number;
  content: string;
  kind: PlannedFileKind;
  format: PlannedFileFormat;
}

export interface PlannedDir {
  /** Absolute path on the target system. */
  path: string;
  /** Mode given when the folder is created. */
  mode: number;
  /** Also applied when the folder already exists (the product requires it, e.g. gcp's 0700). */
  enforceMode: boolean;
  /** snaplog's own folder: uninstall removes it once empty. */
  removeWhenEmpty: boolean;
}

export interface HookPlan {
  product: HookProduct;
  dirs: PlannedDir[];
  /** In write order: scripts before the config that points at them. */
  files: PlannedFile[];
  /** What the operator must do or know next, printed after the install. */
  notes: string[];
}

/** Recorded in every file snaplog writes, so status and uninstall know what they are looking at. */
export interface HookMeta {
  product: HookProduct;
  role: string;
  command: string[];
  config?: string;
}

export const SNAPLOG_HOOKS_DIR = '/etc/snaplog/hooks';
export const DEFAULT_FREEZE_TIMEOUT_SECONDS = 90;
