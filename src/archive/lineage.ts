import type { LogMetadata } from './metadata.js';

/**
 * Pure: does `next` continue `previous` — the same server's history, with nothing between them? Numbers
 * alone cannot tell: a clone or a failed-over server writes logs with the same names and the next numbers.
 * The binlog says it: the ROTATE event at the end of a log names its successor, and the GTID state a log
 * starts with (MariaDB GTID_LIST, MySQL PREVIOUS_GTIDS) must hold the last transaction of the log before.
 * Returns why the two do not connect, or undefined when they do (or the logs carry too little to tell).
 */
export function lineageBreak(
  previous: Pick<LogMetadata, 'name' | 'nextLog' | 'lastTransaction' | 'previousTransactions'>,
  next: Pick<LogMetadata, 'name' | 'previousTransactions'>,
): string | undefined {
  if (previous.nextLog && previous.nextLog !== next.name) {
    return `${previous.name} ends by rotating to ${previous.nextLog}, but the next archived log is ${next.name}`;
  }
  if (next.previousTransactions === undefined) return undefined;
  const state = parseGtidState(next.previousTransactions);
  if (previous.lastTransaction !== undefined) {
    if (!stateHolds(state, previous.lastTransaction)) {
      return `${next.name} starts from GTID state ${next.previousTransactions || '(empty)'}, which does not hold ${previous.lastTransaction}, the last transaction of ${previous.name}`;
    }
    return undefined;
  }
  if (previous.previousTransactions === undefined) return undefined;
  const before = parseGtidState(previous.previousTransactions);
  for (const [key, sequence] of before.mariadb) {
    if (state.mariadb.get(key) !== sequence) {
      return `${previous.name} holds no transaction, yet ${next.name} starts from GTID state ${next.previousTransactions || '(empty)'}, not ${previous.previousTransactions}`;
    }
  }
  return undefined;
}

interface GtidState {
  /** MariaDB: "domain-server" → last sequence number. */
  mariadb: Map<string, number>;
  /** MySQL: source uuid → executed intervals. */
  mysql: Map<string, [number, number][]>;
}

function parseGtidState(text: string): GtidState {
  const state: GtidState = { mariadb: new Map(), mysql: new Map() };
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const mariadb = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (mariadb) {
      state.mariadb.set(`${mariadb[1]}-${mariadb[2]}`, Number(mariadb[3]));
      continue;
    }
    const [uuid, ...intervals] = part.split(':');
    if (!uuid) continue;
    const ranges = intervals.flatMap((interval) => {
      const match = /^(\d+)(?:-(\d+))?$/.exec(interval);
      return match ? [[Number(match[1]), Number(match[2] ?? match[1])] as [number, number]] : [];
    });
    state.mysql.set(uuid.toLowerCase(), [...(state.mysql.get(uuid.toLowerCase()) ?? []), ...ranges]);
  }
  return state;
}

function stateHolds(state: GtidState, gtid: string): boolean {
  const mariadb = /^(\d+)-(\d+)-(\d+)$/.exec(gtid);
  if (mariadb) return state.mariadb.get(`${mariadb[1]}-${mariadb[2]}`) === Number(mariadb[3]);
  const mysql = /^([0-9a-f-]{36}):(\d+)$/i.exec(gtid);
  if (!mysql) return true;
  const sequence = Number(mysql[2]);
  return (state.mysql.get(mysql[1]!.toLowerCase()) ?? []).some(([from, to]) => from <= sequence && sequence <= to);
}
