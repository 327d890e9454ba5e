import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BinlogScanner, readBinlogEvents, scanBinlogBuffer, scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';
import type { BinlogEvent, BinlogScan } from '../../src/engines/mysql/binlog/index.js';
import { MariadbBinlogGenerator } from './generate-mariadb-binlogs.js';
import type { GeneratedBinlogs } from './generate-mariadb-binlogs.js';
import { mariadbBinlog, toolTransactions } from './mariadb-binlog-output.js';
import type { ToolEvent } from './mariadb-binlog-output.js';

/**
 * Binlogs written by a real MariaDB 10.11 (DDL, transactions, MyISAM, statement format, XA, a 1.8 MB
 * transaction, FLUSH BINARY LOGS, a clean shutdown, a kill -9), read by snaplog and by mariadb-binlog.
 */

async function eventsOf(path: string): Promise<BinlogEvent[]> {
  const events: BinlogEvent[] = [];
  for await (const event of readBinlogEvents(path)) events.push(event);
  return events;
}

function scanInChunks(buffer: Buffer, size: number): BinlogScan {
  const scanner = new BinlogScanner();
  for (let at = 0; at < buffer.length; at += size) scanner.push(buffer.subarray(at, at + size));
  return scanner.finish();
}

/** The event of the tool's listing that holds byte `offset`. */
function eventAt(events: ToolEvent[], offset: number): ToolEvent {
  return events.find((e) => e.position <= offset && offset < e.endPosition)!;
}

