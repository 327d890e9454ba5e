/**
 * `snaplog plan` and `snaplog restore` for MySQL/MariaDB: the target from the GTID/position/time flags, the
 * plan from the archive (after checking the restored data directory and which snapshot it is), and the
 * replay onto that data directory (relay or pipe through a private server), into a running server, or
 * onto a scratch copy for a partial restore (copy → replay → export → remove).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SnaplogError, UsageError } from '../../../errors.js';
import { formatRates } from '../../restore-progress.js';
import type { TargetFlags } from '../../restore-target.js';
import type { RestoreTarget } from '../../restore-target.js';
import type { AppliedRestore, ApplyContext, EngineRestore, RestoreRequest } from '../../types.js';
import { loadBinlogKey, loadBinlogKeys } from '../binlog-key.js';
import type { BinlogKeys } from '../binlog-key.js';
import type { DatadirFacts } from '../datadir-facts.js';
import { mysqlEndpoint } from '../factory.js';
import { identifyDatadirSnapshot } from './datadir-snapshot.js';
import type { DatadirSnapshot } from './datadir-snapshot.js';
import { describePlan, planJson } from './describe.js';
import { loadPlan } from './load-plan.js';
import { copyDatadir, exportTables, parseTableList, scratchPaths } from './partial.js';
import type { TableName } from './partial.js';
import { PlanError } from './plan.js';
import type { RestorePlan } from './plan.js';
import { preflightDatadir } from './preflight.js';
import { defaultStagingDir, describeRestoreCommands, openStaging, restoreEventFields, restoreStartOf, runRestore } from './restore.js';
import type { RestoreStart } from './restore-record.js';
import type { ReplayMethod } from './restore.js';
import { parseTarget } from './target.js';

interface MysqlRestoreOptions extends TargetFlags {
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
  serverArg?: string[];
}

/** What `snaplog restore` decided before anything is fetched: the plan and how to apply it. */
export interface MysqlRestoreJob {
  plan: RestorePlan;
  /** Absent for `snaplog plan`. */
  restore?: {
    method: ReplayMethod;
    stagingDir: string;
    facts?: DatadirFacts;
    identity?: DatadirSnapshot;
    tables?: TableName[];
    binlogKeys?: BinlogKeys;
    /** What the data directory's restore record says to do (a restore onto a data directory, not a dry run). */
    start?: RestoreStart;
  };
}

const optionsOf = (request: RestoreRequest): MysqlRestoreOptions => request.options as MysqlRestoreOptions;

async function planRestore(target: RestoreTarget, request: RestoreRequest): Promise<MysqlRestoreJob> {
  const { config, archive, systemId, say } = request;
  const options = optionsOf(request);
  if (request.purpose === 'plan') return { plan: await loadPlan(archive, systemId, target, options.snapshot, await loadBinlogKey(config)) };
  if (!!options.datadir === !!options.targetSocket)
    throw new UsageError('give exactly one of --datadir DIR or --target-socket PATH', 'restore onto a restored data directory, or into a running server');
  if (!!options.tables !== !!options.export) throw new UsageError('--tables and --export go together');
  if (options.tables && !options.datadir) throw new UsageError('a partial restore (--tables) needs --datadir: it replays on a scratch copy of it');
  const tables = options.tables ? parseTableList(options.tables) : undefined;
  const method: ReplayMethod = options.method ?? (options.datadir ? 'relay' : 'pipe');
  if (method === 'relay' && options.targetSocket)
    throw new UsageError('--method relay needs --datadir (a private server); use --method pipe with --target-socket');

  const binlogKeys = await loadBinlogKeys(config);
  if (binlogKeys && method === 'pipe') {
    throw new UsageError(
      '[mysql] binlog_key_file is set: the binlogs are encrypted, and mariadb-binlog cannot read an encrypted binlog file',
      'restore onto the restored data directory with --datadir (the relay method loads the key into the private server)',
    );
  }
  // Checked before anything is fetched or changed. A dry run only reads: it also plans for a data
  // directory that is not there yet (the disk not attached).
  const dryRun = request.purpose === 'dry-run';
  const checkDatadir = options.datadir && (!dryRun || existsSync(options.datadir));
  const facts = checkDatadir ? await preflightDatadir(options.datadir!, { write: !tables && !dryRun, say }) : undefined;
  const identity = facts ? await identifyDatadirSnapshot(archive, systemId, facts, options.snapshot) : undefined;
  if (identity) say(identity.line);
  const plan = await loadPlan(archive, systemId, target, identity?.snapshotId ?? options.snapshot, binlogKeys?.reader).catch((error: unknown) => {
    if (!identity || !(error instanceof PlanError) || !/target is before snapshot/.test(error.message)) throw error;
    throw new SnaplogError(`the target is before snapshot ${identity.snapshotId}, which the data directory is: before the oldest usable snapshot for it`, {
      hint: 'to go back further, restore the disk of an older snapshot (snaplog list shows the snapshots and their windows)',
    });
  });
  const stagingDir = resolve(options.staging ?? defaultStagingDir(facts?.datadir ?? options.datadir, plan.snapshot.id, config.workload.ipcFolder));
  // A partial restore replays on a fresh copy of this data directory: the copy carries the same record.
  const start = facts && !dryRun ? await restoreStartOf(facts.datadir, plan, method, options.resume ?? false) : undefined;
  return { plan, restore: { method, stagingDir, facts, identity, tables, binlogKeys, start } };
}

