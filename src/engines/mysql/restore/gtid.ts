/**
 * GTID arithmetic for MariaDB (domain-server-seq, positions `0-1-40,7-1-5`) and MySQL (uuid:n, sets
 * `uuid:1-40:42,uuid2:1-3`; MySQL 8.3+ tagged GTIDs `uuid:tag:n`, sets `uuid:1-40:tag:1-5`). Pure.
 *
 * A stream is a MariaDB domain id ("0", "7"), a MySQL source uuid or `uuid:tag` (lower case): the same keys
 * as the archive's `gtidRanges`. A MariaDB position is a high-water mark per domain (every sequence number up
 * to n is in it, as in @@gtid_binlog_pos); a MySQL set is a list of intervals per uuid.
 */

export interface ParsedGtid {
  stream: string;
  seq: number;
  /** MariaDB: the server id in the GTID's text. */
  server?: number;
}

const MARIADB_GTID = /^(\d+)-(\d+)-(\d+)$/;
const MYSQL_GTID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?::([a-z_][a-z0-9_]{0,31}))?:(\d+)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A MySQL 8.3+ GTID tag (case-insensitive; MySQL stores it lower case). */
const TAG = /^[a-z_][a-z0-9_]{0,31}$/i;

/** One GTID; undefined when the text is not exactly one. */
export function parseGtid(gtid: string): ParsedGtid | undefined {
  const mariadb = MARIADB_GTID.exec(gtid.trim());
  if (mariadb) return { stream: mariadb[1]!, seq: Number(mariadb[3]), server: Number(mariadb[2]) };
  const mysql = MYSQL_GTID.exec(gtid.trim());
  if (mysql) return { stream: mysql[2] ? `${mysql[1]!}:${mysql[2]}`.toLowerCase() : mysql[1]!.toLowerCase(), seq: Number(mysql[3]) };
  return undefined;
}

const isMysqlStream = (stream: string): boolean => stream.includes('-');

type Interval = [number, number];

/** A GTID position (MariaDB) or set (MySQL). Streams absent from it have none of their transactions in it. */
export class GtidSet {
  private constructor(
    private readonly streams: Map<string, Interval[]>,
    /** MariaDB: the server id of each domain's highest GTID (for printing a position). */
    private readonly servers: Map<string, number>,
  ) {}

  static empty(): GtidSet {
    return new GtidSet(new Map(), new Map());
  }

  /**
   * `0-1-3712,7-1-97` (MariaDB; a domain listed twice keeps its highest number, as in @@gtid_binlog_state)
   * or `uuid:1-40:42,uuid2:1-3` (MySQL; whitespace and line breaks as MySQL prints them are ignored; a tag
   * applies to the intervals after it: `uuid:1-40:batch:1-5` is uuid 1-40 and uuid:batch 1-5).
   * Throws a plain Error naming the part it cannot read.
   */
  static parse(text: string | undefined): GtidSet {
    const set = GtidSet.empty();
    if (!text) return set;
    for (const part of text
      .split(',')
      .map((item) => item.replace(/\s+/g, ''))
      .filter(Boolean)) {
      const mariadb = MARIADB_GTID.exec(part);
      if (mariadb) {
        set.raise(mariadb[1]!, Number(mariadb[3]), Number(mariadb[2]));
        continue;
      }
      const [uuid, ...ranges] = part.split(':');
      if (!uuid || !UUID.test(uuid) || ranges.length === 0) throw new Error(`"${part}" is neither domain-server-sequence nor uuid:interval`);
      let stream = uuid.toLowerCase();
      let pendingTag: string | undefined;
      for (const range of ranges) {
        if (TAG.test(range)) {
          if (pendingTag !== undefined) throw new Error(`"${part}": the tag ${pendingTag} has no interval`);
          pendingTag = range;
          stream = `${uuid}:${range}`.toLowerCase();
          continue;
        }
        const match = /^(\d+)(?:-(\d+))?$/.exec(range);
        if (!match) throw new Error(`"${part}": "${range}" is not a number, a range n-m or a tag`);
        const low = Number(match[1]);
        const high = match[2] === undefined ? low : Number(match[2]);
        if (high < low) throw new Error(`"${part}": the range ${range} runs backwards`);
        set.addInterval(stream, low, high);
        pendingTag = undefined;
      }
      if (pendingTag !== undefined) throw new Error(`"${part}": the tag ${pendingTag} has no interval`);
    }
    return set;
  }

  clone(): GtidSet {
    return new GtidSet(new Map([...this.streams].map(([stream, intervals]) => [stream, intervals.map(([a, b]): Interval => [a, b])])), new Map(this.servers));
  }

  get streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** The highest sequence number of a stream in the set (0 = none). */
  highest(stream: string): number {
    const intervals = this.streams.get(stream);
    return intervals?.length ? intervals[intervals.length - 1]![1] : 0;
  }

