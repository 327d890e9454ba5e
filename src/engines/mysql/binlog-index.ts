import { basename, dirname, isAbsolute, normalize, resolve } from 'node:path';

/** One line of the binlog index, resolved: a path inside the binlog folder, or the reason it is refused. */
export interface BinlogIndexEntry {
  /** The line as the index has it. */
  entry: string;
  name: string;
  path: string;
  refused?: string;
}

/** A binlog file name: letters, digits, '.', '_', '-', ending in its number (mysql-bin.000042). */
const BINLOG_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*\.\d+$/;

/**
 * Parses a binlog index file (`./mysql-bin.000001` or absolute paths, one per line). Pure. The index is
 * written by the server's user: an entry is accepted only when it names a file directly inside
 * `binlogDir` (no `..`, no other folder); relative entries are relative to the index's folder.
 */
export function parseBinlogIndex(text: string, indexPath: string, binlogDir: string): BinlogIndexEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => resolveIndexEntry(line, dirname(indexPath), binlogDir));
}

/** Pure: where an index line points, and whether it stays inside the binlog folder. */
export function resolveIndexEntry(entry: string, indexDir: string, binlogDir: string): BinlogIndexEntry {
  const path = isAbsolute(entry) ? normalize(entry) : resolve(indexDir, entry);
  const name = basename(path);
  const refuse = (reason: string): BinlogIndexEntry => ({ entry, name, path, refused: `the binlog index lists ${JSON.stringify(entry)}, ${reason}` });
  if (entry.split('/').includes('..')) return refuse("which climbs out of its folder with '..'");
  if (entry.includes('\0')) return refuse('which holds a NUL byte');
  if (dirname(path) !== resolve(binlogDir)) return refuse(`which is not a file directly in the binlog folder ${resolve(binlogDir)}`);
  if (!BINLOG_NAME.test(name)) return refuse('which is not a binlog name (NAME.NUMBER)');
  return { entry, name, path };
}

/** The number a binlog name ends with: mysql-bin.000042 → 42. */
export function binlogSequence(name: string): number {
  const match = /\.(\d+)$/.exec(name);
  return match ? Number(match[1]) : Number.NaN;
}

export function binlogName(path: string): string {
  return basename(path);
}
