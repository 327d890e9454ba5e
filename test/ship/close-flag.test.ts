import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { runWorkload } from '../support/workload.js';
import { readEvents, waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { IN_USE_FLAG_OFFSET } from '../../src/engines/mysql/binlog-close-flag.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function setInUseFlag(path: string, inUse: boolean): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const flags = Buffer.alloc(2);
    await handle.read(flags, 0, 2, IN_USE_FLAG_OFFSET);
    flags.writeUInt16LE(inUse ? flags.readUInt16LE(0) | 1 : flags.readUInt16LE(0) & ~1, 0);
    await handle.write(flags, 0, 2, IN_USE_FLAG_OFFSET);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function indexNames(server: MariadbServer): Promise<string[]> {
  return (await readFile(`${server.binlogBasename}.index`, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('/').pop()!);
}

/** The format description event: the first event, its size at header bytes 9..12 (file bytes 13..16). */
async function formatDescriptionEvent(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  return bytes.subarray(4, 4 + bytes.readUInt32LE(13));
}

describe.each(['none', 'gzip'])('a binlog shipped before MariaDB cleared its in-use flag (real MariaDB, compression %s)', (compression) => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let logsDir: string;
  const suffix = compression === 'gzip' ? '.gz' : '';
  const readArchived = async (name: string): Promise<Buffer> => {
    const stored = await readFile(join(logsDir, `${name}${suffix}`));
    return compression === 'gzip' ? gunzipSync(stored) : stored;
  };
  const writeArchived = (name: string, bytes: Buffer): Promise<void> =>
    writeFile(join(logsDir, `${name}${suffix}`), compression === 'gzip' ? gzipSync(bytes) : bytes);

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { archive: `system_id = db1\ncompression = ${compression}` });
    logsDir = join(setup.archivePath, 'db1', 'logs');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await runWorkload(server, { transactions: 10, rotations: 2 });
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('closing a binlog changes only the in-use flag: the FD event CRC32 is computed as if the flag were clear', async () => {
    const open = (await indexNames(server)).pop()!;
    const whileOpen = await formatDescriptionEvent(join(server.binlogDir, open));
    expect(whileOpen.readUInt16LE(17) & 1).toBe(1);
    await server.query('FLUSH BINARY LOGS');
    const afterClose = await formatDescriptionEvent(join(server.binlogDir, open));
    expect(afterClose.readUInt16LE(17) & 1).toBe(0);
    expect(afterClose.length).toBe(whileOpen.length);
    const differing = [...afterClose.keys()].filter((i) => afterClose[i] !== whileOpen[i]);
    // Byte 17 of the event is file byte 21: the low byte of the flags word. The trailing CRC32 is the same.
    expect(differing).toEqual([IN_USE_FLAG_OFFSET - 4]);
  });

  it('a copy shipped while the flag was still set is replaced by the clean file once the server has cleared it', async () => {
    const names = await indexNames(server);
    const victim = names[names.length - 2]!;
    const path = join(server.binlogDir, victim);
    const clean = await readFile(path);
    // As if MariaDB had not yet cleared the flag: ship waits for it (bounded), then ships it as crash-closed.
    await setInUseFlag(path, true);
    const first = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const flagged = await readArchived(victim);
    expect(flagged[IN_USE_FLAG_OFFSET]).toBe(clean[IN_USE_FLAG_OFFSET]! | 1);
    const flaggedMetadata = JSON.parse(await readFile(join(logsDir, `${victim}.json`), 'utf8'));
    expect(flaggedMetadata.cleanClose).toBe(false);
    expect(flaggedMetadata.sha256).toBe(sha256(flagged));

    // The server finishes closing it.
    await setInUseFlag(path, false);
    const verifyBefore = await snaplog(['verify', '--json', '--config', setup.configPath]);
    expect(verifyBefore.code).toBe(1);
    expect(JSON.parse(verifyBefore.stdout).problems).toEqual([
      { file: victim, problem: expect.stringMatching(/only in the binlog in-use flag.*next snaplog ship replaces it/) },
    ]);

    for (const args of [['status'], ['ship', '--once'], ['status']]) {
      const result = await snaplog([...args, '--config', setup.configPath]);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    const archived = await readArchived(victim);
    expect(archived.equals(clean)).toBe(true);
    const metadata = JSON.parse(await readFile(join(logsDir, `${victim}.json`), 'utf8'));
    expect(metadata).toMatchObject({
      sha256: sha256(clean),
      size: clean.length,
      cleanClose: true,
      replaced: { sha256: sha256(flagged), headSha256: flaggedMetadata.headSha256 },
    });
    const events = await readEvents(setup.ipcFolder);
    expect(events.filter((event) => event.type === 'log-replaced').map((event) => [event.log, event.replacedSha256])).toEqual([[victim, sha256(flagged)]]);

    const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report.problems).toEqual([]);
    expect(report.sourceCheck.compared).toBe((await indexNames(server)).length - 1);
    // freeze ships through and works; thaw releases.
    expect((await snaplog(['freeze', '--quiet', '--config', setup.configPath])).code).toBe(0);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
  });

  it('a replacement that died before its metadata was rewritten is finished by the next ship', async () => {
    const names = await indexNames(server);
    const victim = names[names.length - 2]!;
    const path = join(server.binlogDir, victim);
    const clean = await readFile(path);
    const metadataPath = join(logsDir, `${victim}.json`);
    // The archive as a ship run left it after publishing the clean data, before rewriting the flagged copy's metadata.
    const flagged = Buffer.from(clean);
    flagged[IN_USE_FLAG_OFFSET]! |= 1;
    const metadata = JSON.parse(await readFile(metadataPath, 'utf8'));
    await writeFile(metadataPath, JSON.stringify({ ...metadata, sha256: sha256(flagged), headSha256: sha256(flagged.subarray(0, 4096)), cleanClose: false }));
    const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readArchived(victim)).equals(clean)).toBe(true);
    expect(JSON.parse(await readFile(metadataPath, 'utf8'))).toMatchObject({ sha256: sha256(clean), cleanClose: true, replaced: { sha256: sha256(flagged) } });
    expect((await snaplog(['verify', '--config', setup.configPath])).code).toBe(0);
  });

  it('a flagged copy published without its metadata (a run died in between) is replaced too', async () => {
    const victim = (await indexNames(server))[1]!;
    const clean = await readFile(join(server.binlogDir, victim));
    const flagged = Buffer.from(clean);
    flagged[IN_USE_FLAG_OFFSET]! |= 1;
    await writeArchived(victim, flagged);
    await rm(join(logsDir, `${victim}.json`));
    const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readArchived(victim)).equals(clean)).toBe(true);
    expect(JSON.parse(await readFile(join(logsDir, `${victim}.json`), 'utf8'))).toMatchObject({
      sha256: sha256(clean),
      cleanClose: true,
      replaced: { sha256: sha256(flagged) },
    });
  });

  it('a copy that differs in another byte besides the flag is refused with the failover HINT and never touched', async () => {
    const victim = (await indexNames(server))[0]!;
    const metadataPath = join(logsDir, `${victim}.json`);
    const original = await readArchived(victim);
    const originalMetadata = await readFile(metadataPath, 'utf8');
    // Another server's log under the same name: flagged, and one byte of the server version string differs.
    const other = Buffer.from(original);
    other[IN_USE_FLAG_OFFSET]! |= 1;
    other[30]! ^= 0x01;
    await writeArchived(victim, other);
    const metadata = JSON.parse(originalMetadata);
    await writeFile(metadataPath, JSON.stringify({ ...metadata, sha256: sha256(other), headSha256: sha256(other.subarray(0, 4096)) }));
    try {
      const result = await snaplog(['ship', '--once', '--config', setup.configPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`${victim.replace('.', '\\.')} already archived with a different checksum`));
      expect(result.stderr).toMatch(/HINT: a different log under the same name: .*failed-over replica.*its own \[archive\] system_id/);
      expect((await readArchived(victim)).equals(other)).toBe(true);
      const verify = JSON.parse((await snaplog(['verify', '--json', '--config', setup.configPath])).stdout);
      // Besides the broken CRC32 of the changed event, verify names the difference from the server's file.
      expect(verify.problems).toContainEqual({
        file: victim,
        problem: expect.stringMatching(/differs from the server's .*a different log under the same name/),
      });
    } finally {
      await writeArchived(victim, original);
      await writeFile(metadataPath, originalMetadata);
    }
  });

  it('verify says it skipped the comparison when it cannot reach the server', async () => {
    await server.stop();
    const verify = await snaplog(['verify', '--config', setup.configPath]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/skipped comparing with the server's files: cannot reach the server/);
  });
});

