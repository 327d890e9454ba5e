import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Archive } from '../../src/archive/archive.js';
import { HEAD_BYTES } from '../../src/archive/digest.js';
import type { LogMetadata, LogObserver } from '../../src/archive/metadata.js';
import { pushLog } from '../../src/archive/push.js';
import type { PushRequest } from '../../src/archive/push.js';
import type { Hashing } from '../../src/archive/source-pass.js';
import { binlogObserver } from '../../src/engines/mysql/log-facts.js';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb } from '../support/mariadb.js';
import type { MariadbServer } from '../support/mariadb.js';
import { runWorkload } from '../support/workload.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The serial reference: the whole file in memory, hashed and parsed in one piece. */
async function reference(path: string) {
  const bytes = await readFile(path);
  const observer = binlogObserver();
  observer.push(bytes);
  return { bytes, sha256: sha256(bytes), headSha256: sha256(bytes.subarray(0, HEAD_BYTES)), facts: observer.finish() as Record<string, unknown> };
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** An observer that parses like the real one and throws at its `failAt`-th chunk (a parse that fails mid-way). */
function failingObserver(failAt: number): LogObserver {
  const inner = binlogObserver();
  let seen = 0;
  return {
    push: (chunk) => {
      if (++seen === failAt) throw new Error(`observer gave up at chunk ${seen}`);
      inner.push(chunk);
    },
    finish: () => inner.finish(),
  };
}

describe('overlapped ship pass (read ahead, hashing thread, parse, write) on real MariaDB binlogs', () => {
  let server: MariadbServer;
  let dir: string;
  let binlogs: { name: string; path: string; size: number }[];
  let archiveCount = 0;

  beforeAll(async () => {
    dir = await makeTempDir('overlap');
    server = await startMariadb();
    // Small-event OLTP binlogs (one chunk each) ...
    await runWorkload(server, { transactions: 40, rotations: 2 });
    // ... one of ~3 MiB (two chunks, below the hashing thread's threshold) and one of ~30 MiB (many
    // chunks: every reused buffer, on either path, goes round more than once).
    await server.query('CREATE TABLE shop.blobs (id INT AUTO_INCREMENT PRIMARY KEY, payload LONGBLOB) ENGINE=InnoDB');
    for (const [rows, bytes] of [
      [12, 256 << 10],
      [120, 256 << 10],
    ] as const) {
      for (let row = 0; row < rows; row++) {
        await server.query('INSERT INTO shop.blobs (payload) VALUES (CONCAT(RANDOM_BYTES(1024), REPEAT(?, ?)))', [String(row % 10), bytes]);
      }
      await server.query('FLUSH BINARY LOGS');
    }
    const index = (await readFile(`${server.binlogBasename}.index`, 'utf8')).split('\n').filter(Boolean);
    binlogs = [];
    for (const line of index.slice(0, -1)) {
      const name = line.split('/').pop()!;
      const path = join(server.binlogDir, name);
      binlogs.push({ name, path, size: (await stat(path)).size });
    }
    expect(binlogs.some((log) => log.size > 24 << 20)).toBe(true);
    expect(binlogs.some((log) => log.size > 2 << 20 && log.size < 8 << 20)).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, dir);
  });

  const freshArchive = async () => (await Archive.init(join(dir, `archive-${++archiveCount}`))).archive;
  type Compression = PushRequest['compression'];
  const request = (log: { name: string; path: string }, index: number, compression: Compression, observer: LogObserver = binlogObserver()): PushRequest => ({
    systemId: 'sys',
    engine: 'mysql',
    name: log.name,
    sequence: index + 1,
    sourcePath: log.path,
    compression,
    observer,
  });
  /** What must not depend on the path taken: everything but when, by whom and how it was stored. */
  const essence = ({ shippedAt, shippedBy, storedSize, storedName, compression, ...rest }: LogMetadata) => rest;

  for (const compression of ['none', 'gzip'] as const) {
    it(`gives byte-identical copies and identical metadata on every path (compression ${compression})`, async () => {
      for (const [index, log] of binlogs.entries()) {
        const expected = await reference(log.path);
        const results: Record<string, LogMetadata> = {};
        for (const hashing of ['inline', 'thread', 'auto'] as Hashing[]) {
          const archive = await freshArchive();
          const result = await pushLog(archive, request(log, index, compression), { hashing });
          expect(result.outcome).toBe('shipped');
          const copy = await collect(archive.openLog('sys', result.metadata));
          expect(copy.length, `${log.name} via ${hashing}`).toBe(expected.bytes.length);
          expect(sha256(copy), `${log.name} via ${hashing}`).toBe(expected.sha256);
          expect(result.metadata.sha256).toBe(expected.sha256);
          expect(result.metadata.headSha256).toBe(expected.headSha256);
          expect(result.metadata.size).toBe(log.size);
          const recorded = result.metadata as unknown as Record<string, unknown>;
          for (const [key, value] of Object.entries(expected.facts)) expect(recorded[key], `${log.name} via ${hashing}: ${key}`).toEqual(value);
          results[hashing] = result.metadata;
        }
        expect(essence(results['thread']!)).toEqual(essence(results['inline']!));
        expect(essence(results['auto']!)).toEqual(essence(results['inline']!));
      }
    }, 240_000);
  }

  it('a parse that fails mid-way is an error, not a crash: nothing is published, and the next push works', async () => {
    const big = binlogs.find((log) => log.size > 24 << 20)!;
    const index = binlogs.indexOf(big);
    for (const hashing of ['thread', 'inline'] as Hashing[]) {
      const archive = await freshArchive();
      await expect(pushLog(archive, request(big, index, 'none', failingObserver(5)), { hashing })).rejects.toThrow(/observer gave up at chunk 5/);
      const logsDir = join(archive.location, 'sys', 'logs');
      expect(await readdir(logsDir)).toEqual([]);
      const again = await pushLog(archive, request(big, index, 'none'), { hashing });
      expect(again.outcome).toBe('shipped');
      expect(again.metadata.sha256).toBe((await reference(big.path)).sha256);
      expect((await readdir(logsDir)).sort()).toEqual([big.name, `${big.name}.json`]);
    }
  }, 120_000);

  it('a source whose read fails (EIO from the kernel: /proc/self/mem at offset 0) is an error: nothing is published', async () => {
    for (const hashing of ['thread', 'inline'] as Hashing[]) {
      const archive = await freshArchive();
      const failing = request({ name: 'mariadb-bin.000999', path: '/proc/self/mem' }, 998, 'none');
      await expect(pushLog(archive, failing, { hashing })).rejects.toMatchObject({ code: 'EIO' });
      expect(await readdir(join(archive.location, 'sys', 'logs'))).toEqual([]);
    }
  });
});
