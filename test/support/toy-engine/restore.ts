/**
 * The toy engine's restore: the shared chain planner with the shared time rules, then every logged write
 * from the snapshot position up to the target replayed into the restored state folder (--toy-dir).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fetchLogs } from '../../../src/archive/fetch.js';
import { chainPlanOf, planArchiveChain, timeChainRules } from '../../../src/engines/chain-plan.js';
import type { ChainPlan } from '../../../src/engines/chain-plan.js';
import { describeTarget, timeOrLatestTarget } from '../../../src/engines/restore-target.js';
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
    timeOrLatestTarget(options as TargetFlags, { message: 'the toy engine has no GTIDs or positions: use --to TIME or --latest', hint: '--to TIME or --latest' }),

  plan: async (target, { archive, systemId, options }) => {
    const logs = (await archive.listLogs(systemId)).flatMap((log) => (log.metadata ? [log.metadata] : []));
    const snapshots = (await archive.listSnapshots(systemId)).filter((snapshot) => snapshot.engine === 'toy');
    return chainPlanOf(planArchiveChain({ snapshots, logs, target, snapshotId: options['snapshot'] as string | undefined }, timeChainRules));
  },

  describe: (plan) => ({
    lines: [`snapshot ${plan.snapshot.id} at ${plan.snapshot.position!.file}:${plan.snapshot.position!.position}`, `logs     ${plan.logs.map((log) => log.name).join(' ')}`],
    json: { snapshot: plan.snapshot.id, logs: plan.logs.map((log) => log.name), target: describeTarget(plan.target) },
  }),

  apply: async (plan, request) => {
    const folder = folderOf(request);
    const staging = await mkdtemp(join(tmpdir(), 'toy-restore-'));
    try {
      const fetched = await fetchLogs(request.archive, request.systemId, plan.logs, join(staging, 'logs'));
      let applied = 0;
      for (const log of fetched) {
        const text = (await readFile(log.path)).subarray(log.from).toString('utf8');
        for (const write of parseToyLines(text)) {
          if (plan.target.kind === 'time' && write.time > plan.target.time) break;
          await writeFile(join(folder, write.key), write.value);
          applied++;
        }
      }
      request.say(`applied ${applied} writes from ${fetched.length} logs`);
      await request.events.emit('restore-done', 'info', { engine: 'toy', snapshotId: plan.snapshot.id, writes: applied });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  },
};
