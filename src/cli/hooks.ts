import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { ENGINE_CONFIG } from '../engines/registry.js';
import { describeError, SnaplogError, UsageError } from '../errors.js';
import {
  AZURE_MAX_TIMEOUT_SECONDS,
  AZURE_TIMEOUT_MARGIN_SECONDS,
  AZURE_WORKLOAD_CONF,
  formatMode,
  HOOK_PRODUCTS,
  hooksStatus,
  hookLayout,
  installHooks,
  parseHookProduct,
  planHooks,
  uninstallHooks,
} from '../hooks/index.js';
import { shQuote } from '../shell-quote.js';
import type { HookProduct, HooksStatusReport, InstallReport, UninstallReport } from '../hooks/index.js';
import { configPathOf, printJson, withConfigOption, withJsonOption } from './common.js';

export interface HooksCommandDeps {
  /** How the hook scripts start snaplog; default [node, this package's bin/snaplog]. Tests pass a fake. */
  snaplogCommand?: readonly string[];
}

interface InstallFlags {
  for?: string;
  root?: string;
  force?: boolean;
  timeout?: string;
  workloadConf?: boolean;
}

/** The node binary running now and the absolute path of this package's bin/snaplog. */
export function defaultSnaplogCommand(): string[] {
  const bin = resolve(import.meta.dirname, '../../bin/snaplog');
  if (!existsSync(bin)) {
    throw new SnaplogError(`hooks: cannot find snaplog's own bin/snaplog (looked at ${bin})`, {
      hint: 'run hooks install from an installed snaplog package (the hooks call it by absolute path)',
    });
  }
  return [process.execPath, realpathSync(bin)];
}

function productList(): string {
  return HOOK_PRODUCTS.join('|');
}

function parseTimeout(value: string | undefined, product: HookProduct): number | undefined {
  if (value === undefined) return undefined;
  if (product !== 'azure' && product !== 'gcp') {
    throw new UsageError(
      `hooks install: --timeout applies to --for azure and gcp, not ${product}`,
      `the freeze itself times out after [workload] timeout in snaplog.conf; ${product}'s own quiescing timeout is set in ${product === 'veeam' ? 'the Veeam job' : 'the backup product'}`,
    );
  }
  const seconds = Number(value);
  const max = product === 'azure' ? AZURE_MAX_TIMEOUT_SECONDS - AZURE_TIMEOUT_MARGIN_SECONDS : 86_400;
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(seconds) || seconds < 1 || seconds > max) {
    throw new UsageError(
      `hooks install: --timeout must be whole seconds between 1 and ${max}, got '${value}'`,
      product === 'azure'
        ? `Azure allows a script at most ${AZURE_MAX_TIMEOUT_SECONDS} s and snaplog adds ${AZURE_TIMEOUT_MARGIN_SECONDS} s to the freeze timeout`
        : 'e.g. --timeout 90',
    );
  }
  return seconds;
}

/** The config the hooks will pass: --config, else $SNAPLOG_CONFIG (the backup agent will not have it), else none. */
function hookConfigPath(command: Command): { path?: string; from?: string } {
  const given = configPathOf(command);
  if (given) return { path: resolve(given), from: '--config' };
  const env = process.env.SNAPLOG_CONFIG;
  if (env) return { path: resolve(env), from: 'SNAPLOG_CONFIG' };
  return {};
}

function owner(uid: number): string {
  return uid === 0 ? 'root:root' : `uid ${uid}`;
}

