import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { binlogKeyFromKeyFile, decodeStartEncryption, decryptEvent } from '../../src/engines/mysql/binlog/decrypt.js';
import type { BinlogEncryption, BinlogKey } from '../../src/engines/mysql/binlog/decrypt.js';
import { EventType } from '../../src/engines/mysql/binlog/constants.js';
import { DecryptingFramer } from '../../src/engines/mysql/binlog/decrypting-stream.js';
import { BinlogScanner, scanBinlogFile } from '../../src/engines/mysql/binlog/index.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb } from '../support/mariadb.js';
import type { MariadbServer } from '../support/mariadb.js';

interface PlainEvent {
  position: number;
  type: number;
  crcOk: boolean;
  bytes: Buffer;
}

/** Walks a binlog, decrypting each event after START_ENCRYPTION with `key`. */
function readEvents(file: Buffer, key: BinlogKey): PlainEvent[] {
  const events: PlainEvent[] = [];
  let encryption: BinlogEncryption | undefined;
  for (let position = 4; position < file.length; ) {
    const size = file.readUInt32LE(position + 9);
    const stored = file.subarray(position, position + size);
    const bytes = encryption ? decryptEvent(stored, position, encryption, key) : stored;
    const type = bytes[4]!;
    events.push({ position, type, bytes, crcOk: crc32(bytes.subarray(0, size - 4)) === bytes.readUInt32LE(size - 4) });
    if (!encryption && type === EventType.START_ENCRYPTION) encryption = decodeStartEncryption(bytes.subarray(19, size - 4));
    position += size;
  }
  return events;
}

describe('MariaDB binlog decryption against a real server with encrypt_binlog=ON (file_key_management)', () => {
  let server: MariadbServer;
  let dir: string;
  const keyHex = '5e'.repeat(16) + '0f'.repeat(16);

  beforeAll(async () => {
    dir = await makeTempDir('encbinlog');
    await writeFile(join(dir, 'keys'), `# binlogs use key 1\n2;${'11'.repeat(32)}\n1;${keyHex}\n`, { mode: 0o600 });
    server = await startMariadb({
      args: ['--plugin-load-add=file_key_management', `--file-key-management-filename=${join(dir, 'keys')}`, '--encrypt-binlog=ON'],
    });
    await server.query('CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note TEXT)');
    // Row events of many lengths: every tail length modulo the AES block is exercised.
    for (let i = 1; i <= 40; i++) await server.query('INSERT INTO shop.orders VALUES (?, ?)', [i, 'n'.repeat(i * 13)]);
    await server.query('FLUSH BINARY LOGS');
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, dir);
  });

  it('every event after START_ENCRYPTION decrypts to an event whose CRC32 matches, with the transactions in it', async () => {
    const key = binlogKeyFromKeyFile(await readFile(join(dir, 'keys'), 'utf8'));
    const events = readEvents(await readFile(join(server.binlogDir, 'mysql-bin.000001')), key);
    const start = events.findIndex((event) => event.type === EventType.START_ENCRYPTION);
    expect(start).toBeGreaterThan(0);
    expect(events.every((event) => event.crcOk)).toBe(true);
    expect(events.filter((event) => event.type === EventType.XID)).toHaveLength(40);
    expect(new Set(events.slice(start + 1).map((event) => event.bytes.length % 16)).size).toBeGreaterThan(8);
    expect(events[events.length - 1]!.type).toBe(EventType.ROTATE);
  });

  it('the streaming decryptor gives the same plain binlog whatever the chunk sizes, offsets unchanged', async () => {
    const key = binlogKeyFromKeyFile(await readFile(join(dir, 'keys'), 'utf8'));
    const file = await readFile(join(server.binlogDir, 'mysql-bin.000001'));
    const expected = Buffer.concat([file.subarray(0, 4), ...readEvents(file, key).map((event) => event.bytes)]);
    for (const chunkSize of [1, 7, 19, 64, 4096, file.length]) {
      const out: Buffer[] = [];
      const framer = new DecryptingFramer(key, (chunk) => out.push(Buffer.from(chunk)));
      for (let at = 0; at < file.length; at += chunkSize) framer.push(file.subarray(at, at + chunkSize));
      framer.finish();
      expect(Buffer.concat(out).equals(expected)).toBe(true);
    }
    const torn: Buffer[] = [];
    const framer = new DecryptingFramer(key, (chunk) => torn.push(Buffer.from(chunk)));
    framer.push(file.subarray(0, file.length - 10));
    framer.finish();
    expect(Buffer.concat(torn).length).toBe(file.length - 10);
  });

  it('the reader, given the key, indexes every transaction of the encrypted binlog; without it, it says which key to set', async () => {
    const key = binlogKeyFromKeyFile(await readFile(join(dir, 'keys'), 'utf8'));
    const path = join(server.binlogDir, 'mysql-bin.000001');
    const scan = await scanBinlogFile(path, { key });
    expect(scan.problems).toEqual([]);
    expect(scan.encrypted).toBe(true);
    expect(scan.transactions.filter((transaction) => transaction.gtid?.startsWith('0-1-'))).toHaveLength(scan.transactionCount);
    expect(scan.transactionCount).toBeGreaterThanOrEqual(42);
    expect(scan.rotateTo?.file).toBe('mysql-bin.000002');
    const blind = await scanBinlogFile(path);
    expect(blind.problems[0]?.problem).toMatch(/set \[mysql\] binlog_key_file/);

    // The planner reads the head, then jumps to a recorded transaction start: decryption follows the jump.
    const file = await readFile(path);
    const from = scan.transactions[20]!.startPosition;
    const scanner = new BinlogScanner({ key });
    scanner.push(file.subarray(0, scan.transactions[0]!.startPosition));
    scanner.skipTo(from);
    scanner.push(file.subarray(from));
    const tail = scanner.finish();
    expect(tail.problems).toEqual([]);
    expect(tail.transactions.map((transaction) => transaction.gtid)).toEqual(scan.transactions.slice(20).map((transaction) => transaction.gtid));
  });

  it('with the wrong key the events do not check out (so a wrong key can never pass as data)', async () => {
    const wrong = binlogKeyFromKeyFile(`1;${'22'.repeat(32)}\n`);
    const events = readEvents(await readFile(join(server.binlogDir, 'mysql-bin.000001')), wrong);
    const start = events.findIndex((event) => event.type === EventType.START_ENCRYPTION);
    expect(events.slice(start + 1).some((event) => event.crcOk)).toBe(false);
  });

  it('key files: key 1 is taken, malformed lines and missing or short keys are refused with the reason', () => {
    expect(binlogKeyFromKeyFile(`2;${'11'.repeat(16)}\n1;${keyHex}\n`).key.toString('hex')).toBe(keyHex);
    expect(() => binlogKeyFromKeyFile(`2;${'11'.repeat(16)}\n`)).toThrow(/no key 1/);
    expect(() => binlogKeyFromKeyFile('1;abcd\n')).toThrow(/AES needs 16, 24 or 32/);
    expect(() => binlogKeyFromKeyFile('Salted__garbage')).toThrow(/not "id;hex-key"/);
  });
});
