import { UsageError } from '../errors.js';
import { localIso, localTimeZone, parseInstant } from './time-text.js';

/**
 * What the DBA asked for. Times are unix seconds, rounded down (commit stamps have whole-second resolution);
 * `instant` keeps the exact time given (ISO, UTC) for display.
 * `gtid` is one transaction: replay stops right after it in log order (other domains' transactions before
 * it are applied too). `gtid-position` is a GTID position list (`0-1-3712,7-1-97`, as @@gtid_binlog_pos) or a
 * MySQL GTID set: exactly the transactions in it, none after it in any domain.
 */
export type RestoreTarget =
  | { kind: 'time'; time: number; text: string; instant?: string }
  | { kind: 'gtid'; gtid: string }
  | { kind: 'gtid-position'; position: string }
  | { kind: 'before-gtid'; gtid: string }
  | { kind: 'position'; file: string; position: number }
  | { kind: 'latest' };

export interface TargetFlags {
  to?: string;
  toGtid?: string;
  toPosition?: string;
  beforeGtid?: string;
  latest?: boolean;
}

export { parseTargetTime } from './time-text.js';

/** --to TIME as a target: unix seconds rounded down, the exact instant kept for display. Pure. */
export function timeTarget(text: string, timeZone = localTimeZone()): RestoreTarget {
  const ms = parseInstant(text, '--to', timeZone);
  return { kind: 'time', time: Math.floor(ms / 1000), text, instant: new Date(ms).toISOString() };
}

export function describeTarget(target: RestoreTarget, timeZone = localTimeZone()): Record<string, unknown> {
  switch (target.kind) {
    case 'time': {
      const ms = target.instant ? Date.parse(target.instant) : target.time * 1000;
      return { kind: 'time', time: new Date(ms).toISOString(), local: localIso(ms, timeZone), timeZone, given: target.text };
    }
    case 'gtid-position':
      return { kind: 'gtid-position', position: target.position };
    case 'gtid':
    case 'before-gtid':
      return { kind: target.kind, gtid: target.gtid };
    case 'position':
      return { kind: 'position', file: target.file, position: target.position };
    case 'latest':
      return { kind: 'latest' };
  }
}

/**
 * The shared `--to TIME` / `--latest` flags for an engine that takes only those of the shared targets:
 * exactly one of them, and none of MySQL's (refused with `refusal`).
 */
export function timeOrLatestTarget(flags: TargetFlags, refusal: { message: string; hint: string }, timeZone = localTimeZone()): RestoreTarget {
  if (flags.toGtid !== undefined || flags.beforeGtid !== undefined || flags.toPosition !== undefined) throw new UsageError(refusal.message, refusal.hint);
  if ((flags.to !== undefined) === Boolean(flags.latest)) {
    throw new UsageError('give exactly one target: --to TIME or --latest', refusal.hint);
  }
  return flags.to !== undefined ? timeTarget(flags.to, timeZone) : { kind: 'latest' };
}
