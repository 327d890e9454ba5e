/**
 * The engine-neutral conductor of `snaplog plan` and `snaplog restore`: the engine's target (flags checked
 * before the archive is opened) → its plan → the plan described (plan, --dry-run: nothing fetched, nothing
 * changed) or applied (fetch, replay, the engine's own state, resume, progress and events). Which engine:
 * the registry's answer for the config.
 */
import type { Archive } from '../archive/archive.js';
import type { EngineRestore, PlanDescription, RestoreRequest } from '../engines/types.js';

/** The description for `plan` and `--dry-run`; undefined when the restore was applied. */
export async function conductRestore(
  restore: EngineRestore,
  request: Omit<RestoreRequest, 'archive' | 'systemId'>,
  openArchive: () => Promise<{ archive: Archive; systemId: string }>,
): Promise<PlanDescription | undefined> {
  const target = restore.parseTarget(request.options);
  const full: RestoreRequest = { ...request, ...(await openArchive()) };
  const plan = await restore.plan(target, full);
  if (full.purpose !== 'restore') return restore.describe(plan, full);
  await restore.apply(plan, full);
  return undefined;
}
