import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BinlogScanner, readBinlogEvents, scanBinlogBuffer, scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';
import type { BinlogScan } from '../../src/engines/mysql/binlog/index.js';
import { makeTempDir, startMariadb, stopAllMariadb, removeDirs } from '../support/mariadb.js';
import type { MariadbServer } from '../support/mariadb.js';
import { mariadbBinlogEndPositions, mariadbBinlogEventTimes } from '../support/binlog-tool.js';

const FIXTURES = resolve(process.cwd(), '../shared/fixtures/binlogs');
const haveFixtures = existsSync(FIXTURES);

function fixture(name: string): Buffer {
  const bytes = readFileSync(join(FIXTURES, name));
  return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

function scanInChunks(buffer: Buffer, size: number): BinlogScan {
  const scanner = new BinlogScanner();
  for (let at = 0; at < buffer.length; at += size) scanner.push(buffer.subarray(at, at + size));
  return scanner.finish();
}

describe.skipIf(!haveFixtures)('binlog reader on binlogs of other servers (shared/fixtures/binlogs)', () => {
  const cases = [
    { name: 'mysql-5.7.20-checksum-none.000001', checksum: 'none', events: 191 },
    { name: 'mysql-5.5.27-sakila.000001.gz', checksum: 'none', events: 1462 },
    { name: 'percona-5.7.25-small.000001', checksum: 'crc32', events: 3 },
  ] as const;

  for (const { name, checksum, events } of cases) {
    it(`${name}: same events, end positions and times as mariadb-binlog, no problems`, async () => {
      const bytes = fixture(name);
      const scan = scanBinlogBuffer(bytes);
      expect(scan.problems).toEqual([]);
      expect(scan.checksum).toBe(checksum);
      expect(scan.eventCount).toBe(events);
      expect(scan.endPosition).toBe(bytes.length);
      const dir = await makeTempDir('fixture');
      try {
        const path = join(dir, name.replace(/\.gz$/, ''));
        await writeFile(path, bytes);
        const ends = mariadbBinlogEndPositions(path);
        const ours: number[] = [];
        for await (const event of readBinlogEvents(path)) ours.push(event.endPosition);
        expect(ours.slice(1)).toEqual(ends.slice(1)); // mariadb-binlog prints the FDE's end_log_pos as written (0 in v4 of some servers)
        const times = mariadbBinlogEventTimes(path);
        expect(scan.firstEventTime).toBe(times[0]);
        expect(scan.lastEventTime).toBe(times[times.length - 1]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('mysql-8.0.31: GTIDs, PREVIOUS_GTIDS and compressed transaction payloads', () => {
    const scan = scanBinlogBuffer(fixture('mysql-8.0.31.000057'));
    expect(scan.problems).toEqual([]);
    expect(scan.checksum).toBe('crc32');
    expect(scan.gtidFlavor).toBe('mysql');
    expect(scan.previousGtids).toBe('76f3e7be-6720-11ed-9cad-0242ac110002:1-10');
    expect(scan.transactions.map((transaction) => transaction.gtid)).toEqual(['11', '12', '13'].map((n) => `76f3e7be-6720-11ed-9cad-0242ac110002:${n}`));
    expect(scan.lastCompleteTransactionEnd).toBe(1283);
  });

  it('the sakila statement binlog (no GTIDs) yields BEGIN…COMMIT transactions in order', () => {
    const scan = scanBinlogBuffer(fixture('mysql-5.5.27-sakila.000001.gz'));
    expect(scan.transactionCount).toBeGreaterThan(10);
    for (let i = 1; i < scan.transactions.length; i++)
      expect(scan.transactions[i]!.startPosition).toBeGreaterThanOrEqual(scan.transactions[i - 1]!.endPosition);
  });

  it('gives the same result whatever the chunk size (1, 7, 4096 bytes)', () => {
    const bytes = fixture('mysql-5.7.20-checksum-none.000001');
    const whole = scanBinlogBuffer(bytes);
    for (const size of [1, 7, 4096]) expect(scanInChunks(bytes, size)).toEqual(whole);
  });

  it('a file that is not a binlog is a problem, not an exception', () => {
    expect(scanBinlogBuffer(Buffer.from('hello world, not a binlog')).problems[0]?.problem).toMatch(/not a binlog/);
  });
});

describe('binlog reader on binlogs of a real MariaDB 10.11', () => {
  let server: MariadbServer;
  let dir: string;
  let openCopy: string;

  beforeAll(async () => {
    server = await startMariadb({ serverId: 7, args: ['--max-binlog-size=1M'] });
    dir = await makeTempDir('binlogs');
    const connection = await server.connect();
    await connection.query('CREATE DATABASE r');
    await connection.query('CREATE TABLE r.t (id INT PRIMARY KEY, v LONGTEXT) ENGINE=InnoDB');
    await connection.query('BEGIN');
    for (let i = 1; i <= 5; i++) await connection.query('INSERT INTO r.t VALUES (?, ?)', [i, 'x'.repeat(100)]);
    await connection.query('COMMIT');
    await connection.query('INSERT INTO r.t VALUES (100, ?)', ['y'.repeat(3 * 1024 * 1024)]); // an event larger than the buffered size
    await connection.query('FLUSH BINARY LOGS');
    await connection.query('INSERT INTO r.t VALUES (200, "open")');
    await connection.end();
    const [{ File }] = await server.query<{ File: string }>('SHOW MASTER STATUS');
    openCopy = join(dir, 'open-copy');
    await copyFile(join(server.binlogDir, File), openCopy);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, dir);
  });

  it('a rotated binlog: clean close, ROTATE target, GTIDs and boundaries equal mariadb-binlog', async () => {
    const path = join(server.binlogDir, 'mysql-bin.000001');
    const scan = await scanBinlogFile(path);
    expect(scan.problems).toEqual([]);
    expect(scan.inUseFlag).toBe(false);
    expect(scan.rotateTo?.file).toBe('mysql-bin.000002');
    expect(scan.serverId).toBe(7);
    expect(scan.gtidFlavor).toBe('mariadb');
    const text = execFileSync('mariadb-binlog', ['--base64-output=never', path], { maxBuffer: 256 << 20 }).toString();
    const gtids = [...text.matchAll(/GTID (\d+-\d+-\d+)/g)].map((match) => match[1]);
    expect(scan.transactions.map((transaction) => transaction.gtid)).toEqual(gtids);
    const ends = new Set(mariadbBinlogEndPositions(path));
    for (const transaction of scan.transactions) expect(ends.has(transaction.endPosition)).toBe(true);
    expect(scan.transactions.some((transaction) => transaction.endPosition - transaction.startPosition > 3 * 1024 * 1024)).toBe(true);
  });

  it('the open binlog carries the in-use flag, and its format description still passes the CRC check', async () => {
    const scan = await scanBinlogFile(openCopy);
    expect(scan.inUseFlag).toBe(true);
    expect(scan.problems).toEqual([]);
  });

  it('one flipped bit is reported as a CRC32 mismatch at its event, also inside a large streamed event', async () => {
    const bytes = await readFile(join(server.binlogDir, 'mysql-bin.000001'));
    for (const at of [600, bytes.length - 2 * 1024 * 1024]) {
      const corrupted = Buffer.from(bytes);
      corrupted[at]! ^= 0x10;
      const scan = scanInChunks(corrupted, 65536);
      expect(scan.problems.length).toBeGreaterThan(0);
      expect(scan.problems[0]!.problem).toMatch(/CRC32 mismatch/);
      expect(scan.problems[0]!.position).toBeLessThanOrEqual(at);
    }
  });

  it('a file cut mid-transaction keeps the whole part and marks the tail incomplete, without throwing', async () => {
    const bytes = await readFile(join(server.binlogDir, 'mysql-bin.000001'));
    const whole = scanBinlogBuffer(bytes);
    const cut = bytes.subarray(0, whole.transactions[1]!.endPosition - 10);
    const scan = scanBinlogBuffer(cut);
    expect(scan.problems).toEqual([]);
    expect(scan.incompleteTail).toBe(true);
    expect(scan.lastCompleteTransactionEnd).toBe(whole.transactions[0]!.endPosition);
    expect(scan.transactions).toHaveLength(1);
  });
});
