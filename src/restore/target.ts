import { UsageError } from '../errors.js';
import { GtidSet, parseGtid } from './gtid.js';
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

const GTID_FORMS =
  'MariaDB: domain-server-sequence, e.g. 0-1-4711; MySQL: uuid:number, or uuid:tag:number for a tagged GTID (MySQL 8.3+); ' +
  'snaplog find --query … prints the GTID of a statement';

function checkGtid(flag: string, gtid: string): string {
  const trimmed = gtid.trim();
  if (!parseGtid(trimmed)) throw new UsageError(`${flag} ${JSON.stringify(gtid)} is not a single GTID`, GTID_FORMS);
  return trimmed;
}

/** --to-gtid: one GTID, or a position list / GTID set (normalised: one entry per domain, as the server prints it). */
function gtidTarget(text: string): RestoreTarget {
  const trimmed = text.trim();
  if (parseGtid(trimmed)) return { kind: 'gtid', gtid: trimmed };
  let set: GtidSet;
  try {
    set = GtidSet.parse(trimmed);
  } catch (error) {
    throw new UsageError(
      `--to-gtid ${JSON.stringify(text)} is neither a GTID nor a GTID position: ${error instanceof Error ? error.message : String(error)}`,
      `one GTID (${GTID_FORMS}) or a position list as @@gtid_binlog_pos prints it, e.g. 0-1-3712,7-1-97`,
    );
  }
  if (set.streamNames.length === 0) throw new UsageError('--to-gtid is empty', 'give a GTID such as 0-1-4711 or a position such as 0-1-3712,7-1-97');
  return { kind: 'gtid-position', position: set.format() };
}

/** Exactly one target flag; pure. */
export function parseTarget(flags: TargetFlags, timeZone = localTimeZone()): RestoreTarget {
  const given = [flags.to, flags.toGtid, flags.toPosition, flags.beforeGtid, flags.latest ? 'latest' : undefined].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      'give exactly one target: --to TIME, --to-gtid GTID[,GTID…], --to-position FILE:POS, --before-gtid GTID or --latest',
      'e.g. snaplog plan --to 2026-11-22T14:05:00',
    );
  }
  if (flags.to !== undefined) {
    const ms = parseInstant(flags.to, '--to', timeZone);
    return { kind: 'time', time: Math.floor(ms / 1000), text: flags.to, instant: new Date(ms).toISOString() };
  }
  if (flags.toGtid !== undefined) return gtidTarget(flags.toGtid);
  if (flags.beforeGtid !== undefined) return { kind: 'before-gtid', gtid: checkGtid('--before-gtid', flags.beforeGtid) };
  if (flags.toPosition !== undefined) {
    const match = /^([^:]+):(\d+)$/.exec(flags.toPosition.trim());
    if (!match) throw new UsageError(`--to-position ${JSON.stringify(flags.toPosition)} is not FILE:POS`, 'e.g. --to-position mysql-bin.000042:1234');
    return { kind: 'position', file: match[1]!, position: Number(match[2]) };
  }
  return { kind: 'latest' };
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
