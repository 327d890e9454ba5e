/**
 * `snaplog plan` and `snaplog restore` for IRIS/Caché: fetch and verify the journals from the snapshot's
 * journal file up to the target into --staging, then run Journal.Restore (with a ^ZJRNFILT time filter) on
 * the restored instance. The shared --dry-run, --staging, --snapshot and --system apply.
 */
import { resolve } from 'node:path';
import { windowLines } from '../../chain-plan.js';
import type { ChainPlan } from '../../chain-plan.js';
import { describeTarget, timeOrLatestTarget } from '../../restore-target.js';
import type { RestoreTarget, TargetFlags } from '../../restore-target.js';
import type { EngineRestore, PlanDescription, RestoreRequest } from '../../types.js';
import { applyIrisRestore, irisDryRun, irisPlanLines, planIrisChain, planIrisRestore } from './restore.js';

interface IrisOptions extends TargetFlags {
  snapshot?: string;
  staging?: string;
  irisInstance?: string;
  irisScript?: string;
}

const optionsOf = (request: RestoreRequest): IrisOptions => request.options as IrisOptions;

async function planRestore(target: RestoreTarget, request: RestoreRequest): Promise<ChainPlan> {
  const { archive, systemId, events } = request;
  const snapshotId = optionsOf(request).snapshot;
  if (request.purpose === 'plan') {
    const logs = await archive.listLogMetadata(systemId);
    return planIrisChain({ snapshots: await archive.listSnapshots(systemId), logs, target, snapshotId });
  }
  const dryRun = request.purpose === 'dry-run';
  await events.emit('restore-start', 'info', { engine: 'iris', systemId, dryRun });
  try {
    const plan = await planIrisRestore(archive, systemId, target, snapshotId);
    if (dryRun) await events.emit('restore-dry-run', 'info', { engine: 'iris', snapshotId: plan.snapshot.id, journals: plan.logs.length });
    return plan;
  } catch (error) {
    await events.emit('restore-failed', 'alert', { engine: 'iris', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

function describePlan(plan: ChainPlan, request: RestoreRequest): PlanDescription {
  if (request.purpose === 'plan') {
    const json = {
      snapshot: { id: plan.snapshot.id, time: plan.snapshot.time, position: plan.snapshot.position, status: plan.snapshot.status },
      logs: plan.logs.map((log) => ({ name: log.name, size: log.size, sha256: log.sha256 })),
      target: describeTarget(plan.target),
      stop: plan.target.kind === 'time' ? 'records stamped after the target are filtered out (^ZJRNFILT)' : 'end of the archived journals',
      restorable: plan.restorable,
    };
    const lines = [
      `snapshot ${json.snapshot.id} (${json.snapshot.time}) at the start of ${plan.snapshot.position?.file}`,
      `journals ${json.logs.map((log) => log.name).join(' ')}`,
      `stop     ${json.stop}`,
      ...windowLines(plan.restorable),
    ];
    return { lines, json };
  }
  const { lines, script } = irisDryRun(plan, optionsOf(request).staging);
  return { lines: [...irisPlanLines(plan), ...lines], json: { dryRun: true, snapshotId: plan.snapshot.id, journals: plan.logs.map((log) => log.name), script: script.lines } };
}

async function applyPlan(plan: ChainPlan, request: RestoreRequest): Promise<void> {
  const { config, archive, systemId, events, say } = request;
  const options = optionsOf(request);
  try {
    for (const line of irisPlanLines(plan)) say(line);
    const result = await applyIrisRestore(plan, {
      config,
      archive,
      systemId,
      stagingDir: options.staging,
      instance: options.irisInstance,
      scriptOut: options.irisScript === undefined ? undefined : resolve(options.irisScript),
      say,
    });
    await events.emit(result.applied ? 'restore-done' : 'restore-script-written', 'info', { engine: 'iris', snapshotId: plan.snapshot.id, journals: result.files.length });
  } catch (error) {
    await events.emit('restore-failed', 'alert', { engine: 'iris', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

export const irisRestore: EngineRestore<RestoreTarget, ChainPlan> = {
  parseTarget: (options) =>
    timeOrLatestTarget(options as IrisOptions, {
      message: 'IRIS journals have no GTIDs or replay positions snaplog can stop at: use --to TIME (or --latest)',
      hint: 'e.g. snaplog restore --to 2026-11-22T14:05:00 …',
    }),
  plan: planRestore,
  describe: describePlan,
  apply: applyPlan,
};
