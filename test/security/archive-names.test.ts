import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  archivePathSegments,
  checkArchiveName,
  isArchiveName,
  printableName,
  UnsafeArchiveNameError,
  UnsafeArchivePathError,
} from '../../src/archive/names.js';
import { logDataPath, logMetadataPath, partialPath, snapshotPath, storedLogPath } from '../../src/archive/layout.js';
import { logMetadataProblem, snapshotRecordProblem } from '../../src/archive/entry-rules.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';
import { parseBlobUrl } from '../../src/archive/blob-location.js';
import { compressChunks, decompressStream, zstdAvailable } from '../../src/archive/compression.js';
import { PosixDriver } from '../../src/archive/posix-driver.js';
import { Archive } from '../../src/archive/archive.js';
import { pushLog } from '../../src/archive/push.js';
import { makeTempDir } from '../support/mariadb.js';

describe('the archive name rule (pure)', () => {
  it('accepts the names real engines and snaplog produce', () => {
    const real = [
      'mysql-bin.000042',
      'binlog.000001',
      '1_42_1093.arc',
      'o1_mf_1_42_mz4k9x1b_.arc',
      '20261122.003',
      '20261122.003z',
      '20261130T012309Z-1a2b',
      '3e11fa47-71ca-11e1-9e33-c80aa9429562',
      'mariadb-db01.example.com-1',
      'a'.repeat(200),
    ];
    for (const name of real) expect(isArchiveName(name), name).toBe(true);
  });

  it('refuses anything that could leave its folder or confuse a terminal', () => {
    const hostile = ['', '.', '..', '../x', 'x/..', 'a/b', '/etc/passwd', '.hidden', 'a..b', '-rf'];
    hostile.push('x\n', 'x\u001b[31m', 'a b', 'a\\b', 'ä', 'a'.repeat(201), 'x\u0000y');
    for (const name of hostile) expect(isArchiveName(name), JSON.stringify(name)).toBe(false);
    for (const value of [undefined, null, 42, ['a'], { name: 'a' }]) expect(isArchiveName(value)).toBe(false);
    expect(() => checkArchiveName('../../etc/shadow', 'log name')).toThrow(UnsafeArchiveNameError);
    expect(printableName('x\u001b[31m')).toBe('"x\\u001b[31m"');
  });

  it('the layout builds no path from a bad name; storedName must be the name plus the compression suffix', () => {
    expect(logDataPath('sys', 'mysql-bin.000001', 'gzip')).toBe('sys/logs/mysql-bin.000001.gz');
    expect(storedLogPath('sys', 'mysql-bin.000001.zst', 'zstd')).toBe('sys/logs/mysql-bin.000001.zst');
    expect(() => logDataPath('sys', '../x', 'none')).toThrow(UnsafeArchiveNameError);
    expect(() => logMetadataPath('..', 'mysql-bin.000001')).toThrow(UnsafeArchiveNameError);
    expect(() => snapshotPath('sys', '../../victim')).toThrow(UnsafeArchiveNameError);
    expect(() => partialPath('sys', '/etc/passwd')).toThrow(UnsafeArchiveNameError);
    expect(() => storedLogPath('sys', '../../victim', 'none')).toThrow(UnsafeArchiveNameError);
    expect(() => storedLogPath('sys', 'mysql-bin.000001', 'gzip')).toThrow(UnsafeArchiveNameError);
    expect(() => storedLogPath('sys', '.gz', 'gzip')).toThrow(UnsafeArchiveNameError);
  });

  it('driver paths: no empty, "." or ".." segment, no absolute path', () => {
    expect(archivePathSegments('.')).toEqual([]);
    expect(archivePathSegments('sys/logs/.x.tmp-1-ab')).toEqual(['sys', 'logs', '.x.tmp-1-ab']);
    for (const path of ['/etc/passwd', 'sys/../x', 'sys//x', 'sys/./x', 'sys/logs/', '..', 'sys/lo\ngs']) {
      expect(() => archivePathSegments(path), JSON.stringify(path)).toThrow(UnsafeArchivePathError);
    }
  });
});

