import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { startAzurite, AZURITE_ACCOUNT, AZURITE_KEY } from '../support/azurite.js';
import type { Azurite } from '../support/azurite.js';

/**
 * The archive is written by every VM of a fleet (NFS as nobody) or by anyone with a write SAS (Blob):
 * snaplog, as root, must use no path from it before checking it. Each case forges entries the way an
 * attacker would, runs what a DBA runs, and checks that nothing outside the archive and the restore's own
 * folders was created, changed or removed, that the good entries still work, and that every command ends
 * with warnings or one clear error (with a HINT), never a stack trace.
 */

interface FileState {
  kind: string;
  mode: number;
  size: number;
  mtimeMs: number;
  content?: string;
}

/** Every file under `roots` (links not followed) with mode, size, mtime and sha256; `skip` folders left out. */
async function treeState(roots: string[], skip: string[]): Promise<Record<string, FileState>> {
  const state: Record<string, FileState> = {};
  const walk = async (path: string): Promise<void> => {
    if (skip.includes(path)) return;
    const info = await lstat(path);
    const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
    const entry: FileState = { kind, mode: info.mode, size: info.size, mtimeMs: info.mtimeMs };
    if (kind === 'file')
      entry.content = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    if (kind === 'link') entry.content = await readlink(path);
    state[path] = entry;
    if (kind === 'dir') for (const name of await readdir(path)) await walk(join(path, name));
  };
  for (const root of roots) await walk(root);
  return state;
}

/** No stack trace, no raw JavaScript error, no internal frames: what an operator may see. */
function expectNoCrash(result: CliResult, what: string): void {
  expect(result.stderr, what).not.toMatch(/\n\s+at\s|node:internal|\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|^snaplog: Error:|\[object /m);
  expect(result.stdout, what).not.toMatch(/\n\s+at\s|node:internal/);
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('snaplog: ') && !line.startsWith('snaplog: warning:'));
}

function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('snaplog: warning:'));
}

/** A failure that is one clear error naming `pattern`, with a HINT. */
function expectOneError(result: CliResult, pattern: RegExp, what: string): void {
  expectNoCrash(result, what);
  expect(result.code, `${what}: ${result.stderr}`).toBe(1);
  const errors = errorLines(result.stderr);
  expect(errors, `${what}: ${result.stderr}`).toHaveLength(1);
  expect(errors[0], what).toMatch(pattern);
  expect(result.stderr, what).toMatch(/^HINT: /m);
}

/** Success with exactly one warning per refused entry, each naming its file. */
function expectWarnedOnce(result: CliResult, files: string[], what: string): void {
  expectNoCrash(result, what);
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
  const warnings = warningLines(result.stderr);
  for (const file of files)
    expect(
      warnings.filter((line) => line.includes(`${file}:`)),
      `${what}: ${file} in ${result.stderr}`,
    ).toHaveLength(1);
  expect(errorLines(result.stderr), what).toEqual([]);
}

interface Metadata {
  name: string;
  sequence: number;
  storedName: string;
  compression: string;
  [key: string]: unknown;
}

