/**
 * Point-in-time restore of an IRIS/Caché instance that was brought back from a snapshot: pick the
 * snapshot and the journal chain from the archive, and, once the conductor has fetched and verified the
 * journals into the staging folder made here, run the generated Journal.Restore (with the ^ZJRNFILT stop
 * filter) on the restored instance through its terminal (or write it out for an operator).
 */
import { basename, join } from 'node:path';
import type { Archive } from '../../../archive/archive.js';
import type { LogMetadata } from '../../../archive/metadata.js';
import type { SnaplogConfig } from '../../../config/index.js';
import { SnaplogError, UsageError } from '../../../errors.js';
import { createStaging, databaseUserIds, sealStaging, stagedFileName } from '../../staging.js';
import type { Staging } from '../../staging.js';
import type { FetchedLog } from '../../../archive/fetch.js';
import { stagingPlaceholder, writeNewOutputFile, writeStagingFile } from '../../staging.js';
import { chainPlanOf, planArchiveChain } from '../../chain-plan.js';
import type { ChainPlan } from '../../chain-plan.js';
import type { RestoreTarget } from '../../restore-target.js';
import { irisClient } from '../factory.js';
import { consecutiveNumbers, journalGaps, parseJournalName } from '../journal-names.js';
import { irisRestoreScript } from './script.js';
import type { IrisRestoreScript } from './script.js';
import type { IrisClient } from '../client.js';

export interface JournalRestoreOptions {
  config: SnaplogConfig;
  say: (line: string) => void;
  /** The restored instance to run the journal restore on (default: the configured one). */
  instance?: string;
  /** Write the ObjectScript here and stop: an operator runs it by hand. */
  scriptOut?: string;
  /** The terminal client (default: from the config and `instance`). */
  client?: IrisClient;
}

export interface IrisRestoreResult {
  plan: ChainPlan;
  script: IrisRestoreScript;
  files: string[];
  applied: boolean;
}

/**
 * Pure: the archive's IRIS journals renumbered by the IRIS succession rule (a new day restarts at .001),
 * so the generic planner walks a chain across midnight and still stops at a real gap; a journal archived
 * in both spellings counts once.
 */
export function planIrisChain(input: {
  snapshots: Parameters<typeof planArchiveChain>[0]['snapshots'];
  logs: LogMetadata[];
  target: RestoreTarget;
  snapshotId?: string;
}): ChainPlan {
  if (input.target.kind !== 'time' && input.target.kind !== 'latest') {
    throw new UsageError(
      `IRIS journals have no GTIDs or replay positions snaplog can stop at: use --to TIME (or --latest)`,
      'e.g. snaplog restore --to 2026-11-22T14:05:00 …',
    );
  }
  const numbers = consecutiveNumbers(input.logs.map((log) => log.name));
  const logs = input.logs.filter((log) => numbers.has(log.name)).map((log) => ({ ...log, sequence: numbers.get(log.name)!, stream: undefined }));
  // The snapshot names the journal as it was when frozen; the archive may hold it compressed (<name>z).
  const keyOf = (name: string): string => parseJournalName(name)?.key ?? name;
  const archivedSpelling = new Map(logs.map((log) => [keyOf(log.name), log.name]));
  const snapshots = input.snapshots
    .filter((snapshot) => snapshot.engine === 'iris')
    .map((snapshot) =>
      snapshot.position
        ? { ...snapshot, position: { ...snapshot.position, file: archivedSpelling.get(keyOf(snapshot.position.file)) ?? snapshot.position.file } }
        : snapshot,
    );
  const plan = chainPlanOf(planArchiveChain({ snapshots, logs, target: input.target, snapshotId: input.snapshotId }));
  const originalSequence = new Map(input.logs.map((log) => [log.name, log.sequence]));
  return { ...plan, logs: plan.logs.map((log) => ({ ...log, sequence: originalSequence.get(log.name) ?? log.sequence, from: 0 })) };
}

/** The plan from the archive: the snapshot, and the journal chain from its file (refused at a gap). */
export async function planIrisRestore(archive: Archive, systemId: string, target: RestoreTarget, snapshotId: string | undefined): Promise<ChainPlan> {
  const archived = await archive.listLogMetadata(systemId);
  const snapshots = await archive.listSnapshots(systemId);
  const plan = planIrisChain({ snapshots, logs: archived, target, snapshotId });
  const gaps = journalGaps(plan.logs.map((log) => log.name));
  if (gaps.length) throw new SnaplogError(`the journal chain has a gap after ${gaps[0]!.after}`, { hint: `missing ${gaps[0]!.missing}` });
  return plan;
}