  includes(gtid: ParsedGtid): boolean {
    const intervals = this.streams.get(gtid.stream);
    if (!intervals) return false;
    if (!isMysqlStream(gtid.stream)) return gtid.seq <= this.highest(gtid.stream);
    return intervals.some(([low, high]) => low <= gtid.seq && gtid.seq <= high);
  }

  /** Every transaction of `other` is in this set. */
  covers(other: GtidSet): boolean {
    for (const [stream, intervals] of other.streams) {
      if (!isMysqlStream(stream)) {
        if (other.highest(stream) > 0 && this.highest(stream) < other.highest(stream)) return false;
        continue;
      }
      const mine = this.streams.get(stream) ?? [];
      if (!intervals.every(([low, high]) => mine.some(([a, b]) => a <= low && high <= b))) return false;
    }
    return true;
  }

  /** The set after one more transaction. */
  add(gtid: ParsedGtid): void {
    if (isMysqlStream(gtid.stream)) this.addInterval(gtid.stream, gtid.seq, gtid.seq);
    else this.raise(gtid.stream, gtid.seq, gtid.server);
  }

  /** A whole log's transactions of one stream: MariaDB raises the high-water mark; MySQL needs the exact interval. */
  addRange(stream: string, range: { first: number; last: number; server?: number }): void {
    if (isMysqlStream(stream)) this.addInterval(stream, range.first, range.last);
    else this.raise(stream, range.last, range.server);
  }

  /** `0-1-3712,7-1-97` (MariaDB, as @@gtid_binlog_pos) or `uuid:1-40:42` (MySQL). */
  format(): string {
    return [...this.streams]
      .filter(([, intervals]) => intervals.length > 0)
      .map(([stream, intervals]) =>
        isMysqlStream(stream)
          ? `${stream}:${intervals.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(':')}`
          : `${stream}-${this.servers.get(stream) ?? 0}-${intervals[intervals.length - 1]![1]}`,
      )
      .join(',');
  }

  private raise(stream: string, seq: number, server: number | undefined): void {
    if (this.streams.has(stream) && seq <= this.highest(stream)) return;
    this.streams.set(stream, [[0, seq]]);
    if (server !== undefined) this.servers.set(stream, server);
  }

  private addInterval(stream: string, low: number, high: number): void {
    const merged: Interval[] = [];
    let next: Interval = [low, high];
    for (const interval of this.streams.get(stream) ?? []) {
      if (interval[1] + 1 < next[0] || next[1] + 1 < interval[0]) merged.push(interval);
      else next = [Math.min(interval[0], next[0]), Math.max(interval[1], next[1])];
    }
    merged.push(next);
    this.streams.set(
      stream,
      merged.sort((a, b) => a[0] - b[0]),
    );
  }
}

/** Whether a snapshot whose position is `set` already contains `gtid` (so replay from it cannot reach before it). */
export function gtidIncluded(set: string | undefined, gtid: ParsedGtid): boolean {
  try {
    return GtidSet.parse(set).includes(gtid);
  } catch {
    return false;
  }
}

/**
 * Whether a log may hold `gtid`, from its metadata: `yes`/`no` from its per-stream ranges; for logs shipped
 * before those were recorded, the old first/last check (`yes` when both are in the GTID's stream and around
 * it) and otherwise `unknown` — the caller reads such a log to learn its ranges.
 */
export function logMayHold(
  log: { gtidRanges?: Record<string, { first: number; last: number }>; firstTransaction?: string; lastTransaction?: string; transactionCount?: number },
  gtid: ParsedGtid,
): 'yes' | 'no' | 'unknown' {
  if (log.gtidRanges) {
    const range = log.gtidRanges[gtid.stream];
    return range && range.first <= gtid.seq && gtid.seq <= range.last ? 'yes' : 'no';
  }
  if (log.transactionCount === 0) return 'no';
  const first = log.firstTransaction ? parseGtid(log.firstTransaction) : undefined;
  const last = log.lastTransaction ? parseGtid(log.lastTransaction) : undefined;
  if (first && last && first.stream === gtid.stream && last.stream === gtid.stream && first.seq <= gtid.seq && gtid.seq <= last.seq) return 'yes';
  return 'unknown';
}

/**
 * Transactions between two MariaDB GTID positions (per domain, the rise of its high-water mark; a domain absent from
 * `before` counts from 0). Undefined for MySQL sets, an unreadable position, or no position at all.
 */
export function transactionsSince(before: string | undefined, now: string | undefined): number | undefined {
  if (now === undefined) return undefined;
  try {
    const from = GtidSet.parse(before);
    const to = GtidSet.parse(now);
    if ([...to.streamNames, ...from.streamNames].some((stream) => stream.includes('-'))) return undefined;
    return to.streamNames.reduce((sum, stream) => sum + Math.max(0, to.highest(stream) - from.highest(stream)), 0);
  } catch {
    return undefined;
  }
}