describe('hostile archive, posix driver (real MariaDB, real files and links)', () => {
  let base: string;
  let source: MariadbServer;
  let target: MariadbServer;
  let setup: SnaplogTestSetup;
  let archive: string;
  let pristine: string;
  let sentinel: string;
  let stagings: string;
  let systemId: string;
  let logs: string;
  let snapshots: string;
  let goodLogNames: string[];
  let lastMetadata: Metadata;
  let snapshotId: string;
  let stagingCount = 0;

  const config = (): string[] => ['--config', setup.configPath];
  const outside = (): Promise<Record<string, FileState>> => treeState([base, setup.dir], [archive, setup.ipcFolder, stagings]);
  const newStaging = (): string => join(stagings, `run-${++stagingCount}`);

  /** The target server back at the snapshot's state, without binlogging the reset. */
  async function resetTarget(): Promise<void> {
    const connection = await target.connect();
    try {
      await connection.query('SET sql_log_bin = 0');
      await connection.query('DROP DATABASE IF EXISTS s');
      await connection.query('CREATE DATABASE s');
      await connection.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
      await connection.query('INSERT INTO s.t VALUES (1)');
    } finally {
      await connection.end();
    }
  }

  /** A real restore into the target that must apply exactly the good logs. */
  async function restoreForReal(what: string): Promise<CliResult> {
    await resetTarget();
    const result = await snaplog(['restore', '--latest', '--target-socket', target.socket, '--staging', newStaging(), ...config()]);
    expectNoCrash(result, what);
    expect(result.code, `${what}: ${result.stderr}`).toBe(0);
    expect(await target.query('SELECT COUNT(*) AS n FROM s.after')).toEqual([{ n: '2' }]);
    return result;
  }

  beforeAll(async () => {
    base = await makeTempDir('hostile');
    archive = join(base, 'archive');
    pristine = join(base, 'pristine');
    sentinel = join(base, 'sentinel');
    stagings = join(base, 'stagings');
    await mkdir(stagings);
    source = await startMariadb();
    target = await startMariadb();
    setup = await writeSnaplogConfig(source, { archivePath: archive });
    expect((await snaplog(['archive', 'init', '--force', ...config()])).code).toBe(0);
    await source.query('CREATE DATABASE s');
    await source.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
    await source.query('INSERT INTO s.t VALUES (1)');
    await source.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', ...config()])).code).toBe(0);
    const freeze = await snaplog(['freeze', ...config()]);
    expect(freeze.code, freeze.stderr).toBe(0);
    expect((await snaplog(['thaw', ...config()])).code).toBe(0);
    await source.query('CREATE TABLE s.after (id INT PRIMARY KEY)');
    await source.query('INSERT INTO s.after VALUES (1), (2)');
    await source.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', ...config()])).code).toBe(0);
    [systemId] = (await readdir(archive)).filter((name) => !name.startsWith('.'));
    logs = join(archive, systemId!, 'logs');
    snapshots = join(archive, systemId!, 'snapshots');
    const metadataFiles = (await readdir(logs)).filter((name) => name.endsWith('.json')).sort();
    goodLogNames = metadataFiles.map((name) => name.slice(0, -'.json'.length));
    lastMetadata = JSON.parse(await readFile(join(logs, metadataFiles[metadataFiles.length - 1]!), 'utf8')) as Metadata;
    [snapshotId] = (await readdir(snapshots)).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
    expect(goodLogNames.length).toBeGreaterThanOrEqual(3);
    await cp(archive, pristine, { recursive: true, preserveTimestamps: true });
  }, 180_000);

  beforeEach(async () => {
    await rm(archive, { recursive: true, force: true });
    await cp(pristine, archive, { recursive: true, preserveTimestamps: true });
    await rm(sentinel, { recursive: true, force: true });
    await mkdir(sentinel);
    await writeFile(join(sentinel, 'victim'), 'a file root must not delete');
    await writeFile(join(sentinel, 'victim-abs'), 'a file root must not delete either');
    await writeFile(join(sentinel, 'victim2.json'), '{"a snapshot-shaped file root must not delete": true}');
    await writeFile(join(sentinel, 'victim-abs.json'), '{}');
  });

  afterAll(async () => {
    await snaplog(['thaw', ...config()]).catch(() => undefined);
    await stopAllMariadb();
    await removeDirs(base, setup?.dir);
  });

  it('a metadata file whose name climbs out of the staging folder: refused, warned once, restore applies the good logs only', async () => {
    // The attack from the issue: valid sha256 (a real log's), the next sequence, a name that leaves staging/logs.
    const staging = newStaging();
    const escaped = relative(join(staging, 'logs'), join(sentinel, 'escaped'));
    await writeFile(join(logs, 'zz.json'), JSON.stringify({ ...lastMetadata, name: escaped, sequence: lastMetadata.sequence + 1 }));
    await writeFile(join(logs, 'zy.json'), JSON.stringify({ ...lastMetadata, name: join(sentinel, 'escaped-abs'), sequence: lastMetadata.sequence + 2 }));
    const before = await outside();
    const forged = [`${systemId}/logs/zz.json`, `${systemId}/logs/zy.json`];

    const list = await snaplog(['list', '--json', ...config()]);
    expectWarnedOnce(list, forged, 'list');
    const listed = JSON.parse(list.stdout);
    expect(listed.logs.count).toBe(goodLogNames.length);
    expect(listed.snapshots.map((snapshot: { id: string }) => snapshot.id)).toEqual([snapshotId]);
    expect(listed.warnings.map((warning: { file: string }) => warning.file).sort()).toEqual([...forged].sort());

    const verify = await snaplog(['verify', '--json', ...config()]);
    expectNoCrash(verify, 'verify');
    expect(verify.code).toBe(1);
    const report = JSON.parse(verify.stdout);
    expect(report.checked).toBe(goodLogNames.length);
    for (const file of forged) {
      const problem = report.problems.find((candidate: { file: string }) => candidate.file === file)?.problem;
      expect(problem, file).toMatch(/forged or foreign metadata: its name .* is not a valid archive name/);
    }
    const verifyText = await snaplog(['verify', ...config()]);
    expect(verifyText.stdout).toContain(`PROBLEM ${systemId}/logs/zz.json: forged or foreign metadata`);

    const plan = await snaplog(['plan', '--latest', '--json', ...config()]);
    expectWarnedOnce(plan, forged, 'plan');
    expect(JSON.parse(plan.stdout).logs.map((log: { name: string }) => log.name)).not.toContain(escaped);

    const dryRun = await snaplog(['restore', '--latest', '--dry-run', '--target-socket', target.socket, '--staging', staging, ...config()]);
    expectWarnedOnce(dryRun, forged, 'restore --dry-run');
    expect(dryRun.stdout).not.toContain('escaped');

    const restored = await restoreForReal('restore');
    expect(restored.stdout).not.toContain('escaped');
    expect(warningLines(restored.stderr).filter((line) => line.includes('zz.json'))).toHaveLength(1);

    const prune = await snaplog(['prune', '--keep-days', '1', '--json', ...config()]);
    expectWarnedOnce(prune, forged, 'prune');
    expect(JSON.parse(prune.stdout).warnings).toHaveLength(2);
    expect(await outside()).toEqual(before);
  }, 120_000);

  it('a storedName that climbs out or is absolute, with sequence 0 (prune would delete it): never removed, never read', async () => {
    const forge = (name: string, storedName: string) => JSON.stringify({ ...lastMetadata, name, sequence: 0, storedName, compression: 'none' });
    await writeFile(join(logs, 'aa.json'), forge('aa', relative(logs, join(sentinel, 'victim'))));
    await writeFile(join(logs, 'ab.json'), forge('ab', join(sentinel, 'victim-abs')));
    await writeFile(join(logs, 'ac.json'), JSON.stringify({ ...lastMetadata, name: 'ac', sequence: 0, storedName: 'ac.gz', compression: '../../x' }));
    const forged = ['aa.json', 'ab.json', 'ac.json'].map((file) => `${systemId}/logs/${file}`);
    const before = await outside();

    expectWarnedOnce(await snaplog(['list', ...config()]), forged, 'list');
    const verify = await snaplog(['verify', '--json', ...config()]);
    expectNoCrash(verify, 'verify');
    const problems = JSON.parse(verify.stdout).problems as { file: string; problem: string }[];
    expect(problems.find((problem) => problem.file === forged[0])?.problem).toMatch(/its storedName ".*victim" is not aa/);
    expect(problems.find((problem) => problem.file === forged[1])?.problem).toMatch(/its storedName ".*victim-abs" is not ab/);
    expect(problems.find((problem) => problem.file === forged[2])?.problem).toMatch(/its compression/);
    expectWarnedOnce(await snaplog(['plan', '--latest', ...config()]), forged, 'plan');
    const dryRun = await snaplog(['restore', '--latest', '--dry-run', '--target-socket', target.socket, '--staging', newStaging(), ...config()]);
    expectWarnedOnce(dryRun, forged, 'restore --dry-run');
    const prune = await snaplog(['prune', '--keep-days', '1', '--json', ...config()]);
    expectWarnedOnce(prune, forged, 'prune');
    // The good logs before the snapshot are pruned as they should be; the forged ones are not touched at all.
    expect(JSON.parse(prune.stdout).removeLogs).not.toEqual(expect.arrayContaining(['aa', 'ab', 'ac']));
    expect((await readdir(logs)).filter((name) => /^a[abc]\.json$/.test(name))).toHaveLength(3);
    expect(await outside()).toEqual(before);
  }, 120_000);

  it('snapshot records: an id that climbs out, a foreign system, an unreadable record, a link: warned, the real snapshot still restores', async () => {
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const record = JSON.parse(await readFile(join(snapshots, `${snapshotId}.json`), 'utf8')) as Record<string, unknown>;
    await writeFile(join(snapshots, 'evil.json'), JSON.stringify({ ...record, id: relative(snapshots, join(sentinel, 'victim2')), time: old }));
    await writeFile(join(snapshots, 'evil-abs.json'), JSON.stringify({ ...record, id: join(sentinel, 'victim-abs'), time: old }));
    await writeFile(join(snapshots, 'foreign.json'), JSON.stringify({ ...record, id: 'foreign', systemId: 'another-server', time: old }));
    await writeFile(join(snapshots, 'broken.json'), '{"formatVersion": 1, "id": "broken", ');
    await symlink(join(sentinel, 'victim2.json'), join(snapshots, 'linked.json'));
    const forged = ['evil.json', 'evil-abs.json', 'foreign.json', 'broken.json', 'linked.json'].map((file) => `${systemId}/snapshots/${file}`);
    const before = await outside();

    const list = await snaplog(['list', '--json', ...config()]);
    expectWarnedOnce(list, forged, 'list');
    expect(JSON.parse(list.stdout).snapshots.map((snapshot: { id: string }) => snapshot.id)).toEqual([snapshotId]);
    const verify = await snaplog(['verify', '--json', ...config()]);
    const problems = JSON.parse(verify.stdout).problems as { file: string; problem: string }[];
    expect(problems.map((problem) => problem.file).sort()).toEqual([...forged].sort());
    expect(problems.find((problem) => problem.file.endsWith('foreign.json'))?.problem).toMatch(/belongs to system another-server/);
    expect(problems.find((problem) => problem.file.endsWith('broken.json'))?.problem).toMatch(/unreadable snapshot record/);
    expect(problems.find((problem) => problem.file.endsWith('linked.json'))?.problem).toMatch(/symbolic link/);
    expectWarnedOnce(await snaplog(['plan', '--latest', ...config()]), forged, 'plan');
    await restoreForReal('restore');
    const prune = await snaplog(['prune', '--keep-days', '1', '--json', ...config()]);
    expectWarnedOnce(prune, forged, 'prune');
    expect(JSON.parse(prune.stdout).removeSnapshots).toEqual([]);
    expect(await outside()).toEqual(before);
  }, 120_000);

  it('links and special files as entries (a metadata link, a data link, a FIFO, a system folder link, partial/ a link): refused, no hang', async () => {
    const metadataCopy = join(sentinel, 'meta.json');
    const copied = { ...lastMetadata, name: 'mysql-bin.999999', storedName: 'mysql-bin.999999', compression: 'none', sequence: lastMetadata.sequence + 1 };
    await writeFile(metadataCopy, JSON.stringify(copied));
    await symlink(metadataCopy, join(logs, 'mysql-bin.999999.json'));
    await symlink(join(sentinel, 'victim'), join(logs, 'mysql-bin.999999'));
    execFileSync('mkfifo', [join(logs, 'mysql-bin.999998.json')]);
    await symlink(sentinel, join(archive, 'evil'));
    await symlink(sentinel, join(archive, systemId, 'partial'));
    const forged = [`${systemId}/logs/mysql-bin.999999.json`, `${systemId}/logs/mysql-bin.999999`, `${systemId}/logs/mysql-bin.999998.json`];
    const before = await outside();

    const list = await snaplog(['list', '--json', ...config()]);
    expectWarnedOnce(list, [...forged, 'evil'], 'list');
    expect(JSON.parse(list.stdout).logs.count).toBe(goodLogNames.length);
    const verify = await snaplog(['verify', '--json', ...config()]);
    expectNoCrash(verify, 'verify');
    const problems = JSON.parse(verify.stdout).problems as { file: string; problem: string }[];
    for (const file of [...forged, 'evil'])
      expect(
        problems.map((problem) => problem.file),
        file,
      ).toContain(file);
    expect(problems.find((problem) => problem.file.endsWith('999998.json'))?.problem).toMatch(/special file/);
    expectWarnedOnce(await snaplog(['plan', '--latest', ...config()]), forged, 'plan');
    await restoreForReal('restore');
    // A new binlog on the source: ship still ships it; the partial/ link is never written through.
    await source.query('INSERT INTO s.after VALUES (3)');
    await source.query('FLUSH BINARY LOGS');
    const ship = await snaplog(['ship', '--once', ...config()]);
    expectNoCrash(ship, 'ship');
    expect(ship.code, ship.stderr).toBe(0);
    // With tailing on, the open log's copy would go to partial/: refused, one clear error, nothing written through the link.
    const tailing = join(stagings, 'tailing.conf');
    await writeFile(tailing, (await readFile(setup.configPath, 'utf8')).replace('[ship]', '[ship]\ntail = on'), { mode: 0o600 });
    await source.query('INSERT INTO s.after VALUES (4)');
    const tailed = await snaplog(['ship', '--once', '--config', tailing]);
    expectOneError(tailed, new RegExp(`archive path ${systemId}/partial is a symbolic link: refused`), 'ship with tailing');
    await rm(tailing);
    await source.query('DELETE FROM s.after WHERE id = 4');
    expectWarnedOnce(await snaplog(['prune', '--keep-days', '1', ...config()]), forged, 'prune');
    expect(await outside()).toEqual(before);
    await source.query('DELETE FROM s.after WHERE id = 3');
    await source.query('FLUSH BINARY LOGS');
  }, 120_000);

  it('a --system that is a path is a usage error before anything is opened', async () => {
    for (const system of ['../../etc', '/etc', `${systemId}/logs`]) {
      const result = await snaplog(['list', '--system', system, ...config()]);
      expectNoCrash(result, system);
      expect(result.code, system).toBe(2);
      expect(errorLines(result.stderr), system).toEqual([expect.stringMatching(/--system ".*" is not a system id/)]);
    }
  });

  for (const folder of ['logs', 'snapshots', '.'] as const) {
    const label = folder === '.' ? '<system>' : `<system>/${folder}`;
    it(`${label} itself a link to a folder outside: every command ends with one clear error naming it, nothing outside changes`, async () => {
      const decoy = join(sentinel, 'decoy');
      const linked = join(archive, systemId, folder);
      await cp(linked, decoy, { recursive: true, preserveTimestamps: true });
      await rm(linked, { recursive: true });
      await symlink(decoy, linked);
      const before = await outside();
      const refused = new RegExp(`archive path ${systemId}${folder === '.' ? '' : `/${folder}`} is a symbolic link: refused`);
      // The system named explicitly (as [archive] system_id does): its folder is opened, and refused.
      const system = ['--system', systemId];
      expectOneError(await snaplog(['list', ...system, ...config()]), refused, 'list');
      expectOneError(await snaplog(['verify', ...system, ...config()]), refused, 'verify');
      expectOneError(await snaplog(['plan', '--latest', ...system, ...config()]), refused, 'plan');
      const restoreArgs = (): string[] => ['restore', '--latest', '--target-socket', target.socket, '--staging', newStaging(), ...system, ...config()];
      expectOneError(await snaplog([...restoreArgs(), '--dry-run']), refused, 'restore --dry-run');
      expectOneError(await snaplog(restoreArgs()), refused, 'restore');
      expectOneError(await snaplog(['prune', '--keep-days', '1', ...system, ...config()]), refused, 'prune');
      if (folder === '.') {
        // Found by listing instead: the link is no system folder, so the archive holds none.
        const list = await snaplog(['list', ...config()]);
        expectOneError(list, /holds no system yet/, 'list without --system');
        expect(warningLines(list.stderr)).toEqual([expect.stringContaining(`${systemId}: a symbolic link at the archive root`)]);
      }
      expect(await outside()).toEqual(before);
    }, 120_000);
  }
});