/** Pure: the plan as the DBA reads it before anything is fetched. */
export function irisPlanLines(plan: ChainPlan): string[] {
  const target = plan.target;
  return [
    `snapshot ${plan.snapshot.id} (${plan.snapshot.time}) stands at the start of ${plan.snapshot.position!.file}`,
    `journals: ${plan.logs.map((log) => log.name).join(', ')}`,
    ...(target.kind === 'time' ? [`stop: records stamped after ${new Date(target.time * 1000).toISOString()} are not applied (^ZJRNFILT)`] : []),
  ];
}

function scriptFor(plan: ChainPlan, stagingDir: string): IrisRestoreScript {
  const stopTime = plan.target.kind === 'time' ? plan.target.time : undefined;
  return irisRestoreScript({ files: plan.logs.map((log) => join(stagingDir, stagedFileName(log.name))), stagingDir, stopTime });
}

/** Pure: what --dry-run prints after the plan: the ObjectScript the restored instance would run. */
export function irisDryRun(plan: ChainPlan, stagingDir: string | undefined): { lines: string[]; script: IrisRestoreScript } {
  const script = scriptFor(plan, stagingPlaceholder(stagingDir, 'iris-restore'));
  const lines = [
    '--dry-run: nothing fetched, nothing applied. The restored instance would run (iris terminal <INSTANCE> -U%SYS):',
    ...script.lines.map((line) => `  ${line}`),
  ];
  if (script.filterSource) lines.push('^ZJRNFILT as installed:', ...script.filterSource.map((line) => `  ${line}`));
  return { lines, script };
}

/** A new private staging folder for the journals (--staging, or a random one under the temp folder), for the instance's owner. */
export async function createIrisStaging(config: SnaplogConfig, requested: string | undefined): Promise<Staging> {
  return createStaging(requested, 'iris-restore', await databaseUserIds(config.workload.linuxUser));
}

/**
 * With the journals fetched and verified into the staging folder (each handed to the instance's owner as it was
 * written): journal.log, then the folder go to the owner; then the journal restore runs (or is written out).
 */
export async function runJournalRestore(plan: ChainPlan, staging: Staging, fetched: FetchedLog[], options: JournalRestoreOptions): Promise<IrisRestoreResult> {
  const { say } = options;
  const client = options.client ?? irisClient(options.config, options.instance);
  const script = scriptFor(plan, staging.path);
  await writeStagingFile(staging, basename(script.journalLogPath), script.journalLog);
  await sealStaging(staging);

  if (options.scriptOut) {
    await writeNewOutputFile(options.scriptOut, script.lines.map((line) => `${line}\n`).join(''));
    say(`wrote the journal restore to ${options.scriptOut}; nothing applied. Run it on the restored instance:`);
    say(`  iris terminal <INSTANCE> -U%SYS < ${options.scriptOut}     (Caché: csession <INSTANCE> -U%SYS < …)`);
    return { plan, script, files: fetched.map((log) => log.path), applied: false };
  }

  const answers = await client.runScript(script.lines, 'the journal restore');
  if (answers.get('ERR'))
    throw new SnaplogError(`the journal restore did not start: ${answers.get('ERR')}`, {
      hint: 'nothing was applied; fix the cause and run the restore again',
    });
  const outcome = answers.get('RESTORE');
  if (outcome !== 'OK') {
    throw new SnaplogError(`Journal.Restore failed: ${outcome ?? 'no answer from the instance'}`, {
      hint: 'see the instance messages.log; the databases may be partly rolled forward: restore the snapshot again before retrying',
    });
  }
  if (answers.get('STOP_LOCAL')) say(`the instance stopped at ${answers.get('STOP_LOCAL')} (its local time)`);
  say(`applied ${fetched.length} journal file(s) from ${plan.logs[0]!.name} through ${plan.logs[plan.logs.length - 1]!.name}`);
  return { plan, script, files: fetched.map((log) => log.path), applied: true };
}
