import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import {
  BinlogBuilder,
  BinlogFormatError,
  BinlogScanner,
  EventType,
  isBinlogMagic,
  readBinlogEvents,
  scanBinlogBuffer,
  scanBinlogStream,
} from '../../src/engines/mysql/binlog/index.js';
import type { BinlogEvent, BinlogScan } from '../../src/engines/mysql/binlog/index.js';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

function scanInChunks(buffer: Buffer, sizes: number | number[]): BinlogScan {
  const scanner = new BinlogScanner();
  const list = Array.isArray(sizes) ? sizes : [sizes];
  for (let at = 0, i = 0; at < buffer.length; i++) {
    const size = list[i % list.length]!;
    scanner.push(buffer.subarray(at, at + size));
    at += size;
  }
  return scanner.finish();
}

/** Deterministic pseudo-random chunk sizes, 1 byte to 300 KiB. */
function randomSizes(seed: number, count: number): number[] {
  let state = seed;
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const kind = state % 4;
    sizes.push(kind === 0 ? 1 + (state % 19) : kind === 1 ? 1 + (state % 4096) : kind === 2 ? 1 + (state % 70_000) : 1 + (state % 300_000));
  }
  return sizes;
}

async function collect(source: string | AsyncIterable<Buffer>, options?: Parameters<typeof readBinlogEvents>[1]): Promise<BinlogEvent[]> {
  const events: BinlogEvent[] = [];
  for await (const event of readBinlogEvents(source, options)) events.push(event);
  return events;
}

function chunked(buffer: Buffer, size: number): AsyncIterable<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) parts.push(buffer.subarray(at, at + size));
  return Readable.from(parts);
}

/** A MariaDB binlog with every kind of group: DDL, transactions, non-transactional, a 300 KB row event, XA. */
function mariadbFile(options: { inUse?: boolean; rotate?: boolean } = {}) {
  const b = new BinlogBuilder({ flavor: 'mariadb', serverId: 7, inUse: options.inUse ?? false, time: 1_700_000_000 });
  b.gtidList([
    { domainId: 0, serverId: 7, sequence: 41 },
    { domainId: 1, serverId: 2, sequence: 5 },
  ]);
  b.checkpoint('mysql-bin.000001');
  const tx: { start: number; end: number; gtid: string; time: number }[] = [];
  const group = (gtid: string, time: number, write: () => void) => {
    b.time = time;
    const start = b.position;
    write();
    tx.push({ start, end: b.position, gtid, time });
  };
  group('0-7-42', 1_700_000_001, () => {
    b.mariadbGtid(42, { standalone: true });
    b.query('CREATE TABLE t (id INT PRIMARY KEY)', { db: 'shop' });
  });
  group('0-7-43', 1_700_000_002, () => {
    b.mariadbGtid(43, { commitId: 99n });
    b.event(EventType.ANNOTATE_ROWS, Buffer.from('INSERT INTO t VALUES (1)'));
    b.tableMap(18, 'shop', 't');
    b.rows(18, 300_000, EventType.WRITE_ROWS_V1, false);
    b.rows(18, 120, EventType.WRITE_ROWS_V1, true);
    b.xid(1234);
  });
  group('0-7-44', 1_700_000_003, () => {
    b.mariadbGtid(44, { flags: 0 }); // non-transactional (MyISAM): ends with a COMMIT query
    b.tableMap(19, 'shop', 'log');
    b.rows(19, 40);
    b.query('COMMIT');
  });
  group('1-2-6', 1_700_000_004, () => {
    b.mariadbGtid(6, { domainId: 1, serverId: 2 }); // a replicated group: another domain and server
    b.query('INSERT INTO t VALUES (2)', { db: 'shop' });
    b.query('ROLLBACK TO SAVEPOINT a');
    b.xid(1235);
  });
  if (options.rotate ?? true) {
    b.time = 1_700_000_005;
    b.rotate('mysql-bin.000002');
  }
  return { builder: b, bytes: b.toBuffer(), tx };
}

