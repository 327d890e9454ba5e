import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { thaw } from '../freeze/post.js';

// The engine (database driver) and the freeze protocol load inside the actions: `thaw` runs while the
// database is locked and must start as fast as node can.
import { withConfigOption, withJsonOption, configPathOf, printJson } from './common.js';
import { loadContext, openArchive } from './context.js';
import type { SnaplogConfig } from '../config/index.js';

const SNAPLOG_BIN = fileURLToPath(new URL('../../bin/snaplog', import.meta.url));

interface HookOptions {
  json?: boolean;
  quiet?: boolean;
  product?: string;
  disks?: string;
}

function hookOptions(command: Command): Command {
  return withJsonOption(withConfigOption(command))
    .option('--quiet', 'print nothing on success (for hooks whose stdout is logged)')
    .option('--product <name>', 'the backup product calling this hook (recorded with the snapshot)')
    .option('--disks <list>', 'comma-separated disks being snapshotted (recorded with the snapshot)');
}

export function freezeCommand(): Command {
  return hookOptions(new Command('freeze'))
    .alias('pre')
    .description('pre-snapshot: close the open binlog, ship it, quiesce the database in a detached holder, record the exact position; exit 0 only once the lock is held')
    .addHelpText('after', '\nThe lock is released by `snaplog thaw`, or by the holder itself after [workload] timeout seconds.\nOn failure everything done so far is undone and the exit code is 1.')
    .action(async (options: HookOptions, command: Command) => {
      const { config, events } = await loadContext(command);
      const [{ createEngine }, { freeze }] = await Promise.all([import('../engines/create.js'), import('../freeze/pre.js')]);
      const engine = await createEngine(config);
      const configPath = configPathOf(command);
      try {
        const result = await freeze({
          config,
          events,
          engine,
          holderCommand: [process.execPath, SNAPLOG_BIN, ...(configPath ? ['--config', configPath] : [])],
          product: options.product,
          disks: options.disks?.split(',').filter(Boolean),
        });
        if (options.json) printJson(result);
        else if (!options.quiet) {
          process.stdout.write(`frozen: snapshot ${result.snapshotId} at ${result.position.file}:${result.position.position}${result.position.gtid ? ` (GTID ${result.position.gtid})` : ''} by ${result.method}; logs through ${result.closedLog} archived (${result.shippedBy}); pre-step ${result.preStepMs} ms\n`);
        }
      } finally {
        await engine.close();
      }
    });
}

export function thawCommand(): Command {
  return hookOptions(new Command('thaw'))
    .alias('post')
    .description('post-snapshot: release the database and mark the snapshot thawed; a no-op when nothing is frozen')
    .option('--failed', 'release and mark the snapshot failed (the snapshot itself failed, e.g. VMware freezeFail)')
    .action(async (options: HookOptions & { failed?: boolean }, command: Command) => {
      const { config, events } = await loadContext(command);
      const result = await thaw(config, events, {
        failed: options.failed,
        forceRelease: () => forceReleaseWithEngine(config),
        ...(hasGlobalFreeze(config) ? { freezeInForce: () => freezeInForceWithEngine(config) } : {}),
      });
      if (options.json) printJson(result);
      const ok = result.outcome === 'thawed' || result.outcome === 'nothing-frozen' || (result.outcome === 'failed' && options.failed);
      if (!options.json) {
        if (ok && !options.quiet) process.stdout.write(`${result.message}\n`);
        if (!ok) process.stderr.write(`snaplog thaw: ${result.message}\n`);
      }
      if (!ok) process.exitCode = 1;
    });
}

/** Ends a global freeze whose holder and watchdog are both gone; the engine is loaded only then. */
async function forceReleaseWithEngine(config: SnaplogConfig): Promise<void> {
  const { createEngine } = await import('../engines/create.js');
  const engine = await createEngine(config);
  try {
    if (!engine.forceRelease) throw new Error(`the ${engine.kind} engine cannot end a freeze from another process`);
    await engine.forceRelease();
  } finally {
    await engine.close();
  }
}

/** IRIS/Caché (ExternalFreeze) and Oracle (BEGIN BACKUP) freeze the whole database, beyond any session. */
function hasGlobalFreeze(config: SnaplogConfig): boolean {
  return ['oracle', 'iris', 'cache'].includes(config.workload.name);
}

/** The database's own answer to whether a global freeze is in force; the engine is loaded only then. */
async function freezeInForceWithEngine(config: SnaplogConfig): Promise<string | undefined> {
  const { createEngine } = await import('../engines/create.js');
  const engine = await createEngine(config);
  try {
    if (!engine.globalFreezeInForce) throw new Error(`the ${engine.kind} engine cannot tell whether it is frozen`);
    return await engine.globalFreezeInForce();
  } finally {
    await engine.close();
  }
}

/** The detached process that owns the lock; started by freeze, never by hand. */
export function holderCommand(): Command {
  return withConfigOption(new Command('__freeze-holder'))
    .requiredOption('--snapshot <id>')
    .option('--deadline <ms>', 'the pre-step\'s deadline (ms since the epoch): the freeze call ends by then')
    .option('--product <name>')
    .option('--disks <list>')
    .action(async (options: { snapshot: string; deadline?: string; product?: string; disks?: string }, command: Command) => {
      const { config, events } = await loadContext(command);
      const [{ createEngine }, { runHolder }] = await Promise.all([import('../engines/create.js'), import('../freeze/holder.js')]);
      const engine = await createEngine(config);
      try {
        process.exitCode = await runHolder({
          engine,
          startWatchdog: (deadlineMs) => startWatchdogProcess(options.snapshot, deadlineMs),
          archive: await openArchive(config),
          events,
          ipcFolder: config.workload.ipcFolder,
          snapshotId: options.snapshot,
          timeoutSeconds: config.workload.timeoutSeconds,
          freezeDeadlineMs: options.deadline && /^\d+$/.test(options.deadline) ? Number(options.deadline) : undefined,
          product: options.product,
          disks: options.disks?.split(',').filter(Boolean),
        });
      } finally {
        await engine.close();
      }
    });
}

/** The watchdog of a global freeze: a detached `snaplog __freeze-watchdog`, with the holder's own --config. */
function startWatchdogProcess(snapshotId: string, deadlineMs: number): number | undefined {
  const holderAt = process.argv.indexOf('__freeze-holder');
  const globalArgs = holderAt > 2 ? process.argv.slice(2, holderAt) : [];
  const child = spawn(process.execPath, [SNAPLOG_BIN, ...globalArgs, '__freeze-watchdog', '--snapshot', snapshotId, '--holder-pid', String(process.pid), '--deadline', String(deadlineMs)], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid;
}

/** Ends a global freeze when its holder dies or hangs; started by the holder, never by hand. */
export function watchdogCommand(): Command {
  return withConfigOption(new Command('__freeze-watchdog'))
    .requiredOption('--snapshot <id>')
    .requiredOption('--holder-pid <pid>')
    .requiredOption('--deadline <ms>')
    .action(async (options: { snapshot: string; holderPid: string; deadline: string }, command: Command) => {
      const { config, events } = await loadContext(command);
      const [{ createEngine }, { runWatchdog }] = await Promise.all([import('../engines/create.js'), import('../freeze/watchdog.js')]);
      const engine = await createEngine(config);
      try {
        if (!engine.forceRelease) return;
        await runWatchdog({ engine, archive: await openArchive(config), events, ipcFolder: config.workload.ipcFolder, snapshotId: options.snapshot, holderPid: Number(options.holderPid), deadlineMs: Number(options.deadline) });
      } finally {
        await engine.close();
      }
    });
}