function describeRestore({ plan, restore }: MysqlRestoreJob): { lines: string[]; json: Record<string, unknown> } {
  if (!restore) return { lines: describePlan(plan).split('\n'), json: planJson(plan) };
  const { method, stagingDir, identity } = restore;
  const commands = describeRestoreCommands(plan, method, stagingDir);
  return {
    lines: [...describePlan(plan).split('\n'), `\nwould run (${method}, staging ${stagingDir}):`, ...commands.map((line) => `  ${line}`)],
    json: { dryRun: true, method, stagingDir, ...(identity ? { datadirSnapshot: identity.json } : {}), plan: planJson(plan), commands },
  };
}

async function applyRestore({ plan, restore }: MysqlRestoreJob, request: RestoreRequest, { failure }: ApplyContext): Promise<AppliedRestore> {
  if (!restore) throw new Error('a plan made for snaplog plan cannot be applied');
  const { config, archive, systemId, events, say } = request;
  const options = optionsOf(request);
  const { method, stagingDir, facts, identity, tables, binlogKeys, start } = restore;
  say(describePlan(plan));
  let datadir = facts?.datadir;
  // Partial restore: the restored data directory stays as it is; the replay runs on a scratch copy.
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
    start,
    failure,
    signal: stopping.signal,
    say,
    progress: request.progress,
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  if (request.progress && process.stderr.isTTY) process.stderr.write('\n');
  if (tables && scratch && options.export) {
    const exportFile = resolve(options.export);
    await exportTables(scratch.datadir, scratch.runDir, tables, exportFile);
    await rm(scratch.datadir, { recursive: true, force: true });
    await rm(scratch.runDir, { recursive: true, force: true });
    say(`exported ${tables.map((table) => `${table.database}.${table.table}`).join(', ')} as of the target to ${exportFile}`);
  }
  if (options.json) request.printJson({ ...result, ...(identity ? { datadirSnapshot: identity.json } : {}), plan: planJson(plan) });
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
  return {
    fields: { stop: plan.stop, ...(datadir ? { gtidSlavePos: result.gtidSlavePos ?? '' } : {}) },
    summary: { snapshotId: plan.snapshot.id, method, elapsedMs: result.elapsedMs, bytes: result.bytesReplayed },
  };
}

export const mysqlRestore: EngineRestore<RestoreTarget, MysqlRestoreJob> = {
  parseTarget: (options) => parseTarget(options as TargetFlags),
  plan: planRestore,
  describe: describeRestore,
  eventFields: ({ plan, restore }) => (restore ? restoreEventFields(plan, restore.method, restore.start) : undefined),
  apply: applyRestore,
};
