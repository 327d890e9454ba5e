import { UsageError } from '../../../errors.js';
import { timeTarget } from '../../restore-target.js';
import type { RestoreTarget, TargetFlags } from '../../restore-target.js';
import { localTimeZone } from '../../time-text.js';
import { GtidSet, parseGtid } from './gtid.js';

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
  if (flags.to !== undefined) return timeTarget(flags.to, timeZone);
  if (flags.toGtid !== undefined) return gtidTarget(flags.toGtid);
  if (flags.beforeGtid !== undefined) return { kind: 'before-gtid', gtid: checkGtid('--before-gtid', flags.beforeGtid) };
  if (flags.toPosition !== undefined) {
    const match = /^([^:]+):(\d+)$/.exec(flags.toPosition.trim());
    if (!match) throw new UsageError(`--to-position ${JSON.stringify(flags.toPosition)} is not FILE:POS`, 'e.g. --to-position mysql-bin.000042:1234');
    return { kind: 'position', file: match[1]!, position: Number(match[2]) };
  }
  return { kind: 'latest' };
}
