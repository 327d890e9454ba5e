import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Archive } from '../../src/archive/archive.js';
import { ArchiveDuplicateError, ArchiveNotMountedError } from '../../src/archive/errors.js';
import { pushLog } from '../../src/archive/push.js';
import { verifyArchive } from '../../src/archive/verify.js';
import { buildCatalog } from '../../src/archive/catalog.js';
import { makeTempDir } from '../support/mariadb.js';

let dir: string;
let sourceDir: string;
let archivePath: string;

beforeEach(async () => {
  dir = await makeTempDir('archive');
  sourceDir = join(dir, 'source');
  archivePath = join(dir, 'archive');
  await mkdir(sourceDir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function source(name: string, content: Buffer | string): Promise<string> {
  const path = join(sourceDir, name);
  await writeFile(path, content);
  return path;
}

function sha(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

const request = (name: string, sourcePath: string, sequence: number, compression: 'none' | 'gzip' | 'zstd' = 'none') => ({
  systemId: 'sys',
  engine: 'test',
  name,
  sequence,
  sourcePath,
  compression,
});

describe('archive', () => {
  it('refuses to write where the marker is missing (an unmounted NFS path), and writes nothing', async () => {
    await mkdir(archivePath);
    await expect(Archive.open(archivePath)).rejects.toBeInstanceOf(ArchiveNotMountedError);
    expect(await readdir(archivePath)).toEqual([]);
  });

  it('publishes a log with metadata whose sha256 is over the original bytes, for every compression', async () => {
    const { archive } = await Archive.init(archivePath);
    const content = Buffer.from('binlog bytes '.repeat(5000));
    for (const [i, compression] of (['none', 'gzip', 'zstd'] as const).entries()) {
      const name = `log.00000${i + 1}`;
      const result = await pushLog(archive, request(name, await source(name, content), i + 1, compression));
      expect(result.outcome).toBe('shipped');
      expect(result.metadata.sha256).toBe(sha(content));
      expect(result.metadata.size).toBe(content.length);
      expect(result.metadata.compression).toBe(compression);
      if (compression !== 'none') expect(result.metadata.storedSize).toBeLessThan(content.length);
    }
    const report = await verifyArchive(archive, 'sys');
    expect(report).toMatchObject({ ok: true, checked: 3, problems: [] });
  });

  it('archive files are not world-readable and no temp file is left behind', async () => {
    const { archive } = await Archive.init(archivePath);
    await pushLog(archive, request('log.000001', await source('log.000001', 'abc'), 1));
    const files = await readdir(join(archivePath, 'sys', 'logs'));
    expect(files.sort()).toEqual(['log.000001', 'log.000001.json']);
    for (const file of files) expect((await stat(join(archivePath, 'sys', 'logs', file))).mode & 0o007).toBe(0);
  });

  it('skips a log archived with the same checksum and refuses one with the same name and different bytes', async () => {
    const { archive } = await Archive.init(archivePath);
    const path = await source('log.000001', 'original');
    await pushLog(archive, request('log.000001', path, 1));
    expect((await pushLog(archive, request('log.000001', path, 1))).outcome).toBe('already-archived');
    await writeFile(path, 'renumbered');
    await expect(pushLog(archive, request('log.000001', path, 1))).rejects.toBeInstanceOf(ArchiveDuplicateError);
    expect(await readFile(join(archivePath, 'sys', 'logs', 'log.000001'), 'utf8')).toBe('original');
  });

  it('data without metadata (a run died in between) is checked and its metadata written, never re-copied', async () => {
    const { archive } = await Archive.init(archivePath);
    const path = await source('log.000001', 'content');
    await pushLog(archive, request('log.000001', path, 1));
    await rm(join(archivePath, 'sys', 'logs', 'log.000001.json'));
    const before = (await stat(join(archivePath, 'sys', 'logs', 'log.000001'))).ino;
    const result = await pushLog(archive, request('log.000001', path, 1));
    expect(result.outcome).toBe('metadata-repaired');
    expect((await stat(join(archivePath, 'sys', 'logs', 'log.000001'))).ino).toBe(before);
  });

  it('verify names the file whose bytes changed by one bit', async () => {
    const { archive } = await Archive.init(archivePath);
    await pushLog(archive, request('log.000001', await source('log.000001', 'aaaa'), 1));
    await pushLog(archive, request('log.000002', await source('log.000002', 'bbbb'), 2));
    await writeFile(join(archivePath, 'sys', 'logs', 'log.000002'), 'bbbc');
    const report = await verifyArchive(archive, 'sys');
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.file)).toEqual(['log.000002']);
    expect(report.problems[0]?.problem).toMatch(/sha256/);
  });

  it('catalog and verify report a gap in the sequence with continuous ranges around it', async () => {
    const { archive } = await Archive.init(archivePath);
    for (const n of [1, 2, 5]) await pushLog(archive, request(`log.00000${n}`, await source(`log.00000${n}`, `x${n}`), n));
    const catalog = buildCatalog(await archive.listLogs('sys'));
    expect(catalog.ranges.map((range) => [range.first, range.last])).toEqual([
      ['log.000001', 'log.000002'],
      ['log.000005', 'log.000005'],
    ]);
    expect(catalog.gaps).toEqual([{ after: 'log.000002', before: 'log.000005', missingSequences: '3-4' }]);
    const report = await verifyArchive(archive, 'sys');
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.problem).toMatch(/gap: logs 3-4/);
  });
});