describe.skipIf(!MariadbBinlogGenerator.available())(
  'binlogs of a real MariaDB 10.11 (skipped when mariadbd, mariadb-install-db or mariadb-binlog is missing)',
  () => {
    const generator = new MariadbBinlogGenerator();
    let files: GeneratedBinlogs;

    beforeAll(async () => {
      files = await generator.generate();
    }, 120_000);

    afterAll(async () => {
      await generator.cleanup();
    });

    const closedFiles = () =>
      [
        ['rotated by FLUSH BINARY LOGS', files.rotated],
        ['closed by a clean shutdown', files.stopped],
        ['open at a kill -9', files.crashed],
        ['copied while open', files.openCopy],
      ] as const;

    it('every binlog: the same events, positions, GTIDs, transaction boundaries and times as mariadb-binlog', async () => {
      for (const [label, path] of closedFiles()) {
        const scan = await scanBinlogFile(path);
        const tool = mariadbBinlog(path);
        const ours = await eventsOf(path);
        expect(tool.errors, label).toEqual([]);
        expect(scan.problems, label).toEqual([]);
        expect(scan.incompleteTail, label).toBe(false);
        expect(scan.eventCount, label).toBe(tool.events.length);
        expect(
          ours.map((e) => [e.position, e.endPosition, e.timestamp, e.serverId]),
          label,
        ).toEqual(tool.events.map((e) => [e.position, e.endPosition, e.time, e.serverId]));
        expect(
          ours.filter((e) => e.typeName === 'MARIADB_GTID').map((e) => e.gtid),
          label,
        ).toEqual(tool.events.filter((e) => e.gtid).map((e) => e.gtid));
        const expected = toolTransactions(tool.events);
        const boundaries = expected.map((t) => ({ startPosition: t.startPosition, endPosition: t.endPosition, commitTime: t.commitTime, gtid: t.gtid }));
        expect(
          scan.transactions.map(({ xa: _xa, ...t }) => t),
          label,
        ).toEqual(boundaries);
        // The workload's XA transaction: the XID of each XA_PREPARE event as mariadb-binlog prints it (`XID = X'…',X'',1`) marks
        // our prepare step, and its XA COMMIT (right after it) carries the same XID.
        const toolPrepares = tool.events.filter((e) => e.description.startsWith('XID = ')).map((e) => e.description.slice('XID = '.length).trim());
        expect(
          scan.transactions.filter((t) => t.xa?.phase === 'prepare').map((t) => t.xa!.xid),
          label,
        ).toEqual(toolPrepares);
        expect(
          scan.transactions.filter((t) => t.xa?.phase === 'commit').map((t) => t.xa!.xid),
          label,
        ).toEqual(toolPrepares);
        expect(scan.transactionCount).toBe(expected.length);
        expect(scan.firstGtid, label).toBe(expected[0]?.gtid);
        expect(scan.lastGtid, label).toBe(expected[expected.length - 1]?.gtid);
        expect(scan, label).toMatchObject({
          serverId: files.serverId,
          checksum: 'crc32',
          gtidFlavor: 'mariadb',
          binlogVersion: 4,
          size: (await readFile(path)).length,
        });
        expect(scan.serverVersion, label).toMatch(/^10\.11\.\d+-MariaDB/);
        const times = tool.events.map((e) => e.time);
        expect(scan.firstEventTime).toBe(Math.min(...times));
        expect(scan.lastEventTime).toBe(Math.max(...times));
        const gtidList = /^Gtid list \[(.*)\]$/.exec(tool.events.find((e) => e.description.startsWith('Gtid list'))!.description)![1];
        expect(scan.previousGtids, label).toBe(gtidList);
        expect(scan.startPosition, label).toBe(
          tool.events.find((e) => !/^(Start: binlog|Gtid list|Binlog checkpoint)/.test(e.description))?.position ?? scan.endPosition,
        );
        expect(scan.inUseFlag, label).toBe(tool.inUseWarning);
        expect(scan.lastCompleteTransactionEnd, label).toBe(scan.endPosition);
      }
    });

    it('the rotated binlog: closed cleanly, ROTATE to the next file, every kind of group indexed', async () => {
      const scan = await scanBinlogFile(files.rotated);
      expect(scan).toMatchObject({
        inUseFlag: false,
        stopped: false,
        rotateTo: { file: 'mysql-bin.000002', position: 4 },
        previousGtids: '',
        firstGtid: '0-7-1',
        lastGtid: '0-7-9',
      });
      expect(scan.transactions.map((t) => t.gtid)).toEqual(['0-7-1', '0-7-2', '0-7-3', '0-7-4', '0-7-5', '0-7-6', '0-7-7', '0-7-8', '0-7-9']);
      const big = scan.transactions[6]!;
      expect(big.endPosition - big.startPosition).toBeGreaterThan(1 << 20); // crosses the 1 MiB read chunks
    });

    it('the binlog closed by a shutdown has a STOP event and no in-use flag; its copy taken while open has the flag', async () => {
      const stopped = await scanBinlogFile(files.stopped);
      expect(stopped).toMatchObject({ inUseFlag: false, stopped: true, previousGtids: '0-7-9' });
      expect(stopped.rotateTo).toBeUndefined();
      const open = await scanBinlogFile(files.openCopy);
      expect(open).toMatchObject({ inUseFlag: true, stopped: false, problems: [], incompleteTail: false });
      expect(open.transactions).toEqual(stopped.transactions.slice(0, open.transactions.length));
      expect(open.transactions.length).toBeLessThan(stopped.transactions.length);
    });

    it('the binlog open at a kill -9 keeps its in-use flag and is whole', async () => {
      const crashed = await scanBinlogFile(files.crashed);
      expect(crashed).toMatchObject({ inUseFlag: true, stopped: false, problems: [], incompleteTail: false, previousGtids: '0-7-13', lastGtid: '0-7-15' });
    });

    it('the file, a buffer and chunks of 1, 7 and 4096 bytes give the same scan', async () => {
      const bytes = await readFile(files.stopped);
      const whole = scanBinlogBuffer(bytes);
      expect(await scanBinlogFile(files.stopped)).toEqual(whole);
      for (const size of [1, 7, 4096]) expect(scanInChunks(bytes, size)).toEqual(whole);
      const big = await readFile(files.rotated);
      const bigWhole = scanBinlogBuffer(big);
      expect(await scanBinlogFile(files.rotated, { chunkSize: 4096 })).toEqual(bigWhole);
      for (const size of [7, 65536]) expect(scanInChunks(big, size)).toEqual(bigWhole);
    });

    it('one flipped byte is a CRC32 mismatch named at the event that holds it', async () => {
      const bytes = await readFile(files.rotated);
      const tool = mariadbBinlog(files.rotated).events;
      const scan = scanBinlogBuffer(bytes);
      const big = scan.transactions[6]!;
      const gtidEvent = tool.find((e) => e.gtid === '0-7-3')!;
      for (const offset of [gtidEvent.position + 25, big.startPosition + 1_000_000, bytes.length - 10]) {
        const damaged = Buffer.from(bytes);
        damaged[offset]! ^= 0x20;
        const copy = join(files.root, 'damaged');
        await writeFile(copy, damaged);
        const result = await scanBinlogFile(copy);
        const hit = eventAt(tool, offset);
        expect(result.problems).toEqual([
          { position: hit.position, problem: expect.stringMatching(new RegExp(`^CRC32 mismatch in event type \\d+ \\(\\w+\\) at ${hit.position}$`)) },
        ]);
        expect(result.endPosition).toBe(hit.position);
        expect(result.incompleteTail).toBe(false);
      }
    });

    it('a truncated copy is an incomplete tail, not a problem, and does not throw', async () => {
      const bytes = await readFile(files.rotated);
      const tool = mariadbBinlog(files.rotated).events;
      const copy = join(files.root, 'truncated');
      const cut = tool[tool.length - 1]!.position + 7; // inside the ROTATE event
      await writeFile(copy, bytes.subarray(0, cut));
      const scan = await scanBinlogFile(copy);
      expect(scan).toMatchObject({ problems: [], incompleteTail: true, endPosition: tool[tool.length - 1]!.position, size: cut });
      expect(scan.lastCompleteTransactionEnd).toBe(scan.endPosition);
      expect(scan.rotateTo).toBeUndefined();
      const events = await eventsOf(copy);
      expect(events[events.length - 1]!.endPosition).toBe(scan.endPosition);
    });

    it('a copy cut inside a transaction: lastCompleteTransactionEnd < endPosition, the open transaction is not indexed', async () => {
      const bytes = await readFile(files.rotated);
      const whole = scanBinlogBuffer(bytes);
      const big = whole.transactions[6]!;
      const tool = mariadbBinlog(files.rotated).events;
      const insideBig = tool.filter((e) => e.position > big.startPosition && e.endPosition < big.endPosition);
      for (const cut of [insideBig[10]!.endPosition, insideBig[10]!.endPosition + 100]) {
        const copy = join(files.root, 'cut');
        await copyFile(files.rotated, copy);
        await writeFile(copy, bytes.subarray(0, cut));
        const scan = await scanBinlogFile(copy);
        expect(scan.problems).toEqual([]);
        expect(scan.incompleteTail).toBe(true);
        expect(scan.endPosition).toBe(insideBig[10]!.endPosition);
        expect(scan.lastCompleteTransactionEnd).toBe(big.startPosition);
        expect(scan.lastCompleteTransactionEnd).toBeLessThan(scan.endPosition);
        expect(scan.transactions).toEqual(whole.transactions.slice(0, 6));
        expect(scan.lastGtid).toBe('0-7-6');
      }
    });

    it('find-style reading: statements with their database and GTID, row events with their table', async () => {
      const events = await eventsOf(files.rotated);
      const create = events.find((e) => e.query?.startsWith('CREATE TABLE shop.orders'))!;
      expect(create).toMatchObject({ typeName: 'QUERY', gtid: '0-7-2', commits: true });
      const annotate = events.find((e) => e.typeName === 'ANNOTATE_ROWS' && e.query?.includes("'single'"))!;
      expect(annotate.gtid).toBe('0-7-4');
      expect(events.find((e) => e.typeName === 'TABLE_MAP' && e.table === 'log')).toMatchObject({ db: 'shop', gtid: '0-7-6' });
      expect(events.find((e) => e.query === 'COMMIT')).toMatchObject({ gtid: '0-7-6', commits: true });
      expect(events.find((e) => e.typeName === 'MARIADB_GTID' && e.gtid === '0-7-8')?.xaXid).toBe("X'78612d31',X'',1");
      const stopped = await eventsOf(files.stopped);
      const statement = stopped.find((e) => e.query?.includes('statement format'))!;
      expect(statement).toMatchObject({ db: '', gtid: '0-7-11' });
      expect(statement.commits).toBeUndefined(); // its XID commits it
      expect(stopped.find((e) => e.query?.startsWith('DROP TABLE'))).toMatchObject({ gtid: '0-7-12', commits: true });
    });
  },
);
