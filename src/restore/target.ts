import { UsageError } from '../errors.js';

/** What the DBA asked for. Times are unix seconds (commit timestamps have whole-second resolution). */
export type RestoreTarget =
  | { kind: 'time'; time: number; text: string }
  | { kind: 'gtid'; gtid: string }
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

const ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** ISO-8601; without a zone it is local time (as the DBA's wall clock). Pure apart from the local zone. */
export function parseTargetTime(text: string): number {
  const trimmed = text.trim();
  const dateOnly = DATE_ONLY.exec(trimmed);
  const ms = dateOnly ? new Date(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3])).getTime() : Date.parse(ZONE.test(trimmed) ? trimmed : trimmed.replace(' ', 'T'));
  if (!Number.isFinite(ms)) {
    throw new UsageError(`--to ${JSON.stringify(text)} is not an ISO-8601 time`, 'write it like 2026-11-22T14:05:00 (local time) or 2026-11-22T13:05:00Z');
  }
  return Math.floor(ms / 1000);
}

const MARIADB_GTID = /^\d+-\d+-\d+$/;
const MYSQL_GTID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+$/i;

function checkGtid(flag: string, gtid: string): string {
  const trimmed = gtid.trim();
  if (!MARIADB_GTID.test(trimmed) && !MYSQL_GTID.test(trimmed)) {
    throw new UsageError(`${flag} ${JSON.stringify(gtid)} is not a single GTID`, 'MariaDB: domain-server-sequence, e.g. 0-1-4711; MySQL: uuid:number; snaplog find --query … prints the GTID of a statement');
  }
  return trimmed;
}

/** Exactly one target flag; pure. */
export function parseTarget(flags: TargetFlags): RestoreTarget {
  const given = [flags.to, flags.toGtid, flags.toPosition, flags.beforeGtid, flags.latest ? 'latest' : undefined].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new UsageError('give exactly one target: --to TIME, --to-gtid GTID, --to-position FILE:POS, --before-gtid GTID or --latest', 'e.g. snaplog plan --to 2026-11-22T14:05:00');
  }
  if (flags.to !== undefined) return { kind: 'time', time: parseTargetTime(flags.to), text: flags.to };
  if (flags.toGtid !== undefined) return { kind: 'gtid', gtid: checkGtid('--to-gtid', flags.toGtid) };
  if (flags.beforeGtid !== undefined) return { kind: 'before-gtid', gtid: checkGtid('--before-gtid', flags.beforeGtid) };
  if (flags.toPosition !== undefined) {
    const match = /^([^:]+):(\d+)$/.exec(flags.toPosition.trim());
    if (!match) throw new UsageError(`--to-position ${JSON.stringify(flags.toPosition)} is not FILE:POS`, 'e.g. --to-position mysql-bin.000042:1234');
    return { kind: 'position', file: match[1]!, position: Number(match[2]) };
  }
  return { kind: 'latest' };
}

export function describeTarget(target: RestoreTarget): Record<string, unknown> {
  switch (target.kind) {
    case 'time':
      return { kind: 'time', time: new Date(target.time * 1000).toISOString(), given: target.text };
    case 'gtid':
    case 'before-gtid':
      return { kind: target.kind, gtid: target.gtid };
    case 'position':
      return { kind: 'position', file: target.file, position: target.position };
    case 'latest':
      return { kind: 'latest' };
  }
}
