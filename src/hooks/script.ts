/**
 * The pieces every hook script shares: POSIX sh quoting, the snaplog-managed marker, the command line
 * that starts snaplog. Pure functions.
 */
import { isAbsolute } from 'node:path';
import { SnaplogError } from '../errors.js';
import { shQuote } from '../shell-quote.js';
import { HOOK_PRODUCTS } from './types.js';
import type { HookMeta, HookPlanOptions, HookProduct, PlannedFileFormat } from './types.js';

/** The header comment that marks a file as snaplog's own (install may overwrite it, uninstall may remove it). */
export const MANAGED_MARKER = '# snaplog-managed hook';
const META_PREFIX = '# snaplog-hook: ';
/** JSON files carry the marker as a key (Azure's ScriptRunner ignores keys it does not know). */
export const MANAGED_JSON_KEY = 'snaplogManaged';
export const META_JSON_KEY = 'snaplogHook';

/** A PATH for the agent's minimal environment; the caller's PATH, if any, comes after it. */
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Checks what the planners bake into the scripts; a mistake here would only show at snapshot time. */
export function checkPlanOptions(options: HookPlanOptions): void {
  const [executable] = options.snaplogCommand;
  if (executable === undefined || executable === '') {
    throw new SnaplogError('hooks: no snaplog command to put in the hook scripts', { hint: 'this is a bug in the caller: pass [node, /path/to/bin/snaplog]' });
  }
  if (!isAbsolute(executable)) {
    throw new SnaplogError(`hooks: the snaplog command must start with an absolute path, not '${executable}'`, {
      hint: 'backup agents run hooks with a minimal PATH; resolve the executable (e.g. process.execPath) before planning',
    });
  }
  for (const word of [...options.snaplogCommand, options.configPath ?? '', options.ipcFolder ?? '']) {
    if (word.includes('\0') || word.includes('\n')) {
      throw new SnaplogError('hooks: a path for the hook scripts contains a NUL or newline character', { hint: 'move snaplog or its config to a plain path' });
    }
  }
  if (options.configPath !== undefined && !isAbsolute(options.configPath)) {
    throw new SnaplogError(`hooks: the config path baked into the hooks must be absolute, not '${options.configPath}'`, {
      hint: 'resolve --config against the current folder first',
    });
  }
  if (options.ipcFolder !== undefined && !isAbsolute(options.ipcFolder)) {
    throw new SnaplogError(`hooks: the ipc folder baked into the hooks must be absolute, not '${options.ipcFolder}'`, {
      hint: 'set [workload] ipc_folder to an absolute path',
    });
  }
  const timeout = options.freezeTimeoutSeconds;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) {
    throw new SnaplogError(`hooks: freeze timeout must be a whole number of seconds, got ${String(timeout)}`, { exitCode: 2 });
  }
}

/** `'node' '/opt/snaplog/bin/snaplog' --config '/etc/snaplog/snaplog.conf' <args>`, every path quoted. */
export function snaplogInvocation(options: HookPlanOptions, args: readonly string[]): string {
  const words = options.snaplogCommand.map(shQuote);
  if (options.configPath !== undefined) words.push('--config', shQuote(options.configPath));
  return [...words, ...args].join(' ');
}

/**
 * The post script's fast path, defined as the sh function `snaplog_fast_thaw thaw|fail`: with sh built-ins
 * only (no runtime start), it tells the freeze holder through its FIFO to release the lock, then the script
 * runs snaplog thaw for the report as before. It writes only when the ipc folder and freeze.json are root's
 * (the script's user's) own, freeze.json says frozen, no other product's hook joined that snapshot (then
 * snaplog thaw decides which thaw releases), and the FIFO is a FIFO of that user, not a symlink or a file.
 * The message names the snapshot, so a stale holder of another snapshot ignores it. Opening the FIFO
 * read-write never waits for a reader and one short line fits the pipe: a dead holder cannot hang the hook.
 * Empty without an ipc folder.
 */