describe('log metadata and snapshot records must describe themselves (pure)', () => {
  const metadata = (overrides: Partial<LogMetadata> = {}): LogMetadata =>
    ({
      ...{ formatVersion: 1, name: 'mysql-bin.000002', engine: 'mysql', sequence: 2, size: 10, sha256: 'a'.repeat(64), headSha256: 'b'.repeat(64) },
      ...{ compression: 'gzip', storedName: 'mysql-bin.000002.gz', storedSize: 9, shippedAt: '2026-11-30T00:00:00Z', shippedBy: 'h' },
      ...overrides,
    }) as LogMetadata;
  const record = (overrides: Partial<SnapshotRecord> = {}): SnapshotRecord => ({
    ...{ formatVersion: 1, id: '20261130T000000Z-0001', systemId: 'sys', engine: 'mysql', time: '2026-11-30T00:00:00Z', status: 'thawed', host: 'h' },
    ...overrides,
  });

  it('accepts what snaplog writes', () => {
    expect(logMetadataProblem(metadata(), 'mysql-bin.000002')).toBeUndefined();
    expect(logMetadataProblem(metadata({ compression: 'none', storedName: 'mysql-bin.000002' }), 'mysql-bin.000002')).toBeUndefined();
    expect(snapshotRecordProblem(record(), '20261130T000000Z-0001', 'sys')).toBeUndefined();
  });

  it('refuses a name, storedName, id or system that is not the file its own', () => {
    expect(logMetadataProblem(metadata({ name: '../../../var/tmp/escaped' }), 'zz')).toMatch(/not a valid archive name/);
    expect(logMetadataProblem(metadata({ name: 'mysql-bin.000003' }), 'mysql-bin.000002')).toMatch(/not the file's own name/);
    expect(logMetadataProblem(metadata({ storedName: '../../victim' }), 'mysql-bin.000002')).toMatch(/storedName "..\/..\/victim" is not mysql-bin.000002.gz/);
    expect(logMetadataProblem(metadata({ storedName: '/etc/passwd' }), 'mysql-bin.000002')).toMatch(/storedName/);
    expect(logMetadataProblem(metadata({ storedName: 'mysql-bin.000003.gz' }), 'mysql-bin.000002')).toMatch(/storedName/);
    expect(logMetadataProblem(metadata({ compression: 'xz' as never }), 'mysql-bin.000002')).toMatch(/compression/);
    expect(logMetadataProblem(metadata({ sequence: -1 }), 'mysql-bin.000002')).toMatch(/sequence/);
    expect(snapshotRecordProblem(record({ id: '../../victim' }), 'evil', 'sys')).toMatch(/not a valid archive name/);
    expect(snapshotRecordProblem(record({ id: 'other' }), '20261130T000000Z-0001', 'sys')).toMatch(/not the file's own name/);
    expect(snapshotRecordProblem(record({ systemId: 'another-server' }), '20261130T000000Z-0001', 'sys')).toMatch(/foreign/);
    expect(snapshotRecordProblem(record({ time: 'yesterday' }), '20261130T000000Z-0001', 'sys')).toMatch(/not a time/);
  });
});

describe('Blob URLs: plain http only on loopback (pure)', () => {
  it('accepts https anywhere and http on 127.0.0.0/8, ::1 and localhost', () => {
    expect(parseBlobUrl('https://acct.blob.core.windows.net/c').prefix).toBe('');
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]']) {
      const url = `http://${host}:10000/devstoreaccount1/c`;
      expect(parseBlobUrl(url).containerUrl, url).toMatch(/\/devstoreaccount1\/c$/);
    }
  });
  it('refuses http to any other host with a usage error that says what to do', () => {
    const refused = ['http://acct.blob.core.windows.net/c', 'http://10.0.0.5:10000/devstoreaccount1/c', 'http://127.0.0.1.evil.example/c'];
    refused.push('ftp://127.0.0.1/a/c');
    for (const url of refused) {
      expect(() => parseBlobUrl(url), url).toThrow(/is not https/);
    }
    try {
      parseBlobUrl('http://acct.blob.core.windows.net/c');
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
      expect((error as { hint: string }).hint).toMatch(/https:\/\//);
    }
  });
});

/** A source that yields one chunk and then fails, as a read error mid-file does. */
async function* failingSource(): AsyncIterable<Buffer> {
  yield Buffer.alloc(64 * 1024, 7);
  await new Promise((resolve) => setImmediate(resolve));
  throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
}

async function drain(chunks: AsyncIterable<Buffer | string>): Promise<number> {
  let bytes = 0;
  for await (const chunk of chunks) bytes += chunk.length;
  return bytes;
}

describe('compression streams: a read error is an error, not a crash', () => {
  it('gzip, zstd and none reject with the read error when the source fails mid-stream', async () => {
    const kinds = (await zstdAvailable()) ? (['none', 'gzip', 'zstd'] as const) : (['none', 'gzip'] as const);
    for (const compression of kinds) await expect(drain(compressChunks(failingSource(), compression)), compression).rejects.toThrow(/EIO/);
  });

  it('decompression rejects when the stored bytes fail mid-stream', async () => {
    const stored = Readable.from(failingSource());
    await expect(drain(decompressStream(stored, 'gzip'))).rejects.toThrow(/EIO/);
  });

  it('the posix driver turns a failing source into an error and leaves no temp file behind', async () => {
    const dir = await makeTempDir('names');
    try {
      const driver = new PosixDriver(dir);
      await expect(driver.createFromStream('sys/logs/mysql-bin.000001.gz', compressChunks(failingSource(), 'gzip'))).rejects.toThrow(/EIO/);
      expect(await readdir(join(dir, 'sys/logs'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ship: a source log whose read fails is an error of that log, not a crash', () => {
  it('pushLog (what ship runs per log) rejects with the read error for none, gzip and zstd and leaves nothing in the archive', async () => {
    const dir = await makeTempDir('readfail');
    try {
      const archive = (await Archive.init(join(dir, 'archive'))).archive;
      // A regular file (so it passes the source checks) whose first read fails with EIO: a real read error inside the stream chain.
      const unreadable = '/proc/self/mem';
      const kinds = (await zstdAvailable()) ? (['none', 'gzip', 'zstd'] as const) : (['none', 'gzip'] as const);
      for (const compression of kinds) {
        const request = { systemId: 'sys', engine: 'mysql', name: 'mysql-bin.000001', sequence: 1, sourcePath: unreadable, compression };
        await expect(pushLog(archive, request), compression).rejects.toThrow(/EIO|i\/o error/i);
      }
      expect(await readdir(join(dir, 'archive', 'sys', 'logs'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('posix driver: nothing below the root is followed (real folders, real symbolic links)', () => {
  let dir: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    dir = await makeTempDir('nofollow');
    root = join(dir, 'archive');
    outside = join(dir, 'outside');
    await mkdir(join(root, 'sys', 'logs'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'do not touch');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const outsideListing = async (): Promise<string[]> => (await readdir(outside)).sort();

  it('a symlinked folder (partial/, logs/ or a system folder) is refused for reads, writes, removals and listings', async () => {
    const driver = new PosixDriver(root);
    await symlink(outside, join(root, 'sys', 'partial'));
    await symlink(outside, join(root, 'evil'));
    const attempts: [string, () => Promise<unknown>][] = [
      ['replace in partial/', () => driver.replaceFile('sys/partial/mysql-bin.000009.partial', 'x')],
      ['create in partial/', () => driver.createFile('sys/partial/new', 'x')],
      ['remove in partial/', () => driver.remove('sys/partial/secret')],
      ['read in partial/', () => driver.readFile('sys/partial/secret')],
      ['stream in partial/', () => drain(driver.openRead('sys/partial/secret'))],
      ['stat in partial/', () => driver.stat('sys/partial/secret')],
      ['list partial/', () => driver.list('sys/partial')],
      ['ensureDir below partial/', () => driver.ensureDir('sys/partial/deeper')],
      ['write through a symlinked system', () => driver.createFile('evil/logs/x', 'x')],
      ['remove temps through a symlinked system', () => driver.removeAbandonedTemps('evil')],
    ];
    for (const [what, attempt] of attempts) await expect(attempt(), what).rejects.toThrow(/is a symbolic link: refused/);
    expect(await outsideListing()).toEqual(['secret']);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('do not touch');
    expect(await driver.entries('.')).toEqual(expect.arrayContaining([{ name: 'evil', kind: 'symlink' }]));
  });

  it('a symlinked file is refused for reads; replace and remove act on the link itself, never its target', async () => {
    const driver = new PosixDriver(root);
    await symlink(join(outside, 'secret'), join(root, 'sys', 'logs', 'mysql-bin.000001'));
    await expect(driver.readFile('sys/logs/mysql-bin.000001')).rejects.toThrow(/is a symbolic link: refused/);
    await expect(drain(driver.openRead('sys/logs/mysql-bin.000001'))).rejects.toThrow(/is a symbolic link: refused/);
    expect(await driver.createFile('sys/logs/mysql-bin.000001', 'new')).toBe('exists');
    await driver.replaceFile('sys/logs/mysql-bin.000001', 'replaced');
    expect(await readFile(join(root, 'sys', 'logs', 'mysql-bin.000001'), 'utf8')).toBe('replaced');
    await symlink(join(outside, 'secret'), join(root, 'sys', 'logs', 'link'));
    await driver.remove('sys/logs/link');
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('do not touch');
    expect(await readdir(join(root, 'sys', 'logs'))).toEqual(['mysql-bin.000001']);
  });

  it('a FIFO or a folder where a file should be is refused at once (no hang)', async () => {
    const driver = new PosixDriver(root);
    execFileSync('mkfifo', [join(root, 'sys', 'logs', 'fifo.json')]);
    await mkdir(join(root, 'sys', 'logs', 'folder.json'));
    await expect(driver.readFile('sys/logs/fifo.json')).rejects.toThrow(/not a regular file: refused/);
    await expect(driver.readFile('sys/logs/folder.json')).rejects.toThrow(/not a regular file: refused/);
    expect((await driver.entries('sys/logs')).map((entry) => entry.kind)).toEqual(['other', 'dir']);
  });

  it('paths that leave the root are refused before any system call', async () => {
    const driver = new PosixDriver(root);
    for (const path of ['../outside/secret', 'sys/../../outside/secret', '/etc/passwd']) {
      await expect(driver.readFile(path), path).rejects.toThrow(UnsafeArchivePathError);
      await expect(driver.remove(path), path).rejects.toThrow(UnsafeArchivePathError);
    }
    expect(await outsideListing()).toEqual(['secret']);
  });
});
