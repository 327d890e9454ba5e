/**
 * `snaplog plan` and `snaplog restore` for IRIS/Caché: the journals from the snapshot's journal file up to
 * the target, fetched and verified by the conductor into --staging (made here), then Journal.Restore (with a ^ZJRNFILT time filter) on
 * the restored instance. The shared --dry-run, --staging, --snapshot and --system apply.
 */
import { resolve } from 'node:path';
import { windowLines } from '../../chain-plan.js';
import type { ChainPlan } from '../../chain-plan.js';
import { describeTarget, timeOrLatestTarget } from '../../restore-target.js';
import type { RestoreTarget, TargetFlags } from '../../restore-target.js';
import type { AppliedRestore, ApplyContext, EngineRestore, FetchTarget, PlanDescription, RestoreRequest } from '../../types.js';
import type { IrisClient } from '../client.js';
import { irisClient } from '../factory.js';
import { createIrisStaging, irisDryRun, irisPlanLines, planIrisChain, planIrisRestore, runJournalRestore } from './restore.js';

interface IrisOptions extends TargetFlags {
  snapshot?: string;
  staging?: string;
  irisInstance?: string;
  irisScript?: string;
}

const optionsOf = (request: RestoreRequest): IrisOptions => request.options as IrisOptions;

async function planRestore(target: RestoreTarget, request: RestoreRequest): Promise<ChainPlan> {
  const { archive, systemId } = request;
  const snapshotId = optionsOf(request).snapshot;
  if (request.purpose === 'plan') {
    const logs = await archive.listLogMetadata(systemId);
    return planIrisChain({ snapshots: await archive.listSnapshots(systemId), logs, target, snapshotId });
  }
  return planIrisRestore(archive, systemId, target, snapshotId);
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
  return {
    lines: [...irisPlanLines(plan), ...lines],
    json: { dryRun: true, snapshotId: plan.snapshot.id, journals: plan.logs.map((log) => log.name), script: script.lines },
  };
}

async function stagePlan(plan: ChainPlan, request: RestoreRequest): Promise<FetchTarget> {
  const options = optionsOf(request);
  for (const line of irisPlanLines(plan)) request.say(line);
  // A wrong --iris-instance or [iris] section is refused before anything is fetched.
  irisClientFor(request);
  return { staging: await createIrisStaging(request.config, options.staging), logs: plan.logs };
}

const irisClientFor = (request: RestoreRequest): IrisClient => irisClient(request.config, optionsOf(request).irisInstance);

async function applyPlan(plan: ChainPlan, request: RestoreRequest, { fetched }: ApplyContext): Promise<AppliedRestore> {
  if (!fetched) throw new Error('an IRIS journal restore runs on the journals the conductor fetched');
  const { irisScript } = optionsOf(request);
  const scriptOut = irisScript === undefined ? undefined : resolve(irisScript);
  const options = { config: request.config, client: irisClientFor(request), scriptOut, say: request.say };
  const result = await runJournalRestore(plan, fetched.staging, fetched.logs, options);
  return {
    event: result.applied ? 'restore-done' : 'restore-script-written',
    fields: { journals: result.files.length },
    json: {
      applied: result.applied,
      snapshot: plan.snapshot.id,
      staging: fetched.staging.path,
      journals: result.files,
      ...(scriptOut ? { script: scriptOut } : {}),
    },
  };
}

export const irisRestore: EngineRestore<RestoreTarget, ChainPlan> = {
  parseTarget: (options) =>
    timeOrLatestTarget(options as IrisOptions, {
      message: 'IRIS journals have no GTIDs or replay positions snaplog can stop at: use --to TIME (or --latest)',
      hint: 'e.g. snaplog restore --to 2026-11-22T14:05:00 …',
    }),
  plan: planRestore,
  describe: describePlan,
  eventFields: (plan, request) => ({
    plan: { snapshotId: plan.snapshot.id },
    start: { dryRun: request.purpose === 'dry-run' },
    dryRun: { journals: plan.logs.length },
  }),
  fetchInto: stagePlan,
  apply: applyPlan,
};
