/**
 * The engine-neutral conductor of `snaplog plan` and `snaplog restore`: the engine's target (flags checked
 * before the archive is opened) → its plan → the plan described (plan, --dry-run: nothing fetched, nothing
 * changed) or applied: restore-start, the planned logs fetched and checked into the engine's staging folder
 * (engines with fetchInto), the engine's apply (replay, its own state and resume, progress), then restore-done
 * or restore-failed. Which engine: the registry's answer for the config.
 */
import type { Archive } from '../archive/archive.js';
import { engineOf } from '../engines/registry.js';
import { fetchIntoStaging } from '../engines/staging.js';
import type { AppliedRestore, EngineRestore, FetchedLogs, PlanDescription, RestoreRequest } from '../engines/types.js';
import { restoreEvents } from '../engines/restore-events.js';

/** The description for `plan` and `--dry-run`; undefined when the restore was applied. */
export async function conductRestore<Target, Plan>(
  restore: EngineRestore<Target, Plan>,
  request: Omit<RestoreRequest, 'archive' | 'systemId'>,
  openArchive: () => Promise<{ archive: Archive; systemId: string }>,
): Promise<PlanDescription | undefined> {
  const target = restore.parseTarget(request.options);
  const full: RestoreRequest = { ...request, ...(await openArchive()) };
  const plan = await restore.plan(target, full);
  if (full.purpose === 'plan') return restore.describe(plan, full);
  const events = restoreEvents(full.events, { engine: engineOf(full.config).archiveName, systemId: full.systemId }, restore.eventFields(plan, full));
  if (full.purpose === 'dry-run') {
    await events.dryRun();
    return restore.describe(plan, full);
  }
  await events.started();
  const failure: Record<string, unknown> = {};
  let applied: AppliedRestore;
  try {
    const fetched = restore.fetchInto ? await fetchPlannedLogs(restore, plan, full) : undefined;
    applied = await restore.apply(plan, full, { fetched, failure });
  } catch (error) {
    await events.failed(error, failure);
    throw error;
  }
  await events.ended(applied);
  if (full.options['json'] === true && applied.json) full.printJson(applied.json);
  return undefined;
}

/** Into the staging folder the engine made: every log checked against its sha256 before the engine sees it. */
async function fetchPlannedLogs<Plan>(restore: EngineRestore<unknown, Plan>, plan: Plan, request: RestoreRequest): Promise<FetchedLogs> {
  const into = await restore.fetchInto!(plan, request);
  request.say(`staging folder ${into.staging.path}`);
  const logs = await fetchIntoStaging(request.archive, request.systemId, into.logs, into.staging, (log) => request.say(`fetched and verified ${log.name}`));
  return { staging: into.staging, logs };
}
