/**
 * A fourth engine is one folder plus one registry line: the toy engine (test/support/toy-engine/) registers
 * itself with its own config section, its config file (`workload_name = toy`, `[toy]`) goes through loadConfig
 * as any other, and it is shipped (Shipper → pushLog), frozen (its quiesce position recorded as freeze records it),
 * planned and restored through the same functions `snaplog ship`, `plan` and `restore` call (the registry and
 * the conductor, which fetches and checks its logs and emits its restore events), then planned and dry-run restored
 * by the CLI itself, in-process (`run(argv)` of src/cli/main.ts).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Archive } from '../../src/archive/archive.js';
import { run } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import type { SnaplogConfig } from '../../src/config/index.js';
import { createEngine, ENGINE_CONFIG, engineOf, requireCapability } from '../../src/engines/registry.js';
import type { RestoreRequest } from '../../src/engines/types.js';
import { EventChannel } from '../../src/events/channel.js';
import { conductRestore } from '../../src/restore/conduct.js';
import { Shipper } from '../../src/ship/shipper.js';
import { readEvents } from '../support/observe.js';
import { ToyDatabase } from '../support/toy-engine/engine.js';
import type { ToyWrite } from '../support/toy-engine/engine.js';
import '../support/toy-engine/index.js';

const T0 = Date.parse('2026-11-30T02:00:00Z') / 1000;

/** The state folder as key → value. */
async function folderContent(folder: string): Promise<Record<string, string>> {
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(folder, name), 'utf8')] as const)));
}

/** What the state is after the writes up to `time` (inclusive), starting from nothing. */
function stateAt(writes: ToyWrite[], time: number): Record<string, string> {
  const state: Record<string, string> = {};
  for (const write of writes) if (write.time <= time) state[write.key] = write.value;
  return Object.fromEntries(Object.entries(state).sort(([a], [b]) => a.localeCompare(b)));
}

