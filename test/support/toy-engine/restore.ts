/**
 * The toy engine's restore: the shared chain planner with the shared time rules, then every logged write
 * from the snapshot position up to the target replayed into the restored state folder (--toy-dir). The conductor
 * fetches the logs and emits the restore events.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chainPlanOf, planArchiveChain, timeChainRules } from '../../../src/engines/chain-plan.js';
import type { ChainPlan } from '../../../src/engines/chain-plan.js';
import { describeTarget, timeOrLatestTarget } from '../../../src/engines/restore-target.js';
import { createStaging } from '../../../src/engines/staging.js';
import type { RestoreTarget, TargetFlags } from '../../../src/engines/restore-target.js';
import type { EngineRestore, RestoreRequest } from '../../../src/engines/types.js';
import { UsageError } from '../../../src/errors.js';
import { parseToyLines } from './engine.js';

const folderOf = (request: RestoreRequest): string => {
  const dir = request.options['toyDir'];
  if (typeof dir !== 'string') throw new UsageError('give --toy-dir DIR: the restored state folder');
  return resolve(dir);
};

export const toyRestore: EngineRestore<RestoreTarget, ChainPlan> = {
  parseTarget: (options) =>
    timeOrLatestTarget(options as TargetFlags, {
      message: 'the toy engine has no GTIDs or positions: use --to TIME or --latest',
      hint: '--to TIME or --latest',
    }),

  plan: async (target, { archive, systemId, options }) => {
    const logs = (await archive.listLogs(systemId)).flatMap((log) => (log.metadata ? [log.metadata] : []));
    const snapshots = (await archive.listSnapshots(systemId)).filter((snapshot) => snapshot.engine === 'toy');
    return chainPlanOf(planArchiveChain({ snapshots, logs, target, snapshotId: options['snapshot'] as string | undefined }, timeChainRules));
  },

  describe: (plan) => ({
    lines: [
      `snapshot ${plan.snapshot.id} at ${plan.snapshot.position!.file}:${plan.snapshot.position!.position}`,
      `logs     ${plan.logs.map((log) => log.name).join(' ')}`,
    ],
    json: { snapshot: plan.snapshot.id, logs: plan.logs.map((log) => log.name), target: describeTarget(plan.target) },
  }),

  eventFields: (plan) => ({ plan: { snapshotId: plan.snapshot.id }, start: { logs: plan.logs.length } }),

  // The conductor fetches and checks the planned logs into a new private folder (--staging); the toy has no database user to hand them to.
  fetchInto: async (plan, request) => {
    const staging = await createStaging(request.options['staging'] as string | undefined, 'toy-restore', undefined);
    return { staging, logs: plan.logs };
  },

  apply: async (plan, request, { fetched }) => {
    if (!fetched) throw new Error('the toy restore applies the logs the conductor fetched');
    const folder = folderOf(request);
    try {
      let applied = 0;
      for (const log of fetched.logs) {
        const text = (await readFile(log.path)).subarray(log.from).toString('utf8');
        for (const write of parseToyLines(text)) {
          if (plan.target.kind === 'time' && write.time > plan.target.time) break;
          await writeFile(join(folder, write.key), write.value);
          applied++;
        }
      }
      request.say(`applied ${applied} writes from ${fetched.logs.length} logs`);
      return { fields: { writes: applied } };
    } finally {
      await rm(fetched.staging.path, { recursive: true, force: true });
    }
  },
};