describe('BinlogScanner on synthetic binlogs', () => {
  it('indexes MariaDB groups: standalone DDL, XID, COMMIT query, other domains, savepoint rollbacks inside', () => {
    const { bytes, tx } = mariadbFile();
    const scan = scanBinlogBuffer(bytes);
    expect(scan.problems).toEqual([]);
    expect(scan.transactions).toEqual(tx.map((t) => ({ startPosition: t.start, endPosition: t.end, commitTime: t.time, gtid: t.gtid })));
    expect(scan).toMatchObject({
      size: bytes.length,
      serverId: 7,
      serverVersion: '10.11.19-MariaDB-log',
      binlogVersion: 4,
      checksum: 'crc32',
      inUseFlag: false,
      gtidFlavor: 'mariadb',
      previousGtids: '0-7-41,1-2-5',
      firstGtid: '0-7-42',
      lastGtid: '1-2-6',
      gtidRanges: { '0': { first: 42, last: 44, count: 3, server: 7 }, '1': { first: 6, last: 6, count: 1, server: 2 } },
      rotateTo: { file: 'mysql-bin.000002', position: 4 },
      stopped: false,
      startPosition: tx[0]!.start,
      endPosition: bytes.length,
      lastCompleteTransactionEnd: bytes.length,
      incompleteTail: false,
      firstEventTime: 1_700_000_000,
      lastEventTime: 1_700_000_005,
      firstCommitTime: 1_700_000_001,
      lastCommitTime: 1_700_000_004,
      transactionCount: 4,
      eventCount: 20,
    });
  });

  it('gives the same result whatever the chunk size: 1, 7, 4096 bytes, and random sizes', () => {
    const { bytes } = mariadbFile();
    const whole = scanBinlogBuffer(bytes);
    for (const size of [1, 7, 19, 4096, 65536]) expect(scanInChunks(bytes, size)).toEqual(whole);
    for (const seed of [1, 2, 3, 4, 5]) expect(scanInChunks(bytes, randomSizes(seed, 1000))).toEqual(whole);
  });

  it('a transaction index of a MySQL file: GTID + BEGIN … XID, GTID + DDL, XA PREPARE, XA COMMIT, PREVIOUS_GTIDS', () => {
    const b = new BinlogBuilder({ flavor: 'mysql', serverId: 3 });
    b.previousGtids({
      [UUID]: [
        [1, 10],
        [12, 12],
      ],
    });
    const t1 = b.mysqlGtid(UUID, 13);
    b.query('BEGIN');
    b.tableMap(70, 'a', 'b');
    b.rows(70, 50, EventType.WRITE_ROWS_V2);
    const e1 = b.xid(9) && b.position;
    const t2 = b.mysqlGtid(UUID, 14);
    b.query('create table b(id int)', { db: 'a' });
    const e2 = b.position;
    const t3 = b.mysqlGtid(UUID, 15);
    b.query("XA START X'7831',X'',1");
    b.rows(70, 50, EventType.WRITE_ROWS_V2);
    b.query("XA END X'7831',X'',1");
    b.event(EventType.XA_PREPARE, Buffer.alloc(14));
    const e3 = b.position;
    const t4 = b.mysqlGtid(UUID, 16);
    b.query("XA COMMIT X'7831',X'',1");
    const e4 = b.position;
    const t5 = b.mysqlGtid(UUID, 17, true); // anonymous: no GTID, still a transaction
    b.query('BEGIN');
    b.query('COMMIT');
    const e5 = b.position;
    const t6 = b.mysqlGtid(UUID, 18);
    b.event(EventType.TRANSACTION_PAYLOAD, Buffer.from([2, 1, 0, 3, 1, 20, 1, 1, 9, 0, ...Buffer.alloc(9)]));
    const e6 = b.position;
    const scan = scanBinlogBuffer(b.toBuffer());
    expect(scan.problems).toEqual([]);
    expect(scan.gtidFlavor).toBe('mysql');
    expect(scan.previousGtids).toBe(`${UUID}:1-10:12`);
    expect(scan.transactions.map((t) => [t.startPosition, t.endPosition, t.gtid])).toEqual([
      [t1, e1, `${UUID}:13`],
      [t2, e2, `${UUID}:14`],
      [t3, e3, `${UUID}:15`],
      [t4, e4, `${UUID}:16`],
      [t5, e5, undefined],
      [t6, e6, `${UUID}:18`],
    ]);
    // 17 was anonymous: the range says 13..18 but counts 5, so the planner does not take it for contiguous.
    expect(scan.gtidRanges).toEqual({ [UUID]: { first: 13, last: 18, count: 5 } });
  });

  it('binlogs without GTIDs (MySQL 5.5): BEGIN … COMMIT, and a statement alone is its own transaction, with its INTVAR', () => {
    const b = new BinlogBuilder({ flavor: 'mysql', serverVersion: '5.5.27-log', checksum: false, inUse: true });
    const ddl = b.query('CREATE TABLE t (id INT)', { db: 'd' });
    const ddlEnd = b.position;
    const begin = b.query('BEGIN');
    b.query('INSERT INTO t VALUES (1)', { db: 'd' });
    b.xid(7);
    const beginEnd = b.position;
    const intvar = b.event(EventType.INTVAR, Buffer.from([2, 1, 0, 0, 0, 0, 0, 0, 0]));
    b.query('INSERT INTO t VALUES (NULL)', { db: 'd' });
    const intvarEnd = b.position;
    b.stop();
    const scan = scanBinlogBuffer(b.toBuffer());
    expect(scan.problems).toEqual([]);
    expect(scan).toMatchObject({ checksum: 'none', serverVersion: '5.5.27-log', inUseFlag: true, stopped: true, startPosition: ddl });
    expect(scan.gtidFlavor).toBeUndefined();
    expect(scan.transactions.map((t) => [t.startPosition, t.endPosition])).toEqual([
      [ddl, ddlEnd],
      [begin, beginEnd],
      [intvar, intvarEnd],
    ]);
  });

  it('keepTransactions: false counts transactions without keeping them', () => {
    const { bytes } = mariadbFile();
    const scanner = new BinlogScanner({ keepTransactions: false });
    scanner.push(bytes);
    const scan = scanner.finish();
    expect(scan.transactions).toEqual([]);
    expect(scan.transactionCount).toBe(4);
    expect(scan.lastGtid).toBe('1-2-6');
  });

  it('scans a stream of chunks (e.g. a gunzip stream)', async () => {
    const { bytes } = mariadbFile();
    expect(await scanBinlogStream(chunked(bytes, 1000))).toEqual(scanBinlogBuffer(bytes));
  });
});