function printInstall(report: InstallReport, invocation: string): void {
  const width = Math.max(...report.files.map((file) => file.onDisk.length));
  const lines = [`snaplog hooks for ${report.product} installed${report.root === '/' ? '' : ` under ${report.root}`}:`];
  for (const dir of report.dirs)
    if (dir.outcome !== 'present') lines.push(`  ${dir.outcome.padEnd(10)} ${`${dir.onDisk}/`.padEnd(width)}  ${formatMode(dir.mode)}  folder`);
  for (const file of report.files) {
    lines.push(`  ${file.outcome.padEnd(10)} ${file.onDisk.padEnd(width)}  ${formatMode(file.mode)}  ${owner(file.uid)}  ${file.kind}`);
    if (file.backup) lines.push(`             the previous file was moved to ${file.backup}`);
  }
  lines.push(`The hooks run: ${invocation} freeze|thaw --product ${report.product}`);
  if (report.notes.length) lines.push('Next:', ...report.notes.map((note) => `  - ${note}`));
  lines.push(`Check with: snaplog hooks status${report.root === '/' ? '' : ` --root ${report.root}`}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printUninstall(report: UninstallReport): void {
  const lines = [`snaplog hooks for ${report.product} uninstalled${report.root === '/' ? '' : ` under ${report.root}`}:`];
  for (const file of report.files) {
    const detail =
      file.outcome === 'restored'
        ? `(put back ${file.restoredFrom})`
        : file.outcome === 'kept-foreign'
          ? '(not written by snaplog: left alone)'
          : file.outcome === 'absent'
            ? '(was not there)'
            : file.installedFor && file.installedFor !== report.product
              ? `(had been installed for ${file.installedFor})`
              : '';
    lines.push(`  ${file.outcome.padEnd(12)} ${file.onDisk} ${detail}`.trimEnd());
  }
  for (const dir of report.removedDirs) lines.push(`  ${'removed'.padEnd(12)} ${dir}/ (empty)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printStatus(report: HooksStatusReport): void {
  const lines = [`snaplog hooks${report.root === '/' ? '' : ` under ${report.root}`}:`];
  for (const product of report.products) {
    const verdict = product.state === 'installed' || product.state === 'partial' ? (product.ok ? 'ok' : 'PROBLEMS') : '';
    lines.push(`  ${product.product.padEnd(7)} ${product.state.padEnd(13)} ${verdict}`.trimEnd());
    if (product.state === 'absent') continue;
    for (const file of product.files) {
      const what = !file.exists ? 'missing' : file.managed ? `snaplog's${file.installedFor ? ` (for ${file.installedFor})` : ''}` : "NOT snaplog's";
      const mode = file.mode === undefined ? [] : [file.mode, file.uid === 0 ? 'root' : `uid ${file.uid}`];
      lines.push(`    ${[file.onDisk, ...mode, what].join('  ')}`);
    }
    for (const problem of product.problems) lines.push(`    PROBLEM: ${problem}`);
    for (const note of product.notes) lines.push(`    note: ${note}`);
  }
  for (const warning of report.warnings) lines.push(`WARNING: ${warning}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function hooksCommand(deps: HooksCommandDeps = {}): Command {
  const hooks = withConfigOption(new Command('hooks')).description('put the freeze/thaw hooks where a backup product looks for them; show or remove them');

  hooks.addCommand(
    withConfigOption(new Command('install'))
      .description(`write the pre/post hook scripts (and config) for one backup product: ${productList()}`)
      .option('--for <product>', `backup product: ${productList()}`)
      .option('--root <dir>', 'folder that stands for / (staging, tests)', '/')
      .option('--force', 'move a hook that snaplog did not write aside (<name>.snaplog-backup-<timestamp>) instead of refusing')
      .option(
        '--timeout <seconds>',
        "azure: freeze timeout the script timeout is sized from (default: [workload] timeout, else 90); gcp: advice only (snaplog reads the agent's timeout_in_seconds at every snapshot)",
      )
      .option('--workload-conf', `azure: refused; explains why snaplog does not write ${AZURE_WORKLOAD_CONF}`)
      .action(async (options: InstallFlags, command: Command) => {
        const product = parseHookProduct(options.for);
        if (options.workloadConf) {
          throw new UsageError(
            `hooks install: --workload-conf is refused: while ${AZURE_WORKLOAD_CONF} sets workload_name to mysql, mariadb, oracle or postgres, Azure Backup runs its own database freeze (FLUSH TABLES WITH READ LOCK + read_only, with the client found in command_path) and skips the pre/post scripts snaplog installs`,
            `leave those names out of ${AZURE_WORKLOAD_CONF} and keep snaplog's settings in /etc/snaplog/snaplog.conf; run \`snaplog hooks install --for azure\` alone`,
          );
        }
        const timeoutFlag = parseTimeout(options.timeout, product);
        const config = hookConfigPath(command);
        if (config.from === '--config' && config.path !== undefined && !existsSync(config.path)) {
          throw new UsageError(
            `hooks install: --config ${config.path} does not exist; the hooks would fail at every snapshot`,
            'write the config first (snaplog config check --config FILE), then install the hooks',
          );
        }

        const notes: string[] = [];
        let freezeTimeout = timeoutFlag;
        let ipcFolder: string | undefined;
        try {
          const { config: loaded } = await loadConfig(ENGINE_CONFIG, config.path === undefined ? {} : { configPath: config.path });
          freezeTimeout ??= loaded.workload.timeoutSeconds;
          ipcFolder = loaded.workload.ipcFolder;
        } catch (error) {
          notes.push(`WARNING: the hooks will fail until snaplog's config reads cleanly: ${describeError(error).replace(/\n/g, ' ')}`);
        }
        if (config.from === 'SNAPLOG_CONFIG')
          notes.push(`--config ${config.path} is baked into the hooks (from SNAPLOG_CONFIG: the backup agent does not inherit your environment).`);

        const snaplogCommand = deps.snaplogCommand ?? defaultSnaplogCommand();
        const plan = planHooks(product, {
          snaplogCommand,
          ...(config.path === undefined ? {} : { configPath: config.path }),
          ...(freezeTimeout === undefined ? {} : { freezeTimeoutSeconds: freezeTimeout }),
          ...(ipcFolder === undefined || !isAbsolute(ipcFolder) ? {} : { ipcFolder }),
        });
        const report = await installHooks(plan, { root: options.root ?? '/', force: options.force === true });
        report.notes.unshift(...notes);
        const invocation = [...snaplogCommand.map(shQuote), ...(config.path === undefined ? [] : ['--config', shQuote(config.path)])].join(' ');
        printInstall(report, invocation);
      }),
  );

  hooks.addCommand(
    withConfigOption(new Command('uninstall'))
      .description("remove snaplog's hook files for one backup product and put back what --force moved aside")
      .option('--for <product>', `backup product: ${productList()}`)
      .option('--root <dir>', 'folder that stands for / (staging, tests)', '/')
      .action(async (options: { for?: string; root?: string }) => {
        const product = parseHookProduct(options.for);
        printUninstall(await uninstallHooks(hookLayout(product), { root: options.root ?? '/' }));
      }),
  );

  hooks.addCommand(
    withJsonOption(withConfigOption(new Command('status')))
      .description('what is installed where, and whether modes, owners and the snaplog command are right; exit 1 on a problem')
      .option('--for <product>', `only this product: ${productList()}`)
      .option('--root <dir>', 'folder that stands for / (staging, tests)', '/')
      .action(async (options: { for?: string; root?: string; json?: boolean }) => {
        const products = options.for === undefined ? undefined : [parseHookProduct(options.for)];
        const report = await hooksStatus({ root: options.root ?? '/', ...(products ? { products } : {}) });
        if (options.json) printJson(report);
        else printStatus(report);
        if (!report.ok) process.exitCode = 1;
      }),
  );
  return hooks;
}
