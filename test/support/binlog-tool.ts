import { execFileSync } from 'node:child_process';

/** Event timestamps (unix seconds) that the real mariadb-binlog prints for a file, in order. */
export function mariadbBinlogEventTimes(path: string): number[] {
  const text = execFileSync('mariadb-binlog', ['--base64-output=never', path], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20 }).toString('utf8');
  const times: number[] = [];
  for (const match of text.matchAll(/^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2}) server id/gm)) {
    const [, yy, mm, dd, hh, mi, ss] = match.map(Number) as number[];
    times.push(Date.UTC(2000 + yy!, mm! - 1, dd!, hh!, mi!, ss!) / 1000);
  }
  return times;
}

/** The `end_log_pos` of every event mariadb-binlog prints, in order. */
export function mariadbBinlogEndPositions(path: string): number[] {
  const text = execFileSync('mariadb-binlog', ['--base64-output=never', path], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20 }).toString('utf8');
  return [...text.matchAll(/end_log_pos (\d+)/g)].map((match) => Number(match[1]));
}