describe('BinlogScanner on damaged and incomplete binlogs', () => {
  it('a flipped byte anywhere is a CRC32 mismatch at the event that holds it, whatever the chunking', () => {
    const { bytes, tx } = mariadbFile();
    const bigRowsAt = tx[1]!.start + 200_000; // inside the 300 KB row event, which streams through chunks
    for (const at of [10, 300, tx[0]!.start + 25, bigRowsAt, bytes.length - 2]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x04;
      const whole = scanBinlogBuffer(damaged);
      expect(whole.problems).toHaveLength(1);
      const problem = whole.problems[0]!;
      expect(problem.problem).toMatch(/^CRC32 mismatch in event type \d+ \(\w+\) at \d+$/);
      expect(problem.position).toBeLessThanOrEqual(at);
      expect(whole.endPosition).toBe(problem.position);
      expect(whole.incompleteTail).toBe(false);
      for (const size of [7, 4096]) expect(scanInChunks(damaged, size)).toEqual(whole);
    }
  });

  it('a file cut at any byte never throws: the whole part is indexed, the rest is an incomplete tail, not a problem', () => {
    const { bytes, tx } = mariadbFile({ rotate: false });
    const whole = scanBinlogBuffer(bytes);
    const step = 97;
    for (let cut = 4; cut < bytes.length; cut += cut < 2000 ? 1 : step) {
      const scan = scanBinlogBuffer(bytes.subarray(0, cut));
      expect(scan.problems).toEqual([]);
      expect(scan.endPosition).toBeLessThanOrEqual(cut);
      const done = tx.filter((t) => t.end <= cut);
      expect(scan.transactions).toEqual(whole.transactions.slice(0, done.length));
      const open = tx.find((t) => t.start < cut && t.end > cut);
      if (open) {
        expect(scan.incompleteTail).toBe(true);
        expect(scan.lastCompleteTransactionEnd).toBe(Math.min(open.start, scan.endPosition));
        expect(scan.lastCompleteTransactionEnd).toBeLessThan(cut);
      } else if (scan.endPosition === cut) {
        expect(scan.incompleteTail).toBe(false);
        expect(scan.lastCompleteTransactionEnd).toBe(cut);
      } else {
        expect(scan.incompleteTail).toBe(true);
      }
    }
  });

  it('the end of a crashed file inside a transaction: lastCompleteTransactionEnd < endPosition', () => {
    const b = new BinlogBuilder({ inUse: true });
    b.mariadbGtid(1);
    b.tableMap(1, 'd', 't');
    b.rows(1, 100);
    const end1 = b.xid(1) && b.position;
    b.mariadbGtid(2);
    b.tableMap(1, 'd', 't');
    b.rows(1, 100);
    const scan = scanBinlogBuffer(b.toBuffer());
    expect(scan).toMatchObject({
      inUseFlag: true,
      incompleteTail: true,
      lastCompleteTransactionEnd: end1,
      endPosition: b.position,
      transactionCount: 1,
      problems: [],
    });
  });

  it('not a binlog, empty, bad header sizes and positions are problems, never exceptions', () => {
    expect(scanBinlogBuffer(Buffer.from('hello world, not a binlog')).problems).toEqual([{ position: 0, problem: 'not a binlog file (bad magic number)' }]);
    expect(scanBinlogBuffer(Buffer.alloc(0)).problems).toEqual([{ position: 0, problem: 'empty file' }]);
    expect(scanBinlogBuffer(Buffer.from([0xfe, 0x62])).incompleteTail).toBe(true);
    expect(isBinlogMagic(Buffer.from([0xfe, 0x62, 0x69, 0x6e, 1]))).toBe(true);

    const b = new BinlogBuilder();
    const at = b.position;
    const good = b.toBuffer();
    const tooSmall = Buffer.alloc(19);
    tooSmall.writeUInt32LE(10, 9);
    const scan = scanBinlogBuffer(Buffer.concat([good, tooSmall, Buffer.alloc(100)]));
    expect(scan.problems).toEqual([{ position: at, problem: `invalid event header at ${at}: event size 10 is below the 23-byte minimum` }]);
    expect(scan.endPosition).toBe(at);

    const wrongEnd = new BinlogBuilder();
    wrongEnd.xid(1);
    const bytes = wrongEnd.toBuffer();
    bytes.writeUInt32LE(999_999, at + 13);
    expect(scanBinlogBuffer(bytes).problems[0]?.problem).toMatch(/says the event ends at 999999/);

    const xidFirst = Buffer.alloc(4 + 27);
    Buffer.from([0xfe, 0x62, 0x69, 0x6e]).copy(xidFirst, 0);
    xidFirst[8] = EventType.XID;
    xidFirst.writeUInt32LE(27, 13);
    xidFirst.writeUInt32LE(31, 17);
    expect(scanBinlogBuffer(xidFirst).problems).toEqual([
      { position: 4, problem: 'the first event at 4 is event type 16 (XID), not a format description event' },
    ]);
  });

  it('an encrypted MariaDB binlog is reported as such', () => {
    const b = new BinlogBuilder();
    b.gtidList([]);
    const at = b.event(EventType.START_ENCRYPTION, Buffer.alloc(17));
    b.raw(Buffer.alloc(200, 0xa5));
    const scan = scanBinlogBuffer(b.toBuffer());
    expect(scan.encrypted).toBe(true);
    expect(scan.problems).toEqual([expect.objectContaining({ position: at, problem: expect.stringMatching(/^encrypted binlog/) })]);
  });

  it('a second transaction starting before the first committed is flagged', () => {
    const b = new BinlogBuilder();
    const first = b.mariadbGtid(1);
    b.rows(1, 10);
    b.mariadbGtid(2);
    b.xid(2);
    const scan = scanBinlogBuffer(b.toBuffer());
    expect(scan.transactions.map((t) => t.gtid)).toEqual(['0-1-2']);
    expect(scan.problems).toEqual([{ position: first, problem: expect.stringMatching(/no commit event before the next one/) }]);
  });
});

