import { cp, mkdir, rm, open } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { SnaplogError, UsageError } from '../../../errors.js';
import { startPrivateServer } from '../private-server.js';

export interface TableName {
  database: string;
  table: string;
}

export function parseTableList(text: string): TableName[] {
  const tables = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^([A-Za-z0-9_$]+)\.([A-Za-z0-9_$]+)$/.exec(item);
      if (!match) throw new UsageError(`--tables: ${JSON.stringify(item)} is not DB.TABLE`, 'e.g. --tables shop.orders,shop.customers');
      return { database: match[1]!, table: match[2]! };
    });
  if (tables.length === 0) throw new UsageError('--tables needs at least one DB.TABLE');
  return tables;
}

/** A scratch copy of the restored data directory (reflinked where the file system can): the original stays as it was. */
export async function copyDatadir(source: string, scratch: string): Promise<void> {
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  try {
    await execa('cp', ['-a', '--reflink=auto', `${source}/.`, scratch]);
  } catch {
    await cp(source, scratch, { recursive: true, preserveTimestamps: true });
  }
}

/** Dumps the tables from a (replayed) data directory through a private server, networking off. */
export async function exportTables(datadir: string, runDir: string, tables: TableName[], exportFile: string): Promise<void> {
  const server = await startPrivateServer({ runDir, datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=4000000001'] });
  try {
    const byDatabase = new Map<string, string[]>();
    for (const { database, table } of tables) byDatabase.set(database, [...(byDatabase.get(database) ?? []), table]);
    const out = await open(exportFile, 'w', 0o600);
    try {
      for (const [database, names] of byDatabase) {
        const dump = await execa('mariadb-dump', [`--socket=${server.socket}`, '--user=root', '--single-transaction', '--skip-dump-date', database, ...names], {
          reject: false,
          encoding: 'buffer',
        });
        if (dump.exitCode !== 0)
          throw new SnaplogError(`mariadb-dump of ${database}.${names.join(',')} failed: ${Buffer.from(dump.stderr).toString().trim()}`, {
            hint: 'check the table names with SHOW TABLES on the restored data',
          });
        await out.write(
          Buffer.from(
            `-- snaplog partial restore: ${database}.${names.join(`, ${database}.`)}\nCREATE DATABASE IF NOT EXISTS \`${database}\`;\nUSE \`${database}\`;\n`,
          ),
        );
        await out.write(Buffer.from(dump.stdout));
      }
      await out.sync();
    } finally {
      await out.close();
    }
  } finally {
    await server.stop();
  }
}

export function scratchPaths(stagingDir: string): { datadir: string; runDir: string } {
  return { datadir: join(stagingDir, 'scratch-datadir'), runDir: join(stagingDir, 'scratch-run') };
}