describe('hostile archive, Azure Blob driver (Azurite): forged names never reach other blobs or local files', () => {
  let base: string;
  let azurite: Azurite;
  let container: ContainerClient;
  let source: MariadbServer;
  let target: MariadbServer;
  let setup: SnaplogTestSetup;
  let sentinel: string;
  let systemId: string;
  /** Blobs outside the archive's prefix or outside its system: a forged `..` must never reach them. */
  const victims: Record<string, string> = {
    victim: 'root blob',
    'victim-snap.json': '{}',
    'prod/victim': 'prefix blob',
    'prod/victim-snap.json': '{}',
    'other/sys/logs/x': 'another system',
  };

  const config = (): string[] => ['--config', setup.configPath];

  async function blobNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    return names.sort();
  }

  beforeAll(async () => {
    base = await makeTempDir('hostile-blob');
    sentinel = join(base, 'sentinel');
    await mkdir(sentinel);
    await writeFile(join(sentinel, 'victim'), 'local file');
    await mkdir(join(base, 'stagings'));
    azurite = await startAzurite();
    container = new ContainerClient(`${azurite.endpoint}/snaplog`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    await container.create();
    await writeFile(join(base, 'blob.connection'), `${azurite.connectionString}\n`, { mode: 0o600 });
    source = await startMariadb();
    target = await startMariadb();
    setup = await writeSnaplogConfig(source);
    const blobKeys = `url = ${azurite.endpoint}/snaplog/prod\nconnection_string_file = ${join(base, 'blob.connection')}`;
    const text = (await readFile(setup.configPath, 'utf8')).replace(/^path = .*$/m, blobKeys);
    await writeFile(setup.configPath, text);
    expect((await snaplog(['archive', 'init', '--force', ...config()])).code).toBe(0);
    await source.query('CREATE DATABASE s');
    await source.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
    await source.query('INSERT INTO s.t VALUES (1)');
    await source.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', ...config()])).code).toBe(0);
    expect((await snaplog(['freeze', ...config()])).code).toBe(0);
    expect((await snaplog(['thaw', ...config()])).code).toBe(0);
    await source.query('CREATE TABLE s.after (id INT PRIMARY KEY)');
    await source.query('INSERT INTO s.after VALUES (1), (2)');
    await source.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', ...config()])).code).toBe(0);
    systemId = (await blobNames()).find((name) => name.startsWith('prod/') && name.includes('/logs/'))!.split('/')[1]!;
    for (const [name, content] of Object.entries(victims)) await container.getBlockBlobClient(name).upload(content, content.length);
  }, 180_000);

  afterAll(async () => {
    await snaplog(['thaw', ...config()]).catch(() => undefined);
    await stopAllMariadb();
    await azurite?.stop();
    await removeDirs(base, setup?.dir);
  });

  it('forged name, storedName and snapshot id with .. and absolute paths: warned, refused, the good entries list, plan, restore and prune', async () => {
    const put = (name: string, content: string) => container.getBlockBlobClient(`prod/${systemId}/${name}`).upload(content, content.length);
    const names = await blobNames();
    const lastMetadataName = names
      .filter((name) => name.startsWith(`prod/${systemId}/logs/`) && name.endsWith('.json'))
      .sort()
      .pop()!;
    const lastMetadata = JSON.parse((await container.getBlockBlobClient(lastMetadataName).downloadToBuffer()).toString()) as Metadata;
    const snapshotName = names.find((name) => name.startsWith(`prod/${systemId}/snapshots/`))!;
    const record = JSON.parse((await container.getBlockBlobClient(snapshotName).downloadToBuffer()).toString()) as Record<string, unknown>;
    const staging = join(base, 'stagings', 'dry-run');
    const escaped = relative(join(staging, 'logs'), join(sentinel, 'escaped'));
    await put('logs/zz.json', JSON.stringify({ ...lastMetadata, name: escaped, sequence: lastMetadata.sequence + 1 }));
    await put('logs/aa.json', JSON.stringify({ ...lastMetadata, name: 'aa', sequence: 0, storedName: '../../../victim', compression: 'none' }));
    await put('logs/ab.json', JSON.stringify({ ...lastMetadata, name: 'ab', sequence: 0, storedName: '../../victim', compression: 'none' }));
    await put('logs/ac.json', JSON.stringify({ ...lastMetadata, name: 'ac', sequence: 0, storedName: '/victim', compression: 'none' }));
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    await put('snapshots/evil.json', JSON.stringify({ ...record, id: '../../../victim-snap', time: old }));
    await put('snapshots/evil2.json', JSON.stringify({ ...record, id: '../../victim-snap', time: old }));
    await put('snapshots/foreign.json', JSON.stringify({ ...record, id: 'foreign', systemId: 'other', time: old }));
    const forgedFiles = [
      'logs/zz.json',
      'logs/aa.json',
      'logs/ab.json',
      'logs/ac.json',
      'snapshots/evil.json',
      'snapshots/evil2.json',
      'snapshots/foreign.json',
    ];
    const forged = forgedFiles.map((file) => `${systemId}/${file}`);
    const blobsBefore = await blobNames();
    const localBefore = await treeState([base], [join(base, 'stagings')]);

    const list = await snaplog(['list', '--json', ...config()]);
    expectWarnedOnce(list, forged, 'list');
    expect(JSON.parse(list.stdout).snapshots).toHaveLength(1);
    const verify = await snaplog(['verify', '--json', ...config()]);
    expectNoCrash(verify, 'verify');
    const problems = JSON.parse(verify.stdout).problems as { file: string }[];
    for (const file of forged)
      expect(
        problems.map((problem) => problem.file),
        file,
      ).toContain(file);
    expectWarnedOnce(await snaplog(['plan', '--latest', ...config()]), forged, 'plan');
    const dryRun = await snaplog(['restore', '--latest', '--dry-run', '--target-socket', target.socket, '--staging', staging, ...config()]);
    expectWarnedOnce(dryRun, forged, 'restore --dry-run');

    const connection = await target.connect();
    await connection.query('SET sql_log_bin = 0');
    await connection.query('CREATE DATABASE s');
    await connection.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
    await connection.query('INSERT INTO s.t VALUES (1)');
    await connection.end();
    const restore = await snaplog(['restore', '--latest', '--target-socket', target.socket, '--staging', join(base, 'stagings', 'real'), ...config()]);
    expectWarnedOnce(restore, forged, 'restore');
    expect(restore.stdout).not.toContain('escaped');
    expect(await target.query('SELECT COUNT(*) AS n FROM s.after')).toEqual([{ n: '2' }]);

    const prune = await snaplog(['prune', '--keep-days', '1', '--json', ...config()]);
    expectWarnedOnce(prune, forged, 'prune');
    const pruned = JSON.parse(prune.stdout) as { removeLogs: string[]; removeSnapshots: string[] };
    expect(pruned.removeSnapshots).toEqual([]);
    const blobsAfter = await blobNames();
    // Only the good logs before the snapshot went; every victim blob and every forged entry is still there.
    const removed = blobsBefore.filter((name) => !blobsAfter.includes(name));
    expect(removed.length).toBeGreaterThan(0);
    for (const name of removed)
      expect(
        pruned.removeLogs.some((log) => name.startsWith(`prod/${systemId}/logs/${log}`)),
        name,
      ).toBe(true);
    for (const [name, content] of Object.entries(victims)) expect((await container.getBlockBlobClient(name).downloadToBuffer()).toString(), name).toBe(content);
    expect(await treeState([base], [join(base, 'stagings')])).toEqual(localBefore);
  }, 180_000);
});