describe('readBinlogEvents', () => {
  it('decodes statements, tables, GTIDs (also on the events inside a transaction), XIDs and the rotate target', async () => {
    const { bytes, tx } = mariadbFile();
    const events = await collect(chunked(bytes, 4096));
    expect(events).toHaveLength(scanBinlogBuffer(bytes).eventCount);
    for (let i = 1; i < events.length; i++) expect(events[i]!.position).toBe(events[i - 1]!.endPosition);
    expect(events[0]).toMatchObject({
      typeName: 'FORMAT_DESCRIPTION',
      serverVersion: '10.11.19-MariaDB-log',
      checksum: 'crc32',
      position: 4,
      checksumOk: true,
    });
    expect(events.find((e) => e.typeName === 'GTID_LIST')?.gtidList).toBe('0-7-41,1-2-5');
    expect(events.find((e) => e.typeName === 'BINLOG_CHECKPOINT')?.checkpointFile).toBe('mysql-bin.000001');
    const ddl = events.find((e) => e.query?.startsWith('CREATE TABLE'))!;
    expect(ddl).toMatchObject({ db: 'shop', gtid: '0-7-42', transactionStart: tx[0]!.start, commits: true, threadId: 5 });
    expect(events.find((e) => e.typeName === 'ANNOTATE_ROWS')).toMatchObject({ query: 'INSERT INTO t VALUES (1)', gtid: '0-7-43' });
    expect(events.find((e) => e.typeName === 'TABLE_MAP')).toMatchObject({
      db: 'shop',
      table: 't',
      tableId: 18,
      gtid: '0-7-43',
      transactionStart: tx[1]!.start,
    });
    const rows = events.filter((e) => e.typeName === 'WRITE_ROWS_V1');
    expect(rows[0]).toMatchObject({ tableId: 18, rowsFlags: 0, eventSize: 19 + 300_000 + 4 });
    expect(events.find((e) => e.typeName === 'XID')).toMatchObject({ xid: '1234', commits: true, gtid: '0-7-43', endPosition: tx[1]!.end });
    expect(events.find((e) => e.typeName === 'MARIADB_GTID' && e.gtid === '1-2-6')).toMatchObject({ serverId: 2, standalone: false });
    expect(events.find((e) => e.query === 'ROLLBACK TO SAVEPOINT a')?.commits).toBeUndefined();
    expect(events[events.length - 1]).toMatchObject({ typeName: 'ROTATE', rotate: { file: 'mysql-bin.000002', position: 4 } });
    expect(events[events.length - 1]!.gtid).toBeUndefined();
  });

  it('the same events whatever the chunk size', async () => {
    const { bytes } = mariadbFile();
    const reference = await collect(chunked(bytes, bytes.length));
    for (const size of [1, 7, 4096]) expect(await collect(chunked(bytes, size))).toEqual(reference);
  });

  it('damage throws BinlogFormatError after the events before it, or goes to onProblem', async () => {
    const { bytes, tx } = mariadbFile();
    const damaged = Buffer.from(bytes);
    damaged[tx[2]!.start + 30]! ^= 1;
    const seen: BinlogEvent[] = [];
    await expect(async () => {
      for await (const event of readBinlogEvents(chunked(damaged, 999), { name: 'mysql-bin.000001' })) seen.push(event);
    }).rejects.toThrow(BinlogFormatError);
    expect(seen[seen.length - 1]!.endPosition).toBe(tx[2]!.start);
    const problems: unknown[] = [];
    const events = await collect(chunked(damaged, 999), { onProblem: (problem) => problems.push(problem) });
    expect(events).toHaveLength(seen.length);
    expect(problems).toEqual([{ position: tx[2]!.start, problem: expect.stringMatching(/CRC32 mismatch in event type 162/) }]);
  });

  it('an incomplete tail ends the iteration quietly', async () => {
    const { bytes, tx } = mariadbFile();
    const events = await collect(chunked(bytes.subarray(0, tx[1]!.start + 1000), 4096));
    expect(events[events.length - 1]!.typeName).toBe('TABLE_MAP');
  });
});
