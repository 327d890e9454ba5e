/**
 * The restore events of one `snaplog restore` (or drill) run, the same for every engine: restore-start (and
 * restore-dry-run), then restore-done (or what the engine did instead) and restore-summary, or restore-failed, each with the
 * engine, the system, the engine's fields for the plan, and on the last one the time the run took.
 */
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { AppliedRestore, RestoreEventFields } from './types.js';

export interface RestoreEvents {
  started(): Promise<void>;
  dryRun(): Promise<void>;
  ended(applied: AppliedRestore): Promise<void>;
  failed(error: unknown, facts: Record<string, unknown>): Promise<void>;
}

/** `fields` undefined: the run changes nothing (the engine says so): only a restore-summary the engine gives is emitted. */
export function restoreEvents(events: EventChannel, common: { engine: string; systemId: string }, fields: RestoreEventFields | undefined): RestoreEvents {
  const base = { ...common, ...fields?.plan };
  let startedAt: number | undefined;
  const elapsed = (): { elapsedMs?: number } => (startedAt === undefined ? {} : { elapsedMs: Date.now() - startedAt });
  return {
    started: async () => {
      if (!fields) return;
      startedAt = Date.now();
      await events.emit('restore-start', 'info', { ...base, ...fields.start });
    },
    dryRun: async () => {
      if (!fields?.dryRun) return;
      await events.emit('restore-start', 'info', { ...base, ...fields.start });
      await events.emit('restore-dry-run', 'info', { ...base, ...fields.dryRun });
    },
    ended: async (applied) => {
      if (fields) await events.emit(applied.event ?? 'restore-done', 'info', { ...base, ...applied.fields, ...elapsed() });
      if (applied.summary) await events.emit('restore-summary', 'info', { ...base, ...applied.summary });
    },
    failed: async (error, facts) => {
      if (!fields) return;
      await events.emit('restore-failed', 'alert', { ...base, message: describeError(error), ...facts, ...elapsed() });
    },
  };
}
