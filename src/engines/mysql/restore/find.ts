import type { EngineFind, FoundStatement as Found } from '../../types.js';
import { loadBinlogKey } from '../binlog-key.js';
import type { BinlogKey } from '../binlog/decrypt.js';
import type { Archive } from '../../../archive/archive.js';
import { readBinlogEvents } from '../binlog/index.js';

/** What `snaplog find` shows of a MySQL statement: the shared fields, and where the statement or rows event belongs. */
export interface FoundStatement extends Found {
  kind: 'query' | 'rows';
  db?: string;
  table?: string;
}

export interface FindRequest {
  archive: Archive;
  systemId: string;
  pattern: RegExp;
  since?: number;
  until?: number;
  limit?: number;
  /** The key of encrypted binlogs ([mysql] binlog_key_file). */
  key?: BinlogKey;
}

/**
 * Searches the archived binlogs for statements (QUERY events) and row changes (by their table's name)
 * matching a pattern; logs whose commit window lies outside --since/--until are not read.
 */
export async function findStatements(request: FindRequest): Promise<FoundStatement[]> {
  const found: FoundStatement[] = [];
  const logs = await request.archive.listLogMetadata(request.systemId);
  for (const log of logs) {
    const first = log.firstEventTime ? Date.parse(log.firstEventTime) / 1000 : undefined;
    const last = log.lastEventTime ? Date.parse(log.lastEventTime) / 1000 : undefined;
    if (request.since !== undefined && last !== undefined && last < request.since) continue;
    if (request.until !== undefined && first !== undefined && first > request.until) continue;
    let lastTable = '';
    for await (const event of readBinlogEvents(request.archive.openLog(request.systemId, log) as AsyncIterable<Buffer>, { key: request.key })) {
      if (request.since !== undefined && event.timestamp < request.since) continue;
      if (request.until !== undefined && event.timestamp > request.until) continue;
      const time = new Date(event.timestamp * 1000).toISOString();
      if (event.query !== undefined && request.pattern.test(event.query)) {
        found.push({ log: log.name, position: event.position, time, gtid: event.gtid, kind: 'query', db: event.db, text: event.query });
      } else if (event.table !== undefined) {
        const name = `${event.db}.${event.table}`;
        if (name !== lastTable && request.pattern.test(name))
          found.push({
            log: log.name,
            position: event.position,
            time,
            gtid: event.gtid,
            kind: 'rows',
            db: event.db,
            table: event.table,
            text: `row changes to ${name}`,
          });
        lastTable = name;
      }
      if (event.query !== undefined) lastTable = '';
      if (request.limit !== undefined && found.length >= request.limit) return found;
    }
  }
  return found;
}

/** `snaplog find` for MySQL/MariaDB: the archived binlogs, read with the key of encrypted ones. */
export const mysqlFind: EngineFind = {
  find: async ({ config, ...request }) => findStatements({ ...request, key: await loadBinlogKey(config) }),
};
