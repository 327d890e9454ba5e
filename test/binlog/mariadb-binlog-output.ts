import { execFileSync } from 'node:child_process';

/**
 * The real `mariadb-binlog`, as the oracle for the reader: runs it on a file and parses what it prints.
 * With `-v`, it prints one `# at N` line and one header line (`#YYMMDD HH:MM:SS server id S  end_log_pos E …
 * <description>`) per event, each list in file order (row events' header lines come late, after their
 * statement's last row event), so the i-th position belongs to the i-th header line.
 */

export interface ToolEvent {
  position: number;
  endPosition: number;
  /** Unix seconds (printed in UTC: the tool runs with TZ=UTC). */
  time: number;
  serverId: number;
  /** What follows the header fields: `Query …`, `Xid = 5`, `GTID 0-7-3 ddl`, `Rotate to mysql-bin.000002  pos: 4`, … */
  description: string;
  /** MariaDB GTID events: `0-7-3`. */
  gtid?: string;
  /** The tool's GTID flags word after the GTID: `trans`, `ddl`, or empty (a non-transactional group). */
  gtidKind?: string;
}

export interface ToolOutput {
  events: ToolEvent[];
  /** `# Warning: this binlog is either in use or was not closed properly.` */
  inUseWarning: boolean;
  /** Lines starting with ERROR: (the tool stops at events it cannot read). */
  errors: string[];
  text: string;
}

export function runMariadbBinlog(path: string, extraArgs: string[] = []): string {
  try {
    return execFileSync('mariadb-binlog', ['--no-defaults', '--base64-output=never', '-v', ...extraArgs, path], {
      env: { ...process.env, TZ: 'UTC' },
      maxBuffer: 512 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8');
  } catch (error) {
    // It exits non-zero after printing what it could read (e.g. MySQL 8 compressed payloads); keep both streams.
    const failed = error as { stdout?: Buffer; stderr?: Buffer };
    if (failed.stdout === undefined) throw error;
    return `${failed.stdout.toString('utf8')}\n${failed.stderr?.toString('utf8') ?? ''}`;
  }
}

const HEADER = /^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2}) server id (\d+)\s+end_log_pos (\d+)(?: CRC32 0x[0-9a-f]+)?\s*(.*)$/;

export function parseMariadbBinlogOutput(text: string): ToolOutput {
  const positions: number[] = [];
  const headers: Omit<ToolEvent, 'position'>[] = [];
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    const at = /^# at (\d+)$/.exec(line);
    if (at) {
      positions.push(Number(at[1]));
      continue;
    }
    if (line.startsWith('ERROR:')) errors.push(line);
    const ignorable = /^# (Ignorable event type \d+.*)$/.exec(line);
    const last = headers[headers.length - 1];
    if (ignorable && last?.description === 'Ignorable') {
      last.description = ignorable[1]!; // the header line says `Ignorable`, the next one which type
      continue;
    }
    const match = HEADER.exec(line);
    if (!match) continue;
    const [yy, mm, dd, hh, mi, ss, serverId, end] = match.slice(1, 9).map(Number) as number[];
    const description = match[9]!.trim();
    const event: Omit<ToolEvent, 'position'> = {
      endPosition: end!,
      time: Date.UTC(2000 + yy!, mm! - 1, dd!, hh!, mi!, ss!) / 1000,
      serverId: serverId!,
      description,
    };
    const gtid = /^GTID (\d+-\d+-\d+)\s*(.*)$/.exec(description);
    if (gtid) {
      event.gtid = gtid[1]!;
      event.gtidKind = gtid[2]!.split(/\s+/)[0] ?? '';
    }
    headers.push(event);
  }
  const events = headers.slice(0, positions.length).map((header, i) => ({ position: positions[i]!, ...header }));
  return { events, inUseWarning: text.includes('binlog is either in use or was not closed properly'), errors, text };
}

export function mariadbBinlog(path: string, extraArgs: string[] = []): ToolOutput {
  return parseMariadbBinlogOutput(runMariadbBinlog(path, extraArgs));
}

/**
 * Transactions as the tool's output delimits them (MariaDB files): each GTID event starts a group that
 * runs until the event before the next GTID or the next event outside any group (rotate, stop, checkpoint,
 * GTID list); the group ends where its last event ends.
 */
export function toolTransactions(events: ToolEvent[]): { gtid: string; startPosition: number; endPosition: number; commitTime: number }[] {
  const outside = /^(Rotate to|Stop|Binlog checkpoint|Gtid list|Start: binlog)/;
  const groups: { gtid: string; startPosition: number; endPosition: number; commitTime: number }[] = [];
  let open: (typeof groups)[number] | undefined;
  for (const event of events) {
    if (event.gtid) {
      if (open) groups.push(open);
      open = { gtid: event.gtid, startPosition: event.position, endPosition: event.endPosition, commitTime: event.time };
    } else if (outside.test(event.description)) {
      if (open) groups.push(open);
      open = undefined;
    } else if (open) {
      open.endPosition = event.endPosition;
      open.commitTime = event.time;
    }
  }
  if (open) groups.push(open);
  return groups;
}
