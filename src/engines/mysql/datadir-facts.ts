import { lstat, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readInnodbBinlogPosition } from './innodb-binlog-position.js';
import type { InnodbBinlogPosition } from './innodb-binlog-position.js';
import { readSnapshotMarker } from './snapshot-marker.js';
import type { SnapshotMarker } from './snapshot-marker.js';
import { parseBinlogIndex } from './binlog-index.js';
import { readOwnFile } from './own-files.js';

/** What a (restored, untrusted) data directory says about itself, read without changing it. */
export interface DatadirFacts {
  datadir: string;
  owner: { uid: number; gid: number };
  /** mysql_upgrade_info: the server version that last ran on it. */
  version?: string;
  /** MySQL 8's data dictionary (mysql.ibd): MariaDB cannot open it. */
  mysql8Dictionary: boolean;
  marker?: SnapshotMarker;
  markerProblem?: string;
  /** The newest binlog listed by a binlog index in or beside the data directory, and its size. */
  newestBinlog?: { name: string; size: number; index: string };
  innodb?: InnodbBinlogPosition;
}

/** Binlog index files in the data directory or in a folder beside it (a binlog folder on the same disk). */
async function binlogIndexes(datadir: string): Promise<string[]> {
  const isBinlogIndex = (name: string): boolean => name.endsWith('.index') && !/relay/i.test(name);
  const found: string[] = [];
  for (const entry of await readdir(datadir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isFile() && isBinlogIndex(entry.name)) found.push(join(datadir, entry.name));
  }
  if (found.length) return found;
  const parent = dirname(datadir);
  for (const sibling of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
    if (!sibling.isDirectory() || join(parent, sibling.name) === datadir) continue;
    for (const entry of await readdir(join(parent, sibling.name), { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile() && isBinlogIndex(entry.name)) found.push(join(parent, sibling.name, entry.name));
    }
  }
  return found;
}

/** The last binlog an index lists, looked up in the index's own folder (an absolute path names the live server's folder). */
async function newestListed(index: string): Promise<{ name: string; size: number; index: string } | undefined> {
  const text = await readOwnFile(index, 16 << 20).catch(() => undefined);
  if (!text) return undefined;
  // Taken as names in the index's own folder: an absolute path names the live server's folder, not this disk's.
  const entries = parseBinlogIndex(text, index, dirname(index));
  const name = entries.length ? entries[entries.length - 1]!.name : undefined;
  if (!name || !/^[A-Za-z0-9._-]+\.\d+$/.test(name)) return undefined;
  const info = await lstat(join(dirname(index), name)).catch(() => undefined);
  return info?.isFile() ? { name, size: info.size, index } : undefined;
}

export async function readDatadirFacts(datadir: string): Promise<DatadirFacts> {
  const info = await stat(datadir);
  const entries = new Set(await readdir(datadir).catch(() => [] as string[]));
  const version = (await readOwnFile(join(datadir, 'mysql_upgrade_info'), 4096).catch(() => undefined))?.replace(/\0/g, '').trim() || undefined;
  const marker = await readSnapshotMarker(datadir);
  const candidates = (await Promise.all((await binlogIndexes(datadir)).map(newestListed))).filter((found) => found !== undefined);
  // Several binlog indexes beside the data directory: which one is this server's is not known.
  const newest = candidates.length > 1 ? undefined : candidates[0];
  const innodb = entries.has('ibdata1') ? await readInnodbBinlogPosition(join(datadir, 'ibdata1')).catch(() => undefined) : undefined;
  return {
    datadir,
    owner: { uid: info.uid, gid: info.gid },
    ...(version ? { version } : {}),
    mysql8Dictionary: entries.has('mysql.ibd'),
    ...(marker && 'problem' in marker ? { markerProblem: marker.problem } : marker ? { marker } : {}),
    ...(newest ? { newestBinlog: newest } : {}),
    ...(innodb ? { innodb } : {}),
  };
}
