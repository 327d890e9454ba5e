import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { thaw, thawHint } from '../freeze/post.js';
import { decideNestedThaw, isHolderProcess, readFreezeState, readNestedFreeze, writeNestedFreeze } from '../state/freeze-state.js';
import { EventChannel } from '../events/channel.js';
import { UsageError } from '../errors.js';
import { engineOf } from '../engines/registry.js';
import { agentSettingsRoot, readGcpSnapshotSettings } from '../hooks/gcp-agent.js';

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

/**
 * The events channel of a hook: an event that cannot be written is reported on stdout, which the backup
 * agents log, never on stderr (Veeam fails a script that writes anything there).
 */
function hookEvents(config: SnaplogConfig, json: boolean | undefined): EventChannel {
  const report = json ? (message: string) => process.stderr.write(`warning: ${message}\n`) : (message: string) => process.stdout.write(`warning: ${message}\n`);
  return new EventChannel(config.workload.ipcFolder, config.events.maxBytes, report);
}

/** `--agent-timeout`: whole seconds, or `gcp` for google-guest-agent's own setting (read now, as the agent reads it). */
async function agentTimeoutSeconds(value: string | undefined): Promise<number | undefined> {
  if (value === undefined) return undefined;
  if (value.trim().toLowerCase() === 'gcp') return (await readGcpSnapshotSettings(agentSettingsRoot())).timeoutSeconds.value;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(
      `freeze: --agent-timeout must be whole seconds or 'gcp', got '${value}'`,
      "give the backup agent's script timeout, e.g. --agent-timeout 60",
    );
  }
  return Number(value);
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
    .description(
      'pre-snapshot: close the open binlog, ship it, quiesce the database in a detached holder, record the exact position; exit 0 only once the lock is held',
    )
    .option(
      '--agent-timeout <seconds|gcp>',
      "the backup agent kills this hook after that many seconds (gcp: google-guest-agent's [Snapshots] timeout_in_seconds): the pre-step ends, frozen or undone, a margin before it",
    )
    .addHelpText(
      'after',
      [
        '\nThe lock is released by `snaplog thaw`, or by the holder itself after [workload] timeout seconds.',
        'On failure everything done so far is undone and the exit code is 1.',
        "A freeze from another product's hook while one is held for the same snapshot (Veeam's script, then VMware Tools')",
        'joins it: no second lock; the lock is released by the last of their thaws.',
      ].join('\n'),
    )
    .action(async (options: HookOptions & { agentTimeout?: string }, command: Command) => {
      const { config } = await loadContext(command);
      const events = hookEvents(config, options.json);
      const agentTimeout = await agentTimeoutSeconds(options.agentTimeout);
      const [{ createEngine }, { freeze }] = await Promise.all([import('../engines/registry.js'), import('../freeze/pre.js')]);
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
          ...(agentTimeout === undefined ? {} : { agentTimeoutSeconds: agentTimeout, agentStartedMs: Math.round(performance.timeOrigin) }),
        });
        if (options.json) printJson(result);
        else if (result.joined && !options.quiet) {
          process.stdout.write(
            `frozen (joined): snapshot ${result.snapshotId} is already frozen by ${result.joined.owner}'s hook` +
              `${result.joined.frozenAt ? ` since ${result.joined.frozenAt}` : ''}; this ${options.product ?? ''} freeze takes no second lock, ` +
              'and the lock is released when both have thawed\n',
          );
        } else if (!options.quiet) {
          process.stdout.write(
            `frozen: snapshot ${result.snapshotId} at ${result.position.file}:${result.position.position}${result.position.gtid ? ` (GTID ${result.position.gtid})` : ''} by ${result.method}; logs through ${result.closedLog} archived (${result.shippedBy}); pre-step ${result.preStepMs} ms\n`,
          );
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
      const { config } = await loadContext(command);
      const events = hookEvents(config, options.json);
      const nested = await thawNested(config, events, options.product, options.failed === true);
      if (nested.kept) {
        if (options.json) printJson({ outcome: 'kept', snapshotId: nested.snapshotId, stillOpen: nested.stillOpen, message: nested.message });
        else if (!options.quiet) process.stdout.write(`${nested.message}\n`);
        return;
      }
      const failed = options.failed === true || nested.failed;
      const result = await thaw(config, events, {
        failed,
        forceRelease: () => forceReleaseWithEngine(config),
        ...(hasGlobalFreeze(config) ? { freezeInForce: () => freezeInForceWithEngine(config) } : {}),
      });
      if (options.json) printJson(result);
      const ok = result.outcome === 'thawed' || result.outcome === 'nothing-frozen' || (result.outcome === 'failed' && failed);
      if (!options.json) {
        if (ok && !options.quiet) process.stdout.write(`${result.message}\n`);
        const hint = thawHint(result.outcome, config.workload.ipcFolder);
        if (!ok) process.stderr.write(`snaplog thaw: ${result.message}\n${hint ? `HINT: ${hint}\n` : ''}`);
      }
      if (!ok) process.exitCode = 1;
    });
}

