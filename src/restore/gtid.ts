/** GTID arithmetic for MariaDB (domain-server-seq) and MySQL (uuid:n, sets uuid:1-40:42). Pure. */

export interface ParsedGtid {
  /** MariaDB domain id, or MySQL source uuid. */
  stream: string;
  seq: number;
}

export function parseGtid(gtid: string): ParsedGtid | undefined {
  const mariadb = /^(\d+)-(\d+)-(\d+)$/.exec(gtid.trim());
  if (mariadb) return { stream: `domain:${mariadb[1]}`, seq: Number(mariadb[3]) };
  const mysql = /^([0-9a-f-]{36}):(\d+)$/i.exec(gtid.trim());
  if (mysql) return { stream: mysql[1]!.toLowerCase(), seq: Number(mysql[2]) };
  return undefined;
}

/** Highest sequence per stream in a position/set: "0-1-40,1-2-5" or "uuid:1-40:45,uuid2:1-3". */
export function gtidSetMaxima(set: string | undefined): Map<string, number> {
  const maxima = new Map<string, number>();
  if (!set) return maxima;
  for (const part of set.split(',').map((item) => item.trim()).filter(Boolean)) {
    const mariadb = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (mariadb) {
      maxima.set(`domain:${mariadb[1]}`, Math.max(maxima.get(`domain:${mariadb[1]}`) ?? 0, Number(mariadb[3])));
      continue;
    }
    const [uuid, ...intervals] = part.split(':');
    if (!uuid || intervals.length === 0) continue;
    const last = intervals[intervals.length - 1]!.split('-').pop();
    maxima.set(uuid.toLowerCase(), Math.max(maxima.get(uuid.toLowerCase()) ?? 0, Number(last)));
  }
  return maxima;
}

/** Whether a snapshot whose position is `set` already contains `gtid` (so replay from it cannot reach before it). */
export function gtidIncluded(set: string | undefined, gtid: ParsedGtid): boolean {
  return (gtidSetMaxima(set).get(gtid.stream) ?? 0) >= gtid.seq;
}

/** Whether `gtid` falls within [first, last] of one log (same stream). */
export function gtidWithin(gtid: ParsedGtid, first: string | undefined, last: string | undefined): boolean {
  const a = first ? parseGtid(first) : undefined;
  const b = last ? parseGtid(last) : undefined;
  if (!a || !b || a.stream !== gtid.stream || b.stream !== gtid.stream) return false;
  return a.seq <= gtid.seq && gtid.seq <= b.seq;
}