describe('the ship service recovers by itself from a copy shipped before the flag was cleared (real MariaDB)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let service: ChildProcess | undefined;

  afterAll(async () => {
    if (service && service.exitCode === null) service.kill('SIGKILL');
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('ships the flagged file as crash-closed, then replaces it with the clean one on a later round, without a restart', async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { archive: 'system_id = db1' });
    const logsDir = join(setup.archivePath, 'db1', 'logs');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await runWorkload(server, { transactions: 5, rotations: 1 });
    const victim = (await indexNames(server))[0]!;
    const path = join(server.binlogDir, victim);
    const clean = await readFile(path);
    await setInUseFlag(path, true);
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: 'ignore' });
    const flaggedMetadata = await waitFor(`${victim} archived`, async () => JSON.parse(await readFile(join(logsDir, `${victim}.json`), 'utf8')));
    expect(flaggedMetadata.cleanClose).toBe(false);
    await setInUseFlag(path, false);
    const metadata = await waitFor('the clean copy to replace the flagged one', async () => {
      const current = JSON.parse(await readFile(join(logsDir, `${victim}.json`), 'utf8'));
      return current.replaced ? current : undefined;
    });
    expect(metadata).toMatchObject({ sha256: sha256(clean), cleanClose: true, replaced: { sha256: flaggedMetadata.sha256 } });
    expect((await readFile(join(logsDir, victim))).equals(clean)).toBe(true);
    const status = await snaplog(['status', '--config', setup.configPath]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    service.kill('SIGTERM');
    expect(await new Promise<number | null>((resolve) => service!.once('exit', resolve))).toBe(0);
  });
});
