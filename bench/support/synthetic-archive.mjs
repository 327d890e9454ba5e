// Synthetic archives for bench/plan.bench.mjs: log metadata files in snaplog's format (as push.ts writes
// them: pretty JSON + newline), empty placeholder data files (so a directory listing looks like a real
// archive's: data + .json per log), snapshot records, and a real boundary binlog built with BinlogBuilder.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpoint, importDist } from './common.mjs';

export const iso = (seconds) => new Date(seconds * 1000).toISOString();
export const logName = (sequence) => `mysql-bin.${String(sequence).padStart(6, '0')}`;

/**
 * Metadata of one shipped binlog whose commits span [from, to] (unix seconds), as the MariaDB engine
 * records it (fields of factsFromScan), with GTIDs `0-1-<firstSeq>` … `0-1-<lastSeq>`.
 */
export function syntheticLogMetadata({ sequence, size, from, to, firstSeq, transactions }) {
  const name = logName(sequence);
  return {
    formatVersion: 1,
    name,
    engine: 'mariadb',
    sequence,
    size,
    sha256: randomBytes(32).toString('hex'),
    headSha256: randomBytes(32).toString('hex'),
    compression: 'none',
    storedName: name,
    storedSize: size,
    firstEventTime: iso(from),
    lastEventTime: iso(to),
    firstCommitTime: iso(from),
    lastCommitTime: iso(to),
    startPosition: 256,
    endPosition: size,
    lastCompleteTransactionEnd: size - 44,
    transactionCount: transactions,
    firstTransaction: `0-1-${firstSeq}`,
    lastTransaction: `0-1-${firstSeq + transactions - 1}`,
    previousTransactions: `0-1-${firstSeq - 1}`,
    serverId: 1,
    serverVersion: '10.11.19-MariaDB-log',
    cleanClose: true,
    nextLog: logName(sequence + 1),
    details: { checksum: 'crc32', gtidFlavor: 'mariadb', stopped: false, eventCount: transactions * 6 + 4, incompleteTail: false, problems: [] },
    shippedAt: iso(to + 30),
    shippedBy: 'db-bench-01',
  };
}

export function snapshotRecord({ id, systemId, time, file, position, gtid }) {
  return {
    formatVersion: 1,
    id,
    systemId,
    engine: 'mariadb',
    time: iso(time),
    status: 'thawed',
    position: { file, position, gtid },
    frozenAt: iso(time),
    thawedAt: iso(time + 4),
    frozenMs: 3900,
    product: 'azure',
    host: 'db-bench-01',
    serverVersion: '10.11.19-MariaDB-log',
    method: 'backup-stage',
  };
}

/** Writes the metadata of every log (+ an empty placeholder data file unless `placeholders` is false), in parallel batches. */
export async function writeLogs(archivePath, systemId, metadata, { placeholders = true } = {}) {
  const dir = join(archivePath, systemId, 'logs');
  await mkdir(dir, { recursive: true });
  const batch = 256;
  for (let i = 0; i < metadata.length; i += batch) {
    checkpoint();
    await Promise.all(
      metadata
        .slice(i, i + batch)
        .flatMap((meta) => [
          writeFile(join(dir, `${meta.name}.json`), `${JSON.stringify(meta, null, 2)}\n`),
          ...(placeholders ? [writeFile(join(dir, meta.storedName), '')] : []),
        ]),
    );
  }
  return dir;
}

export async function writeSnapshots(archivePath, systemId, records) {
  const dir = join(archivePath, systemId, 'snapshots');
  await mkdir(dir, { recursive: true });
  await Promise.all(records.map((record) => writeFile(join(dir, `${record.id}.json`), `${JSON.stringify(record, null, 2)}\n`)));
  return dir;
}

