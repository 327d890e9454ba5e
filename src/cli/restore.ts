import { loadBinlogKeys } from '../engines/mysql/binlog-key.js';
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { SnaplogError, UsageError } from '../errors.js';
import { mysqlEndpoint } from '../engines/create.js';
import { loadPlan } from '../engines/mysql/restore/load-plan.js';
import { PlanError } from '../engines/mysql/restore/plan.js';
import { defaultStagingDir, describeRestoreCommands, openStaging, runRestore } from '../engines/mysql/restore/restore.js';
import { preflightDatadir } from '../engines/mysql/restore/preflight.js';
import { formatRates } from '../engines/restore-progress.js';
import { identifyDatadirSnapshot } from '../engines/mysql/restore/datadir-snapshot.js';
import type { ReplayMethod } from '../engines/mysql/restore/restore.js';
import { copyDatadir, exportTables, parseTableList, scratchPaths } from '../engines/mysql/restore/partial.js';
import type { TargetFlags } from '../engines/restore-target.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';
import { targetFrom, withTargetOptions } from './target-options.js';
import { describePlan, planJson } from './plan.js';
import { oracleRestoreCli } from './restore-oracle.js';
import { irisRestoreCli } from './restore-iris.js';
import type { EngineRestoreCli } from './engine-restore.js';
import type { SnaplogConfig } from '../config/index.js';

interface RestoreOptions extends TargetFlags {
  datadir?: string;
  targetSocket?: string;
  dryRun?: boolean;
  resume?: boolean;
  method?: ReplayMethod;
  staging?: string;
  tables?: string;
  export?: string;
  json?: boolean;
  snapshot?: string;
  system?: string;
  serverArg?: string[];
}

function engineRestoreCli(config: SnaplogConfig): EngineRestoreCli | undefined {
  if (config.workload.name === 'oracle') return oracleRestoreCli;
  if (config.workload.name === 'iris' || config.workload.name === 'cache') return irisRestoreCli;
  return undefined;
}

