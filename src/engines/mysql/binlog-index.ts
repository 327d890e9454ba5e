import { basename, isAbsolute, join, dirname } from 'node:path';

/** Parses a binlog index file (`./mysql-bin.000001` or absolute paths, one per line) into paths. Pure. */
export function parseBinlogIndex(text: string, indexPath: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => (isAbsolute(line) ? line : join(dirname(indexPath), line)));
}

/** The number a binlog name ends with: mysql-bin.000042 → 42. */
export function binlogSequence(name: string): number {
  const match = /\.(\d+)$/.exec(name);
  return match ? Number(match[1]) : Number.NaN;
}

export function binlogName(path: string): string {
  return basename(path);
}