/**
 * Builds a real MariaDB binlog (FDE, GTID list, checkpoint, ROW transactions, ROTATE) of about
 * `targetBytes` at `path`: small OLTP-like transactions (GTID, then annotate + table map + rows for each
 * of 1–3 statements, XID) whose commit times rise evenly from `from` to `to`. Returns { size, transactions, sha256, headSha256 }.
 */
export async function buildBoundaryBinlog({ path, name, nextName, targetBytes, from, to, firstSeq }) {
  const { BinlogBuilder, EventType } = await importDist('engines/mysql/binlog/index.js');
  const builder = new BinlogBuilder({ time: from });
  builder.gtidList([{ domainId: 0, serverId: 1, sequence: firstSeq - 1 }]);
  builder.checkpoint(name);
  const estimate = Math.max(1, Math.floor(targetBytes / 890));
  const span = Math.max(1, to - from);
  const fd = openSync(path, 'w');
  const whole = createHash('sha256');
  const head = createHash('sha256');
  let headBytes = 0;
  let written = 0;
  const flush = () => {
    checkpoint();
    const chunk = Buffer.concat(builder.drain());
    whole.update(chunk);
    if (headBytes < 4096) {
      const part = chunk.subarray(0, 4096 - headBytes);
      head.update(part);
      headBytes += part.length;
    }
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    written += chunk.length;
  };
  // The event mix of bench/replay.bench.mjs's OLTP set as MariaDB 10.11 writes it (measured: ~890 bytes
  // and ~9.6 events a transaction; annotate ~158 bytes, table map ~60, row events ~105): new order
  // (3 statements) 45 %, payment (2) 35 %, single-statement update/delete 20 %.
  const annotate = (text) => Buffer.from(text.padEnd(135, ' '));
  const statements = [
    {
      text: annotate("INSERT INTO shop.orders (account_id, amount, status, created, note) VALUES (4711, 99.50, 'new', NOW(6), 'bravo kilo lima mike 17')"),
      id: 101,
      table: 'orders',
      type: EventType.WRITE_ROWS_V1,
      body: 88,
    },
    {
      text: annotate(
        'INSERT INTO shop.order_items (order_id, line, sku, qty, price) VALUES (LAST_INSERT_ID(), 1, 4242, 2, 19.90), (LAST_INSERT_ID(), 2, 77, 1, 5.00)',
      ),
      id: 102,
      table: 'order_items',
      type: EventType.WRITE_ROWS_V1,
      body: 96,
    },
    {
      text: annotate('UPDATE shop.accounts SET balance = balance - 99.50, updated = NOW(6) WHERE id = 4711'),
      id: 103,
      table: 'accounts',
      type: EventType.UPDATE_ROWS_V1,
      body: 80,
    },
    {
      text: annotate("INSERT INTO shop.events (account_id, kind, at, detail) VALUES (4711, 'payment', NOW(6), 'alpha bravo charlie')"),
      id: 104,
      table: 'events',
      type: EventType.WRITE_ROWS_V1,
      body: 84,
    },
  ];
  const shapes = [[0, 1, 2], [2, 3], [2]];
  let transactions = 0;
  try {
    for (; builder.position < targetBytes; transactions++) {
      builder.time = from + Math.min(span, Math.floor((transactions * span) / estimate));
      builder.mariadbGtid(firstSeq + transactions);
      const roll = (transactions * 37) % 100;
      for (const index of shapes[roll < 45 ? 0 : roll < 80 ? 1 : 2]) {
        const statement = statements[index];
        builder.event(EventType.ANNOTATE_ROWS, statement.text);
        builder.tableMap(statement.id, 'shop', statement.table);
        builder.rows(statement.id, statement.body, statement.type);
      }
      builder.xid(1_000_000 + transactions);
      if ((transactions & 4095) === 0) flush();
    }
    builder.time = Math.max(builder.time, to);
    builder.rotate(nextName);
    flush();
  } finally {
    closeSync(fd);
  }
  return { size: written, transactions, sha256: whole.digest('hex'), headSha256: head.digest('hex') };
}