export function restoreCommand(): Command {
  const command = withTargetOptions(withJsonOption(withConfigOption(new Command('restore'))));
  return irisRestoreCli.addOptions(oracleRestoreCli.addOptions(command))
    .description('replay archived logs onto a restored snapshot, stopping exactly at the target')
    .option('--datadir <dir>', 'the restored data directory (server stopped): a private server is started on it')
    .option('--target-socket <path>', "replay into a running server (the DBA's) with the [mysql] credentials")
    .addOption(new Option('--method <method>', 'relay: through the SQL thread (fast, default with --datadir); pipe: mariadb-binlog | mariadb').choices(['relay', 'pipe']))
    .option('--staging <dir>', 'where fetched logs and restore state go (default: next to the data directory)')
    .option('--dry-run', 'print the plan and the commands, change nothing')
    .option('--resume', 'finish an interrupted or failed restore from where the data directory stands (@@gtid_slave_pos)')
    .option('--tables <list>', 'partial restore: only these DB.TABLE (with --datadir and --export); the data directory is not changed')
    .option('--export <file>', 'partial restore: write the tables as SQL here')
    .option('--server-arg <option...>', 'extra mariadbd options for the private server (e.g. --innodb-log-file-size=512M)')
    .addHelpText(
      'after',
      `
With --datadir, restore starts from the snapshot the data directory is (the marker freeze leaves in it,
its newest binlog, InnoDB's recorded position); a --snapshot that disagrees is refused. It checks the data
directory before fetching anything, keeps a record in it (the same restore again does nothing, a later
target goes on from there), and on Ctrl-C stops between two transactions: --resume finishes.

Examples:
  snaplog restore --to 2026-11-22T14:05:00 --datadir /mnt/restore/var/lib/mysql
  snaplog restore --before-gtid 0-1-4711 --datadir /mnt/restore/var/lib/mysql     (undo a DROP)
  snaplog restore --to 2026-11-22T14:05:00 --datadir DIR --tables shop.orders --export orders.sql`,
    )
    .action(async (options: RestoreOptions, command: Command) => {
      const context = await loadContext(command);
      const otherEngine = engineRestoreCli(context.config);
      if (otherEngine) return otherEngine.run(() => targetFrom(options), options as Record<string, unknown>, context);
      const target = targetFrom(options);
      if (!!options.datadir === !!options.targetSocket) throw new UsageError('give exactly one of --datadir DIR or --target-socket PATH', 'restore onto a restored data directory, or into a running server');
      if (!!options.tables !== !!options.export) throw new UsageError('--tables and --export go together');
      if (options.tables && !options.datadir) throw new UsageError('a partial restore (--tables) needs --datadir: it replays on a scratch copy of it');
      const tables = options.tables ? parseTableList(options.tables) : undefined;
      const method: ReplayMethod = options.method ?? (options.datadir ? 'relay' : 'pipe');
      if (method === 'relay' && options.targetSocket) throw new UsageError('--method relay needs --datadir (a private server); use --method pipe with --target-socket');

      const { config, events } = context;
      const binlogKeys = await loadBinlogKeys(config);
      if (binlogKeys && method === 'pipe') {
        throw new UsageError(
          '[mysql] binlog_key_file is set: the binlogs are encrypted, and mariadb-binlog cannot read an encrypted binlog file',
          'restore onto the restored data directory with --datadir (the relay method loads the key into the private server)',
        );
      }
      const quiet = options.json;
      const say = (line: string): void => {
        if (!quiet) process.stdout.write(`${line}\n`);
      };
      // Checked before anything is fetched or changed. A dry run only reads: it also plans for a data
      // directory that is not there yet (the disk not attached).
      const checkDatadir = options.datadir && (!options.dryRun || existsSync(options.datadir));
      const facts = checkDatadir ? await preflightDatadir(options.datadir!, { write: !tables && !options.dryRun, say }) : undefined;
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      const identity = facts ? await identifyDatadirSnapshot(archive, systemId, facts, options.snapshot) : undefined;
      if (identity) say(identity.line);
      const plan = await loadPlan(archive, systemId, target, identity?.snapshotId ?? options.snapshot, binlogKeys?.reader).catch((error: unknown) => {
        if (!identity || !(error instanceof PlanError) || !/target is before snapshot/.test(error.message)) throw error;
        throw new SnaplogError(`the target is before snapshot ${identity.snapshotId}, which the data directory is: before the oldest usable snapshot for it`, {
          hint: 'to go back further, restore the disk of an older snapshot (snaplog list shows the snapshots and their windows)',
        });
      });
      const stagingDir = resolve(options.staging ?? defaultStagingDir(facts?.datadir ?? options.datadir, plan.snapshot.id, config.workload.ipcFolder));

      if (options.dryRun) {
        const commands = describeRestoreCommands(plan, method, stagingDir);
        if (options.json) return printJson({ dryRun: true, method, stagingDir, ...(identity ? { datadirSnapshot: identity.json } : {}), plan: planJson(plan), commands });
        say(describePlan(plan));
        say(`\nwould run (${method}, staging ${stagingDir}):`);
        for (const line of describeRestoreCommands(plan, method, stagingDir)) say(`  ${line}`);
        return;
      }
      say(describePlan(plan));
      // Progress lines on a terminal, or whenever asked for (a supervisor watching the replay).
      const showProgress = process.stderr.isTTY || process.env['SNAPLOG_PROGRESS'];
      const progress = showProgress ? (line: string) => process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(79)}` : `${line}\n`) : undefined;
      let datadir = facts?.datadir;
      const scratch = tables ? scratchPaths(stagingDir) : undefined;
      if (scratch && datadir) {
        await openStaging(stagingDir);
        say(`copying ${datadir} to the scratch ${scratch.datadir} (the restored data directory stays as it is)`);
        await copyDatadir(datadir, scratch.datadir);
        datadir = scratch.datadir;
      }
      const stopping = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping.signal.aborted) return;
        process.stderr.write(`\nsnaplog: ${signal}: stopping the replay between two transactions and shutting the private server down …\n`);
        stopping.abort();
      };
      // A replay onto a data directory stops in order; a pipe into a running server is left to the default.
      if (datadir) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      const result = await runRestore({
        archive,
        systemId,
        plan,
        events,
        datadir,
        target: options.targetSocket ? { ...(await mysqlEndpoint(config)), socket: resolve(options.targetSocket), host: undefined } : undefined,
        method,
        stagingDir,
        resume: options.resume,
        replayServerId: config.mysql?.serverId,
        serverArgs: options.serverArg,
        binlogKeys,
        owner: facts?.owner,
        signal: stopping.signal,
        say,
        progress,
      }).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      if (progress && process.stderr.isTTY) process.stderr.write('\n');
      if (tables && scratch && options.export) {
        const exportFile = resolve(options.export);
        await exportTables(scratch.datadir, scratch.runDir, tables, exportFile);
        await rm(scratch.datadir, { recursive: true, force: true });
        await rm(scratch.runDir, { recursive: true, force: true });
        say(`exported ${tables.map((table) => `${table.database}.${table.table}`).join(', ')} as of the target to ${exportFile}`);
      }
      await events.emit('restore-summary', 'info', { snapshotId: plan.snapshot.id, method, elapsedMs: result.elapsedMs, bytes: result.bytesReplayed });
      if (options.json) printJson({ ...result, ...(identity ? { datadirSnapshot: identity.json } : {}), plan: planJson(plan) });
      else if (result.outcome === 'restored') {
        const apply = result.replay
          ? ` (apply ${(result.replay.applyMs / 1000).toFixed(1)} s: ` +
            `${result.replay.transactions !== undefined ? `${result.replay.transactions} transactions, ` : ''}${formatRates(result.replay)})`
          : '';
        say(
          `restored: ${(result.bytesReplayed / 1048576).toFixed(1)} MB replayed by ${method} in ${(result.elapsedMs / 1000).toFixed(1)} s${apply}` +
            `${result.gtidSlavePos ? `; last applied GTID ${result.gtidSlavePos}` : ''}; staging ${join(result.stagingDir)}`,
        );
      }
    });
}
