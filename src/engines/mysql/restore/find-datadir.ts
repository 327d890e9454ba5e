import { lstat, readdir } from 'node:fs/promises';
import { readFileNoFollow } from '../../../safe-files.js';
import type { FoundDatadir } from '../../types.js';
import { basename, dirname, join } from 'node:path';

const MAX_DEPTH = 5;

async function isDatadir(dir: string): Promise<boolean> {
  const entries = new Set(await readdir(dir).catch(() => [] as string[]));
  return entries.has('mysql') && (entries.has('ibdata1') || entries.has('aria_log_control') || entries.has('mysql.ibd'));
}

/** Walks a mounted volume (breadth-first, a few levels) for MySQL/MariaDB data directories and binlog indexes. */
export async function findDatadirs(root: string): Promise<FoundDatadir[]> {
  const datadirs: string[] = [];
  const indexes: string[] = [];
  let level = [root];
  for (let depth = 0; depth <= MAX_DEPTH && level.length; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (await isDatadir(dir)) {
        datadirs.push(dir);
        continue;
      }
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'lost+found' && !entry.name.startsWith('.')) next.push(path);
        else if (entry.isFile() && entry.name.endsWith('.index')) indexes.push(path);
      }
    }
    level = next;
  }
  for (const datadir of datadirs)
    for (const entry of await readdir(datadir).catch(() => [] as string[]))
      if (entry.endsWith('-bin.index') || entry === 'mysql-bin.index') indexes.push(join(datadir, entry));
  return Promise.all(
    datadirs.map(async (datadir) => {
      const index = indexes.find((path) => dirname(path).startsWith(dirname(datadir))) ?? indexes[0];
      if (!index) return { datadir };
      // The disk may come from a compromised VM: the index is read without following a symlink, and
      // its entries are taken as names beside it, never as paths.
      const text = await readFileNoFollow(index).then(
        (bytes) => bytes.toString('utf8'),
        () => '',
      );
      const names = text.split('\n').filter(Boolean);
      const newest = names[names.length - 1];
      if (!newest) return { datadir, binlogIndex: index };
      const info = await lstat(join(dirname(index), basename(newest))).catch(() => undefined);
      const size = info?.isFile() ? info.size : 0;
      return { datadir, binlogIndex: index, newestBinlog: { name: basename(newest), size } };
    }),
  );
}
