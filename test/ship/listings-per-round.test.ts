import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Archive } from '../../src/archive/archive.js';
import { ArchiveDuplicateError } from '../../src/archive/errors.js';
import { PosixDriver } from '../../src/archive/posix-driver.js';
import type { StoredEntry } from '../../src/archive/storage.js';
import { pushLog } from '../../src/archive/push.js';
import type { PushRequest } from '../../src/archive/push.js';
import type { Engine, SourceLog } from '../../src/engines/types.js';
import { EventChannel } from '../../src/events/channel.js';
import { Shipper } from '../../src/ship/shipper.js';
import { makeTempDir } from '../support/mariadb.js';

/** A real posix archive that counts how often each folder is listed. */
class CountingDriver extends PosixDriver {
  readonly listings = new Map<string, number>();

  override async entries(dir: string): Promise<StoredEntry[]> {
    this.listings.set(dir, (this.listings.get(dir) ?? 0) + 1);
    return super.entries(dir);
  }

  listed(dir: string): number {
    return this.listings.get(dir) ?? 0;
  }
}

let dir: string;
let sourceDir: string;
let archivePath: string;

beforeEach(async () => {
  dir = await makeTempDir('listings');
  sourceDir = join(dir, 'source');
  archivePath = join(dir, 'archive');
  await mkdir(sourceDir);
  await Archive.init(archivePath);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const logName = (n: number): string => `log.${String(n).padStart(6, '0')}`;

/**
 * Fake engine at the engine boundary (plain files in a folder, the newest one open): what is measured here is
 * how the shipper and the archive list logs/, which no engine takes part in.
 */
function plainFileEngine(): Engine {
  const unused = (): never => {
    throw new Error('not used by a ship round');
  };
  return {
    kind: 'test',
    systemId: async () => 'sys',
    listSourceLogs: async (): Promise<SourceLog[]> => {
      const names = (await readdir(sourceDir)).sort();
      return names.map((name, i) => ({ name, path: join(sourceDir, name), sequence: Number(name.slice(4)), closed: i < names.length - 1 }));
    },
    observeLog: () => ({ push: () => undefined, finish: () => ({}) }),
    switchLog: unused,
    firstTransactionAgeSeconds: unused,
    quiesce: unused,
  };
}

async function writeLogs(from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await writeFile(join(sourceDir, logName(n)), `log ${n} `.repeat(50 + n));
}

const request = (name: string, compression: PushRequest['compression'] = 'none'): PushRequest => ({
  systemId: 'sys',
  engine: 'test',
  name,
  sequence: Number(name.slice(4)),
  sourcePath: join(sourceDir, name),
  compression,
});

describe('listings of logs/ per ship round', () => {
  it('a round that ships N logs lists logs/ once (before: once per log plus once for the round), and the next round once', async () => {
    const N = 20;
    await writeLogs(1, N + 1); // the newest stays open
    const driver = new CountingDriver(archivePath);
    const archive = await Archive.openWith(driver);
    const shipper = new Shipper(plainFileEngine(), archive, new EventChannel(join(dir, 'ipc')), { compression: 'none', concurrency: 4 });

    const first = await shipper.round();
    expect(first.shipped.map((log) => log.name)).toEqual(Array.from({ length: N }, (_, i) => logName(i + 1)));
    // One listing for the round, one for the abandoned-temp clean-up the first round of a process does.
    expect(driver.listed('sys/logs')).toBe(2);

    driver.listings.clear();
    await writeLogs(N + 2, N + 6);
    const second = await shipper.round();
    expect(second.shipped).toHaveLength(5);
    expect(driver.listed('sys/logs')).toBe(1);

    const archived = await archive.listLogMetadata('sys');
    expect(archived.map((log) => log.name)).toEqual(Array.from({ length: N + 5 }, (_, i) => logName(i + 1)));
    for (const log of archived) expect(await readFile(join(archivePath, 'sys', 'logs', log.storedName))).toEqual(await readFile(join(sourceDir, log.name)));
  });

  it('a round listing that missed a log another shipper archived since: O_EXCL publication decides, the archived copy is never overwritten', async () => {
    await writeLogs(1, 1);
    const other = await Archive.open(archivePath);
    const mine = await Archive.open(archivePath);
    const staleListing = new Set<string>();
    const winner = await pushLog(other, request(logName(1)));
    expect(winner.outcome).toBe('shipped');

    // Same bytes: already archived, nothing rewritten.
    const same = await pushLog(mine, request(logName(1)), { listed: staleListing });
    expect(same).toMatchObject({ outcome: 'already-archived', metadata: { sha256: winner.metadata.sha256, shippedAt: winner.metadata.shippedAt } });

    // Different bytes under the same name: refused, the archived copy and its metadata untouched.
    const archivedBytes = await readFile(join(archivePath, 'sys', 'logs', logName(1)));
    const archivedMetadata = await readFile(join(archivePath, 'sys', 'logs', `${logName(1)}.json`));
    await writeFile(join(sourceDir, logName(1)), 'a different log that reuses the name');
    await expect(pushLog(mine, request(logName(1)), { listed: staleListing })).rejects.toBeInstanceOf(ArchiveDuplicateError);
    expect(await readFile(join(archivePath, 'sys', 'logs', logName(1)))).toEqual(archivedBytes);
    expect(await readFile(join(archivePath, 'sys', 'logs', `${logName(1)}.json`))).toEqual(archivedMetadata);
  });

  it('a stale listing and another shipper that won with another compression: compared with the winner, its metadata is kept', async () => {
    await writeLogs(1, 1);
    const other = await Archive.open(archivePath);
    const mine = await Archive.open(archivePath);
    const winner = await pushLog(other, request(logName(1), 'gzip'));
    const winnerMetadata = await readFile(join(archivePath, 'sys', 'logs', `${logName(1)}.json`));

    const late = await pushLog(mine, request(logName(1), 'none'), { listed: new Set() });
    expect(late).toMatchObject({ outcome: 'already-archived', metadata: { storedName: `${logName(1)}.gz`, sha256: winner.metadata.sha256 } });
    expect(await readFile(join(archivePath, 'sys', 'logs', `${logName(1)}.json`))).toEqual(winnerMetadata);

    await writeFile(join(sourceDir, logName(1)), 'a different log that reuses the name');
    await expect(pushLog(mine, request(logName(1), 'zstd'), { listed: new Set() })).rejects.toBeInstanceOf(ArchiveDuplicateError);
    expect(await readFile(join(archivePath, 'sys', 'logs', `${logName(1)}.json`))).toEqual(winnerMetadata);
    // The late copies were named by no metadata and are gone: one copy of the log, the winner's.
    expect((await readdir(join(archivePath, 'sys', 'logs'))).sort()).toEqual([`${logName(1)}.gz`, `${logName(1)}.json`]);
  });

  it('a name the round listing held is looked up afresh (one listing for that push)', async () => {
    await writeLogs(1, 1);
    const driver = new CountingDriver(archivePath);
    const archive = await Archive.openWith(driver);
    await pushLog(archive, request(logName(1)));
    driver.listings.clear();
    expect((await pushLog(archive, request(logName(1)), { listed: new Set([logName(1)]) })).outcome).toBe('already-archived');
    expect(driver.listed('sys/logs')).toBe(1);
  });
});