type NestedThaw = { kept: true; snapshotId: string; stillOpen: string[]; message: string } | { kept: false; failed: boolean };

/**
 * A thaw for a freeze two products' hooks share (see freeze's joinFreeze): the lock stays while the other
 * product's snapshot still needs it; the last thaw releases it, marked failed when either product said so.
 */
async function thawNested(config: SnaplogConfig, events: EventChannel, product: string | undefined, failed: boolean): Promise<NestedThaw> {
  const ipcFolder = config.workload.ipcFolder;
  const state = await readFreezeState(ipcFolder);
  if (state?.state !== 'frozen' || !(await isHolderProcess(state.holderPid, state.snapshotId))) return { kept: false, failed: false };
  const nested = await readNestedFreeze(ipcFolder, state.snapshotId);
  if (!nested) return { kept: false, failed: false };
  const decision = decideNestedThaw(nested, product, failed, new Date().toISOString());
  if (decision.action === 'release') return { kept: false, failed: decision.failed };
  await writeNestedFreeze(ipcFolder, decision.nested);
  const message = `thaw (joined): ${product ?? 'this'} thaw of snapshot ${state.snapshotId} noted; the lock stays until ${decision.stillOpen.join(' and ')} thaw${decision.stillOpen.length === 1 ? 's' : ''}`;
  await events.emit('thaw-nested', 'info', { snapshotId: state.snapshotId, product, stillOpen: decision.stillOpen, ...(failed ? { failed } : {}) });
  return { kept: true, snapshotId: state.snapshotId, stillOpen: decision.stillOpen, message };
}

/** Ends a global freeze whose holder and watchdog are both gone; the engine is loaded only then. */
async function forceReleaseWithEngine(config: SnaplogConfig): Promise<void> {
  const { createEngine } = await import('../engines/registry.js');
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
  return engineOf(config).capabilities.globalFreeze;
}

/** The database's own answer to whether a global freeze is in force; the engine is loaded only then. */
async function freezeInForceWithEngine(config: SnaplogConfig): Promise<string | undefined> {
  const { createEngine } = await import('../engines/registry.js');
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
    .option('--deadline <ms>', "the pre-step's deadline (ms since the epoch): the freeze call ends by then")
    .option('--product <name>')
    .option('--disks <list>')
    .option('--wait-go', 'make ready, then take the lock only on `go` on stdin (the pre-step starts the holder while the log ships)')
    .action(async (options: { snapshot: string; deadline?: string; product?: string; disks?: string; waitGo?: boolean }, command: Command) => {
      const { config, events } = await loadContext(command);
      const [{ createEngine }, { runHolder }] = await Promise.all([import('../engines/registry.js'), import('../freeze/holder.js')]);
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
          waitForGo: options.waitGo === true,
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
  const child = spawn(
    process.execPath,
    [SNAPLOG_BIN, ...globalArgs, '__freeze-watchdog', '--snapshot', snapshotId, '--holder-pid', String(process.pid), '--deadline', String(deadlineMs)],
    { detached: true, stdio: 'ignore' },
  );
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
      const [{ createEngine }, { runWatchdog }] = await Promise.all([import('../engines/registry.js'), import('../freeze/watchdog.js')]);
      const engine = await createEngine(config);
      try {
        if (!engine.forceRelease) return;
        await runWatchdog({
          engine,
          archive: await openArchive(config),
          events,
          ipcFolder: config.workload.ipcFolder,
          snapshotId: options.snapshot,
          holderPid: Number(options.holderPid),
          deadlineMs: Number(options.deadline),
        });
      } finally {
        await engine.close();
      }
    });
}