describe('a fourth engine: the toy engine, registered from test/support/toy-engine/', () => {
  let dir: string;
  let configPath: string;
  let config: SnaplogConfig;
  let archive: Archive;
  let events: EventChannel;
  let database: ToyDatabase;
  const writes: ToyWrite[] = [];
  const snapshotFolder = (): string => join(dir, 'restored');
  const loadOptions = (): { configPath: string; workloadConfPath: string } => ({ configPath, workloadConfPath: join(dir, 'no-workload.conf') });

  const request = (
    purpose: RestoreRequest['purpose'],
    options: Record<string, unknown>,
    said: string[] = [],
  ): Omit<RestoreRequest, 'archive' | 'systemId'> => ({
    config,
    events,
    purpose,
    options,
    say: (line) => void said.push(line),
    printJson: () => undefined,
  });
  const open = async (): Promise<{ archive: Archive; systemId: string }> => ({ archive, systemId: 'toy-system' });

  /** `snaplog ARGV` in this process, as bin/snaplog runs it: exit code and what it printed. */
  const snaplogInProcess = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const printed = { stdout: '', stderr: '' };
    const capture =
      (stream: 'stdout' | 'stderr') =>
      (chunk: string | Uint8Array): boolean => {
        printed[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        return true;
      };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture('stdout'));
    vi.spyOn(process.stderr, 'write').mockImplementation(capture('stderr'));
    try {
      return { code: await run(argv), ...printed };
    } finally {
      vi.restoreAllMocks();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snaplog-toy-'));
    for (const folder of ['logs', 'data', 'ipc']) await mkdir(join(dir, folder));
    configPath = join(dir, 'snaplog.conf');
    await writeFile(
      configPath,
      `[workload]\nworkload_name = toy\nipc_folder = ${join(dir, 'ipc')}\n\n[archive]\npath = ${join(dir, 'archive')}\nsystem_id = toy-system\n\n` +
        `[toy]\nlog_dir = ${join(dir, 'logs')}\ndata_dir = ${join(dir, 'data')}\n`,
      { mode: 0o600 },
    );
    const loaded = await loadConfig(ENGINE_CONFIG, loadOptions());
    expect(loaded.warnings).toEqual([]);
    config = loaded.config;
    archive = (await Archive.init(join(dir, 'archive'))).archive;
    events = new EventChannel(join(dir, 'ipc'));
    database = new ToyDatabase(join(dir, 'logs'), join(dir, 'data'));
    await writeFile(join(dir, 'logs', 'toy.000001'), '');
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads its own [toy] section through loadConfig, and the config knows workload_name = toy from the registry alone', async () => {
    expect(config.workload.name).toBe('toy');
    expect(config.toy).toEqual({ logDir: join(dir, 'logs'), dataDir: join(dir, 'data') });
    expect(ENGINE_CONFIG.workloadNames).toContain('toy');
    expect(ENGINE_CONFIG.sections.map((section) => section.name)).toEqual(['mysql', 'oracle', 'iris', 'toy']);

    const write = async (name: string, text: string): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, text, { mode: 0o600 });
      return path;
    };
    const base = `[workload]\nworkload_name = toy\n[archive]\npath = /a\n`;
    const missing = await loadConfig(ENGINE_CONFIG, { configPath: await write('missing.conf', base), workloadConfPath: join(dir, 'none') }).catch(
      (error: unknown) => error,
    );
    expect(missing).toMatchObject({ exitCode: 2, location: { key: 'log_dir' }, message: expect.stringContaining('required in section [toy]') });
    const typo = await loadConfig(ENGINE_CONFIG, {
      configPath: await write('typo.conf', base.replace('= toy', '= toyy')),
      workloadConfPath: join(dir, 'none'),
    }).catch((error: unknown) => error);
    expect(typo).toMatchObject({
      exitCode: 2,
      location: { line: 2, key: 'workload_name' },
      message: expect.stringContaining('expected one of mysql, mariadb, oracle, iris, cache, toy'),
    });
    expect(typo).toMatchObject({ hint: expect.stringContaining('did you mean `workload_name = toy`?') });
    // Its mandatory keys bind only workload_name = toy: a MariaDB config without [toy] still loads.
    const mariadb = await loadConfig(ENGINE_CONFIG, {
      configPath: await write('mariadb.conf', base.replace('= toy', '= mariadb')),
      workloadConfPath: join(dir, 'none'),
    });
    expect(mariadb.config.toy).toBeUndefined();
  });

  it('is shipped, frozen, planned and restored to the state at the target through the registry and the conductor', async () => {
    const engine = await createEngine(config);
    expect(engine.kind).toBe('toy');
    const write = async (offset: number, key: string, value: string): Promise<void> => {
      const change = { time: T0 + offset, key, value };
      writes.push(change);
      await database.write(change);
    };
    await write(0, 'a', 'a0');
    await write(1, 'b', 'b0');
    await engine.switchLog();
    await write(2, 'a', 'a1');
    // The snapshot: quiesce, copy the state folder, record the position as freeze does.
    const quiesced = await engine.quiesce();
    await database.snapshotTo(snapshotFolder());
    await quiesced.release();
    await archive.writeSnapshot('toy-system', {
      formatVersion: 1,
      id: 'snap-1',
      systemId: 'toy-system',
      engine: 'toy',
      time: new Date((T0 + 2) * 1000).toISOString(),
      status: 'thawed',
      position: quiesced.position,
      host: 'test',
    });
    await write(3, 'c', 'c0');
    await write(4, 'a', 'a2');
    await engine.switchLog();
    await write(6, 'b', 'b1');
    await write(7, 'c', 'c1');
    await engine.switchLog();
    await write(9, 'a', 'a3');
    await engine.switchLog();

    const shipper = new Shipper(engine, archive, events, { compression: 'none', concurrency: 2 });
    const round = await shipper.round();
    expect(round.shipped.map((log) => log.name)).toEqual(['toy.000001', 'toy.000002', 'toy.000003', 'toy.000004']);
    expect(round.shipped[2]!.lastCommitTime).toBe(new Date((T0 + 7) * 1000).toISOString());

    const target = new Date((T0 + 6) * 1000).toISOString();
    const toy = await engineOf(config).restore();
    const plan = await conductRestore(toy, request('plan', { to: target }), open);
    expect(plan?.json).toMatchObject({ snapshot: 'snap-1', logs: ['toy.000002', 'toy.000003'] });

    const before = await folderContent(snapshotFolder());
    const dryRun = await conductRestore(toy, request('dry-run', { to: target, toyDir: snapshotFolder() }), open);
    expect(dryRun?.lines[0]).toBe(`snapshot snap-1 at toy.000002:${quiesced.position.position}`);
    expect(await folderContent(snapshotFolder())).toEqual(before);

    // Planning and a dry run emit no restore event for the toy (it asks for none); nothing was fetched.
    expect((await readEvents(join(dir, 'ipc'))).filter((event) => event.type.startsWith('restore-'))).toEqual([]);

    // A log that does not match its sha256: the conductor refuses it before the engine applies anything, and says so in the events.
    const stored = join(dir, 'archive', 'toy-system', 'logs', 'toy.000003');
    const original = await readFile(stored);
    await writeFile(stored, Buffer.from(original.toString('utf8').replace('b1', 'bX')));
    const refused = conductRestore(toy, request('restore', { to: target, toyDir: snapshotFolder(), staging: join(dir, 'staging-bad') }), open);
    await expect(refused).rejects.toThrow(/toy\.000003 does not match its recorded checksum/);
    await writeFile(stored, original);
    expect(await folderContent(snapshotFolder())).toEqual(before);
    const failed = (await readEvents(join(dir, 'ipc'))).filter((event) => event.type.startsWith('restore-'));
    expect(failed.map((event) => event.type)).toEqual(['restore-start', 'restore-failed']);
    expect(failed[0]).toMatchObject({ engine: 'toy', systemId: 'toy-system', snapshotId: 'snap-1', logs: 2 });
    const checksum = expect.stringContaining('does not match its recorded checksum');
    expect(failed[1]).toMatchObject({ level: 'alert', engine: 'toy', systemId: 'toy-system', snapshotId: 'snap-1', message: checksum });
    expect(failed[1]!['elapsedMs']).toEqual(expect.any(Number));

    const said: string[] = [];
    const staging = join(dir, 'staging');
    expect(await conductRestore(toy, request('restore', { to: target, toyDir: snapshotFolder(), staging }, said), open)).toBeUndefined();
    // The conductor made the staging folder through the engine, fetched and checked each log, then the engine applied them.
    expect(said).toEqual([`staging folder ${staging}`, 'fetched and verified toy.000002', 'fetched and verified toy.000003', 'applied 3 writes from 2 logs']);
    const done = (await readEvents(join(dir, 'ipc'))).filter((event) => event.type.startsWith('restore-')).slice(2);
    expect(done.map((event) => event.type)).toEqual(['restore-start', 'restore-done']);
    expect(done[0]).toMatchObject({ level: 'info', engine: 'toy', systemId: 'toy-system', snapshotId: 'snap-1', logs: 2 });
    expect(done[1]).toMatchObject({ level: 'info', engine: 'toy', systemId: 'toy-system', snapshotId: 'snap-1', writes: 3 });
    expect(done[1]!['elapsedMs']).toEqual(expect.any(Number));
    // Exactly the state at the target: the writes after the snapshot up to T0+6 applied, T0+7 and later not.
    expect(await folderContent(snapshotFolder())).toEqual(stateAt(writes, T0 + 6));
    expect(await folderContent(snapshotFolder())).toEqual({ a: 'a2', b: 'b1', c: 'c0' });
    await engine.close();
  });

  it('is planned and dry-run restored by the CLI itself, from its config file (in-process run of snaplog)', async () => {
    const target = new Date((T0 + 6) * 1000).toISOString();
    const plan = await snaplogInProcess('--config', configPath, 'plan', '--to', target, '--json');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ snapshot: 'snap-1', logs: ['toy.000002', 'toy.000003'] });

    const latest = await snaplogInProcess('--config', configPath, 'plan', '--latest', '--json');
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout)).toMatchObject({ snapshot: 'snap-1', logs: ['toy.000002', 'toy.000003', 'toy.000004'] });

    const scratch = join(dir, 'scratch');
    await mkdir(scratch);
    await writeFile(join(scratch, 'a'), 'untouched');
    const dryRun = await snaplogInProcess('--config', configPath, 'restore', '--dry-run', '--to', target, '--toy-dir', scratch);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout.split('\n')[0]).toMatch(/^snapshot snap-1 at toy\.000002:\d+$/);
    expect(await folderContent(scratch)).toEqual({ a: 'untouched' });

    const find = await snaplogInProcess('--config', configPath, 'find', '--query', 'DROP');
    expect(find.code).toBe(2);
    expect(find.stderr).toContain('snaplog find is not available for workload_name = toy (Toy)');
    expect(find.stderr).toContain('HINT:');
  });

  it('takes only the targets it knows, and refuses the commands it does not have with a usage error and a HINT', async () => {
    const toy = await engineOf(config).restore();
    expect(() => toy.parseTarget({ toGtid: '0-1-5' })).toThrow(/the toy engine has no GTIDs/);
    for (const [name, capability] of [
      ['toy', 'find'],
      ['oracle', 'find'],
      ['iris', 'drill'],
      ['cache', 'drill'],
    ] as const) {
      const other: SnaplogConfig = { ...config, workload: { ...config.workload, name } };
      let refusal: unknown;
      try {
        requireCapability(other, capability, capability);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({
        exitCode: 2,
        message: expect.stringContaining(`snaplog ${capability} is not available for workload_name = ${name}`),
        hint: expect.stringContaining('MySQL/MariaDB'),
      });
    }
    expect(requireCapability({ ...config, workload: { ...config.workload, name: 'mariadb' } }, 'drill', 'drill').label).toBe('MySQL/MariaDB');
  });
});