export function fastThawFunction(options: HookPlanOptions): string[] {
  if (options.ipcFolder === undefined) return [];
  return [
    "# Fast path: release the lock through the freeze holder's FIFO (sh built-ins only), then run snaplog thaw for the report.",
    `snaplog_ipc=${shQuote(options.ipcFolder)}`,
    'snaplog_field() { # FILE KEY: snaplog_value = the string value of "KEY" in snaplog\'s JSON state FILE (root\'s own plain file)',
    '  snaplog_value=',
    '  [ -f "$1" ] && [ ! -L "$1" ] && [ -O "$1" ] || return 0',
    '  while IFS= read -r snaplog_line; do',
    '    case $snaplog_line in',
    '      *"\\"$2\\": \\""*) snaplog_value=${snaplog_line#*\\"$2\\": \\"}; snaplog_value=${snaplog_value%%\\"*}; return 0 ;;',
    '    esac',
    '  done < "$1"',
    '}',
    'snaplog_fast_thaw() { # thaw|fail',
    '  [ -d "$snaplog_ipc" ] && [ ! -L "$snaplog_ipc" ] && [ -O "$snaplog_ipc" ] || return 0',
    '  snaplog_field "$snaplog_ipc/freeze.json" state',
    '  [ "$snaplog_value" = frozen ] || return 0',
    '  snaplog_field "$snaplog_ipc/freeze.json" snapshotId',
    '  snaplog_id=$snaplog_value',
    "  case $snaplog_id in ''|*[!0-9A-Za-z-]*) return 0 ;; esac",
    '  snaplog_field "$snaplog_ipc/freeze-nested.json" snapshotId',
    '  [ "$snaplog_value" = "$snaplog_id" ] && return 0',
    '  snaplog_fifo=$snaplog_ipc/thaw.fifo',
    '  [ -p "$snaplog_fifo" ] && [ ! -L "$snaplog_fifo" ] && [ -O "$snaplog_fifo" ] || return 0',
    `  ( exec 3<>"$snaplog_fifo" && printf '%s %s\\n' "$1" "$snaplog_id" >&3 ) 2>/dev/null || :`,
    '}',
  ];
}

/** The call of the fast path before `exec snaplog thaw` (nothing without an ipc folder). */
export function fastThawCall(options: HookPlanOptions, request: 'thaw' | 'fail'): string {
  return options.ipcFolder === undefined ? '' : `snaplog_fast_thaw ${request}; `;
}

export function hookMeta(options: HookPlanOptions, product: HookProduct, role: string): HookMeta {
  return { product, role, command: [...options.snaplogCommand], ...(options.configPath === undefined ? {} : { config: options.configPath }) };
}

export interface ShellScriptSpec {
  meta: HookMeta;
  /** One line: what the script is for. */
  title: string;
  /** Further comment lines (without '# '). */
  about: string[];
  /** The script body after the common preamble. */
  body: string[];
}

/**
 * `#!/bin/sh`, the marker, a comment saying who wrote it and how the product calls it, `set -u`, a sane
 * PATH and `cd /` (agents start hooks in odd folders with a minimal environment), then the body.
 */
export function shellScript(spec: ShellScriptSpec): string {
  const lines = [
    '#!/bin/sh',
    `${MANAGED_MARKER}: ${spec.title}`,
    `# Written by \`snaplog hooks install --for ${spec.meta.product}\`; \`snaplog hooks uninstall --for ${spec.meta.product}\` removes it.`,
    '# Do not edit: the next install overwrites it.',
    ...spec.about.map((line) => (line === '' ? '#' : `# ${line}`)),
    `${META_PREFIX}${JSON.stringify(spec.meta)}`,
    'set -u',
    `PATH=${SAFE_PATH}\${PATH:+:$PATH}`,
    'export PATH',
    'cd / || exit 1',
    ...spec.body,
  ];
  return `${lines.join('\n')}\n`;
}

/** A JSON config with the marker keys last, 2-space indented, newline-terminated. */
export function managedJson(fields: Record<string, unknown>, meta: HookMeta): string {
  return `${JSON.stringify({ ...fields, [MANAGED_JSON_KEY]: true, [META_JSON_KEY]: meta }, null, 2)}\n`;
}

function isHookProduct(value: unknown): value is HookProduct {
  return typeof value === 'string' && (HOOK_PRODUCTS as readonly string[]).includes(value);
}

function asMeta(value: unknown): HookMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (!isHookProduct(record.product) || typeof record.role !== 'string') return undefined;
  if (!Array.isArray(record.command) || !record.command.every((word): word is string => typeof word === 'string')) return undefined;
  return { product: record.product, role: record.role, command: record.command, ...(typeof record.config === 'string' ? { config: record.config } : {}) };
}

export interface ManagedInfo {
  managed: boolean;
  /** Present when the file is snaplog's and its metadata line/key is readable. */
  meta?: HookMeta;
}

/** Is this text one snaplog wrote? Recognises the marker only where snaplog puts it. */
export function recogniseManaged(text: string, format: PlannedFileFormat): ManagedInfo {
  if (format === 'json') {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { managed: false };
      const record = parsed as Record<string, unknown>;
      if (record[MANAGED_JSON_KEY] !== true) return { managed: false };
      const meta = asMeta(record[META_JSON_KEY]);
      return meta ? { managed: true, meta } : { managed: true };
    } catch {
      return { managed: false };
    }
  }
  const head = text.split('\n', 12);
  if (!head.some((line) => line.startsWith(MANAGED_MARKER))) return { managed: false };
  const metaLine = head.find((line) => line.startsWith(META_PREFIX));
  if (metaLine === undefined) return { managed: true };
  try {
    const meta = asMeta(JSON.parse(metaLine.slice(META_PREFIX.length)));
    return meta ? { managed: true, meta } : { managed: true };
  } catch {
    return { managed: true };
  }
}
