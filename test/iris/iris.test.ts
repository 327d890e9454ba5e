import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { freezeDeadlines, readEvents, waitFor } from '../support/observe.js';
import { consecutiveNumbers, journalGaps, parseJournalName } from '../../src/engines/iris/journal-names.js';
import { journalSourceLogs } from '../../src/engines/iris/journal-files.js';
import { buildInvocation } from '../../src/engines/iris/client.js';
import { irisRestoreScript, utcHorolog } from '../../src/engines/iris/restore/script.js';
import { parseCredentials } from '../../src/engines/iris/credentials.js';
import { planIrisChain } from '../../src/engines/iris/restore/restore.js';
import { parsePasswdLine, stagedFileName } from '../../src/engines/staging.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';
import type { RestoreTarget } from '../../src/engines/restore-target.js';

const FAKE = resolve(import.meta.dirname, 'fake-iris.mjs');
const PASSWORD = 'Iris-pw-7c1d-never-in-argv';

describe('IRIS journals, terminal calls and restore scripts (pure)', () => {
  it('journal gaps by the IRIS rule: +1 within a day, .001 starts a later day', () => {
    expect(journalGaps(['20261122.001', '20261122.002', '20261123.001'])).toEqual([]);
    expect(journalGaps(['20261122.001', '20261122.004'])).toEqual([{ after: '20261122.001', before: '20261122.004', missing: '20261122.002, 20261122.003' }]);
    expect([...consecutiveNumbers(['20261123.001', '20261122.002', '20261122.003']).values()]).toEqual([1, 2, 3]);
  });
  it('prefixed (mirror) and compressed (z) journal names: one journal per name whatever its spelling', () => {
    expect(parseJournalName('MIRROR-M1-20261122.007z')).toMatchObject({ key: 'MIRROR-M1-20261122.007', compressed: true, day: 20261122, number: 7 });
    expect(parseJournalName('journal.log')).toBeUndefined();
    expect(journalGaps(['20261122.001z', '20261122.001', '20261122.002z', '20261122.003'])).toEqual([]);
    expect(journalGaps(['MIRROR-M1-20261122.001', 'MIRROR-M1-20261122.003z'])).toEqual([
      { after: 'MIRROR-M1-20261122.001', before: 'MIRROR-M1-20261122.003z', missing: 'MIRROR-M1-20261122.002' },
    ]);
    expect([...consecutiveNumbers(['20261122.001', '20261122.001z', '20261122.002z']).entries()]).toEqual([
      ['20261122.001', 1],
      ['20261122.002z', 2],
    ]);
  });
  it('a journal being compressed is listed once: the archived spelling if on disk, else left out once archived; else the uncompressed file', () => {
    const names = ['20261122.001z', '20261122.002', '20261122.002z', '20261122.003z', '20261122.004'];
    const listed = (archived: string[]) => journalSourceLogs('/j', names, '/j/20261122.004', new Set(archived)).map((log) => [log.name, log.closed]);
    expect(listed([])).toEqual([
      ['20261122.001z', true],
      ['20261122.002', true],
      ['20261122.003z', true],
      ['20261122.004', false],
    ]);
    // 001 and 003 were shipped before IRIS compressed them; 002 was shipped compressed.
    expect(listed(['20261122.001', '20261122.002z', '20261122.003'])).toEqual([
      ['20261122.002z', true],
      ['20261122.004', false],
    ]);
  });
  it('the plan walks the journal chain across midnight and finds the snapshot’s journal archived compressed (<name>z)', () => {
    const journal = (name: string, sequence: number, last: string): LogMetadata => ({
      formatVersion: 1,
      name,
      engine: 'iris',
      sequence,
      stream: `day ${Math.floor(sequence / 1000)}`,
      size: 10,
      sha256: 'x',
      headSha256: 'x',
      compression: 'none',
      storedName: name,
      storedSize: 10,
      firstCommitTime: last,
      lastCommitTime: last,
      firstEventTime: last,
      lastEventTime: last,
      startPosition: 0,
      endPosition: 10,
    });
    const logs = [
      journal('20261122.004', 20261122004, '2026-11-22T23:00:00Z'),
      journal('20261122.005z', 20261122005, '2026-11-22T23:59:00Z'),
      journal('20261123.001', 20261123001, '2026-11-23T00:30:00Z'),
      journal('20261123.003', 20261123003, '2026-11-23T02:00:00Z'),
    ];
    const snapshot: SnapshotRecord = {
      formatVersion: 1,
      id: 's1',
      systemId: 'sys',
      engine: 'iris',
      time: '2026-11-22T23:10:00Z',
      status: 'thawed',
      position: { file: '20261122.005', position: 0 },
      host: 'h',
    };
    const plan = planIrisChain({ snapshots: [snapshot], logs, target: { kind: 'time', time: Date.parse('2026-11-23T00:10:00Z') / 1000 } as RestoreTarget });
    expect(plan.logs.map((log) => log.name)).toEqual(['20261122.005z', '20261123.001']);
    // 20261123.002 is missing: the chain cannot reach a target after 20261123.001.
    expect(() =>
      planIrisChain({ snapshots: [snapshot], logs, target: { kind: 'time', time: Date.parse('2026-11-23T01:30:00Z') / 1000 } as RestoreTarget }),
    ).toThrow(/gap after 20261123.001/);
  });
  it('a log name from the archive is used in the staging folder only as a plain file name', () => {
    for (const name of ['20261122.004', '20261122.004z', 'MIRRORA-20261122.001', '1_41_1093456789.arc']) expect(stagedFileName(name)).toBe(name);
    for (const name of ['../../etc/cron.d/x', '/etc/passwd', '.hidden', 'a/b', '..', '20261122..001', ''])
      expect(() => stagedFileName(name)).toThrow(/not a plain file name/);
  });

  it('the instance owner’s ids come from its passwd line', () => {
    expect(parsePasswdLine('irisowner:x:51773:51773:InterSystems IRIS owner:/home/irisowner:/bin/bash', 'irisowner')).toEqual({ uid: 51773, gid: 51773 });
    expect(parsePasswdLine('irisusr:x:51774:51774::/:/bin/false', 'irisowner')).toBeUndefined();
    expect(parsePasswdLine('', 'irisowner')).toBeUndefined();
  });
  it('every journal but the current one is closed; other files are ignored', () => {
    const logs = journalSourceLogs('/j', ['20261122.002', 'journal.log', '20261122.001', '20261122.003'], '/j/20261122.003');
    expect(logs.map((log) => [log.name, log.closed])).toEqual([
      ['20261122.001', true],
      ['20261122.002', true],
      ['20261122.003', false],
    ]);
  });
  it('the terminal call carries no password: it answers the login prompt on stdin', () => {
    const call = buildInvocation(
      { flavour: 'iris', instance: 'IRIS', clientPath: '/usr/irissys/bin/iris', linuxUser: 'irisowner' },
      { entry: '##Class(Backup.General).ExternalFreeze()' },
      { username: 'snap', password: PASSWORD },
      'root',
    );
    expect(call.file).toBe('runuser');
    expect(call.args).toEqual(['-u', 'irisowner', '--', '/usr/irissys/bin/iris', 'terminal', 'IRIS', '-U%SYS', '##Class(Backup.General).ExternalFreeze()']);
    expect(call.args.join(' ')).not.toContain(PASSWORD);
    expect(call.input).toBe(`snap\n${PASSWORD}\n`);
    expect(
      buildInvocation({ flavour: 'cache', instance: 'CACHE', clientPath: 'csession', linuxUser: 'root' }, { lines: ['write 1'] }, undefined, 'root'),
    ).toEqual({ file: 'csession', args: ['CACHE', '-U%SYS'], input: 'write 1\nhalt\n' });
  });
  it('a credentials file needs a username and a password line', () => {
    const at = { file: '/etc/snaplog/snaplog.conf', key: 'credentials_file' };
    expect(parseCredentials(`username = snap\npassword = ${PASSWORD}\n`, 'iris.cred', at)).toEqual({ username: 'snap', password: PASSWORD });
    expect(() => parseCredentials('username = snap\n', 'iris.cred', at)).toThrow(/must hold a "username = …" and a "password = …" line/);
  });
  it('the restore script starts at the first journal, filters by the target (UTC → the instance’s local time)', () => {
    expect(utcHorolog(0)).toBe('47117,0');
    const script = irisRestoreScript({ files: ['/s/20261122.004', '/s/20261122.005'], stagingDir: '/s', stopTime: Date.parse('2026-11-22T14:05:00Z') / 1000 });
    expect(script.lines).toContain('set r.FirstFile="/s/20261122.004"');
    expect(script.lines).toContain('set r.LastFile="/s/20261122.005"');
    expect(script.lines).toContain('set r.Filter="^ZJRNFILT"');
    expect(script.lines[0]).toBe(`set stoph=$zdatetimeh("${utcHorolog(Date.parse('2026-11-22T14:05:00Z') / 1000)}",-3)`);
    expect(script.journalLog).toBe('/s/20261122.004\n/s/20261122.005\n');
    expect(script.lines.indexOf('do ##class(%Routine).Delete("ZJRNFILT.mac")')).toBeGreaterThan(script.lines.indexOf('set sc=r.Run()'));
    expect(irisRestoreScript({ files: ['/s/a.001'], stagingDir: '/s' }).lines.join('\n')).not.toContain('ZJRNFILT');
  });
});

interface FakeState {
  journalDir: string;
  current: string;
  frozen?: boolean;
  freezeExit?: number;
  thawExit?: number;
  login?: { username: string; password: string };
  clock?: number;
  compress?: boolean;
  freezeNoSwitch?: boolean;
  freezeDelayMs?: number;
  data?: Record<string, string>;
  restored?: Record<string, string>;
  restoredFiles?: string[];
}

describe('IRIS with a fake `iris` terminal (scripted instance: no IRIS can run here)', () => {
  let dir: string;
  let journalDir: string;
  let statePath: string;
  let configPath: string;
  let archivePath: string;
  let ipcFolder: string;
  const env = () => ({ FAKE_IRIS_STATE: statePath });
  const state = async (): Promise<FakeState> => JSON.parse(await readFile(statePath, 'utf8')) as FakeState;
  const setState = async (patch: Partial<FakeState>): Promise<void> => {
    await writeFile(`${statePath}.test-tmp`, JSON.stringify({ ...(await state()), ...patch }));
    await rename(`${statePath}.test-tmp`, statePath);
  };
  /** Feeds ObjectScript to the fake instance, as a user session would. */
  const terminal = async (lines: string[]): Promise<void> => {
    const child = spawn(join(dir, 'bin', 'iris'), ['terminal', 'IRIS', '-U%SYS'], { env: { ...process.env, ...env() }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(lines.map((line) => `${line}\n`).join(''));
    expect(await new Promise((done) => child.on('exit', done))).toBe(0);
  };
  const calls = async (): Promise<{ argv: string[]; entry?: string; loginOk?: boolean; restore?: boolean; passwordInSomeCmdline?: boolean }[]> =>
    (await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  const cli = (args: string[], timeoutMs?: number) => snaplog([...args, '--config', configPath], { env: env(), timeoutMs });

  async function writeConfig(extra: { workload?: string; iris?: string } = {}): Promise<void> {
    await writeFile(
      configPath,
      [
        '[workload]',
        'workload_name = iris',
        'instance = IRIS',
        `command_path = ${join(dir, 'bin')}`,
        `ipc_folder = ${ipcFolder}`,
        extra.workload ?? 'timeout = 30',
        '',
        '[archive]',
        `path = ${archivePath}`,
        '',
        '[iris]',
        extra.iris ?? '',
        '',
      ].join('\n'),
    );
  }

  beforeEach(async () => {
    dir = await makeTempDir('iris');
    journalDir = join(dir, 'journal');
    statePath = join(dir, 'fake-state.json');
    configPath = join(dir, 'snaplog.conf');
    archivePath = join(dir, 'archive');
    ipcFolder = join(dir, 'ipc');
    await mkdir(journalDir);
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'iris'), `#!${process.execPath}\nimport(${JSON.stringify(FAKE)});\n`);
    await chmod(join(dir, 'bin', 'iris'), 0o755);
    for (const name of ['20261122.001', '20261122.002', '20261122.003']) await writeFile(join(journalDir, name), Buffer.alloc(8192, name.length));
    await writeFile(statePath, JSON.stringify({ journalDir, current: '20261122.003' }));
    await writeConfig();
    expect((await cli(['archive', 'init', '--force'])).code).toBe(0);
  });
  afterEach(async () => {
    await cli(['thaw']).catch(() => undefined);
    await removeDirs(dir);
  });
  afterAll(async () => {
    await rm(join(import.meta.dirname, 'restore-script.txt'), { force: true });
  });

  const systemDir = async (): Promise<string> => join(archivePath, (await readdir(archivePath)).filter((entry) => !entry.startsWith('.'))[0]!);

  it('ship --once archives every journal but the current one, byte-identical, with metadata; a missing journal is a gap', async () => {
    const shipped = await cli(['ship', '--once']);
    expect(shipped.code, shipped.stderr).toBe(0);
    const logs = await readdir(join(await systemDir(), 'logs'));
    expect(logs.sort()).toEqual(['20261122.001', '20261122.001.json', '20261122.002', '20261122.002.json']);
    const metadata = JSON.parse(await readFile(join(await systemDir(), 'logs', '20261122.002.json'), 'utf8'));
    expect(metadata).toMatchObject({ engine: 'iris', name: '20261122.002', size: 8192 });
    expect(await readFile(join(await systemDir(), 'logs', '20261122.001'))).toEqual(await readFile(join(journalDir, '20261122.001')));

    // The instance moves on twice, and one journal is purged before snaplog sees it.
    await cli(['ship', '--once']);
    for (const name of ['20261122.004', '20261122.005']) await writeFile(join(journalDir, name), Buffer.alloc(1024, 7));
    await setState({ current: '20261122.005' });
    await rm(join(journalDir, '20261122.003'));
    const withGap = await cli(['ship', '--once']);
    expect(withGap.code).toBe(1);
    expect(withGap.stderr).toMatch(/gap/);
    expect((await readEvents(ipcFolder)).some((event) => event.type === 'gap')).toBe(true);
  });

  it('freeze: ExternalFreeze (exit 5) after the closed journal is shipped; the record names the journal it switched to; thaw: ExternalThaw', async () => {
    const freeze = await cli(['freeze', '--json']);
    expect(freeze.code, freeze.stderr).toBe(0);
    const result = JSON.parse(freeze.stdout);
    expect((await state()).frozen).toBe(true);
    expect(result.position.file).toBe((await state()).current);
    expect(result.method).toBe('external-freeze');
    const record = JSON.parse(await readFile(join(await systemDir(), 'snapshots', `${result.snapshotId}.json`), 'utf8'));
    expect(record).toMatchObject({ engine: 'iris', status: 'frozen', position: { file: result.position.file, position: 0 } });
    // The journal snaplog's own switch closed is in the archive before the freeze.
    expect(await readdir(join(await systemDir(), 'logs'))).toContain('20261122.003.json');

    const thaw = await cli(['thaw']);
    expect(thaw.code, thaw.stderr).toBe(0);
    expect((await state()).frozen).toBe(false);
    expect((await calls()).filter((call) => call.entry).map((call) => call.entry)).toEqual([
      '##Class(Backup.General).ExternalFreeze()',
      '##Class(Backup.General).ExternalThaw()',
    ]);
  });

  it('ExternalFreeze answering 3: ExternalThaw is called, freeze exits 1 with the reason', async () => {
    await setState({ freezeExit: 3 });
    const freeze = await cli(['freeze']);
    expect(freeze.code).toBe(1);
    expect(freeze.stderr).toMatch(/ExternalFreeze failed: the instance answered exit status 3/);
    expect((await calls()).filter((call) => call.entry).map((call) => call.entry)).toEqual([
      '##Class(Backup.General).ExternalFreeze()',
      '##Class(Backup.General).ExternalThaw()',
    ]);
  });

  it('ExternalFreeze answering 5 without switching the journal: thawed at once (no terminal session while frozen), freeze exits 1', async () => {
    await setState({ freezeNoSwitch: true });
    const freeze = await cli(['freeze']);
    expect(freeze.code).toBe(1);
    expect(freeze.stderr).toMatch(/ExternalFreeze did not switch the journal file/);
    expect((await state()).frozen).toBe(false);
    const seen = await calls();
    const frozenAt = seen.findIndex((call) => call.entry?.includes('ExternalFreeze'));
    expect(seen[frozenAt + 1]?.entry).toBe('##Class(Backup.General).ExternalThaw()');
  });

  it('ExternalFreeze froze but never answered within call_timeout: ExternalThaw follows, freeze exits 1', async () => {
    await writeConfig({ iris: 'call_timeout = 5' });
    await setState({ freezeDelayMs: 60_000 });
    const freeze = await cli(['freeze']);
    expect(freeze.code).toBe(1);
    expect(freeze.stderr).toMatch(/ExternalFreeze did not finish within 5 s/);
    expect((await state()).frozen).toBe(false);
    expect((await calls()).filter((call) => call.entry).map((call) => call.entry)).toEqual([
      '##Class(Backup.General).ExternalFreeze()',
      '##Class(Backup.General).ExternalThaw()',
    ]);
  });

  /** Live processes started for this test's fake instance (their command line names its fake `iris`). */
  const fakeProcessesLeft = async (): Promise<number[]> => {
    const left: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      const status = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      if (cmdline.split('\0').includes(join(dir, 'bin', 'iris')) && !/\) Z /.test(status)) left.push(Number(entry));
    }
    return left;
  };

  it('default timeouts (timeout 90, call_timeout 120), fake ExternalFreeze that freezes and hangs: the watchdog runs before the call, the pre-step gives up at its own 90 s deadline, kills the hung call, the instance ends thawed, thaw reports the failure', async () => {
    await writeConfig({ workload: '' });
    const check = await cli(['config', 'check']);
    expect(check.stdout).toMatch(/"timeoutSeconds": 90\b/);
    await setState({ freezeDelayMs: 600_000 });
    const freezing = cli(['freeze'], 200_000);
    // While ExternalFreeze hangs, the watchdog is already there.
    await waitFor('the fake ExternalFreeze to hang', async () => (await calls()).some((call) => (call as { slow?: boolean }).slow), 60_000);
    const during = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { state: string; watchdogPid?: number };
    expect(during.state).toBe('freezing');
    expect(during.watchdogPid).toBeGreaterThan(0);
    expect((await readFile(`/proc/${during.watchdogPid}/cmdline`, 'utf8')).split('\0')).toContain('__freeze-watchdog');
    expect((await state()).frozen).toBe(true);
    // The holder's freeze call and the watchdog run to the pre-step's own deadline: its start + timeout (90 s).
    const deadlines = await freezeDeadlines(ipcFolder);
    expect(deadlines.holder).toBe(deadlines.startedAt + 90_000);
    expect(deadlines.watchdog).toBe(deadlines.startedAt + 90_000);

    const freeze = await freezing;
    expect(freeze.code).toBe(1);
    // The pre-step's own deadline (90 s from its start) ended it, not the 120 s call timeout.
    expect(freeze.stderr).toMatch(/did not finish within the freeze timeout \(90 s\)/);
    expect(freeze.stderr).toMatch(/HINT/);
    expect(await fakeProcessesLeft()).toEqual([]);
    expect((await state()).frozen).toBe(false);
    const entries = (await calls()).filter((call) => call.entry).map((call) => call.entry);
    expect(entries[0]).toBe('##Class(Backup.General).ExternalFreeze()');
    expect(entries.slice(1).every((entry) => entry === '##Class(Backup.General).ExternalThaw()')).toBe(true);

    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(
      /the freeze of snapshot \S+ failed \(taking the lock did not finish within the freeze timeout \(90 s\)\)\. The database is not frozen now/,
    );
    // Reported once: the next post-step has nothing to say.
    const again = await cli(['thaw']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing frozen/);
  }, 300_000);

  it('thaw asks the instance (IsWDSuspended) before "nothing frozen": a freeze left on after a failed snaplog freeze is ended and reported; one after a clean thaw is only reported', async () => {
    expect((await cli(['thaw'])).stdout).toMatch(/nothing frozen/);
    expect((await calls()).some((call) => !call.entry)).toBe(true);
    // A failed freeze whose ExternalThaw did not stick: the instance is still frozen, no holder is left.
    await setState({ freezeExit: 3, thawExit: 3 });
    expect((await cli(['freeze'])).code).toBe(1);
    await setState({ freezeExit: undefined, thawExit: undefined, frozen: true });
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/still frozen with no snaplog holder .*IsWDSuspended = 1.*snaplog thaw ended the freeze/);
    expect((await state()).frozen).toBe(false);

    // A clean freeze and thaw, then someone else freezes the instance: reported, not ended.
    const clean = await cli(['freeze']);
    expect(clean.code, clean.stderr).toBe(0);
    const cleanThaw = await cli(['thaw']);
    expect(cleanThaw.code, cleanThaw.stderr).toBe(0);
    await setState({ frozen: true });
    const foreign = await cli(['thaw']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/frozen: .*but not by snaplog/);
    expect((await state()).frozen).toBe(true);
    await setState({ frozen: false });
  });

  it('ExternalThaw answering 3: thaw exits 1, says the database may still be frozen, and a thaw-failed alert is raised', async () => {
    expect((await cli(['freeze'])).code).toBe(0);
    await setState({ thawExit: 3 });
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/may still be frozen/);
    expect((await readEvents(ipcFolder)).some((event) => event.type === 'thaw-failed' && event.level === 'alert')).toBe(true);
    await setState({ thawExit: undefined });
  });

  it('the holder killed -9 while frozen: the watchdog calls ExternalThaw; thaw then reports it (exit 1)', async () => {
    const freeze = await cli(['freeze', '--json']);
    expect(freeze.code, freeze.stderr).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number; watchdogPid?: number };
    expect(frozen.watchdogPid).toBeGreaterThan(0);
    process.kill(frozen.holderPid, 'SIGKILL');
    await waitFor('the watchdog to thaw the instance', async () => (await state()).frozen === false, 15_000);
    await waitFor(
      'the watchdog to record what it did',
      async () => JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')).releasedBy === 'watchdog',
      15_000,
    );
    const after = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8'));
    expect(after).toMatchObject({ state: 'failed', releasedBy: 'watchdog' });
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/died while frozen: the watchdog ended the freeze/);
  });

  it('holder and watchdog both killed -9 while frozen: thaw itself calls ExternalThaw (the freeze is global) and exits 1', async () => {
    expect((await cli(['freeze'])).code).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number; watchdogPid: number };
    process.kill(frozen.watchdogPid, 'SIGKILL');
    process.kill(frozen.holderPid, 'SIGKILL');
    expect((await state()).frozen).toBe(true);
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/snaplog thaw ended the global freeze/);
    expect((await state()).frozen).toBe(false);
    expect((await calls()).filter((call) => call.entry?.includes('ExternalThaw')).length).toBe(1);
    // Reported once; the next post-step asks the instance and finds nothing frozen.
    const again = await cli(['thaw']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing frozen/);
  });

  it('holder killed -9 and thaw at once: thaw leaves ExternalThaw to the live watchdog and reports it', async () => {
    expect((await cli(['freeze'])).code).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number };
    process.kill(frozen.holderPid, 'SIGKILL');
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect((await state()).frozen).toBe(false);
    expect((await calls()).filter((call) => call.entry?.includes('ExternalThaw')).length).toBe(1);
  });

  it('the holder hung (SIGSTOP) past the timeout: the watchdog kills it and calls ExternalThaw', async () => {
    await writeConfig({ workload: 'timeout = 15' });
    expect((await cli(['freeze'])).code).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number; watchdogPid?: number };
    process.kill(frozen.holderPid, 'SIGSTOP');
    await waitFor(
      'the watchdog to record what it did',
      async () => JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')).releasedBy === 'watchdog',
      60_000,
    );
    expect((await state()).frozen).toBe(false);
    expect(JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')).message).toMatch(/did not release within the timeout/);
    // Killed: gone, or a zombie nobody has reaped yet.
    const holderState = await readFile(`/proc/${frozen.holderPid}/stat`, 'utf8').then(
      (text) => text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3),
      () => 'gone',
    );
    expect(['gone', 'Z']).toContain(holderState);
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
  });

  it('no thaw within the timeout: the holder calls ExternalThaw itself and the snapshot is marked timed-out', async () => {
    await writeConfig({ workload: 'timeout = 15' });
    expect((await cli(['freeze'])).code).toBe(0);
    await waitFor('the timeout thaw', async () => (await state()).frozen === false, 60_000);
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(/not application-consistent/);
  }, 120_000);

  it('with a 0600 credentials file the login goes through stdin: never in any argv the fake saw; a 0644 file is refused', async () => {
    const cred = join(dir, 'iris.cred');
    await writeFile(cred, `username = snap\npassword = ${PASSWORD}\n`, { mode: 0o600 });
    await writeConfig({ iris: `credentials_file = ${cred}` });
    await setState({ login: { username: 'snap', password: PASSWORD } });
    const frozen = await cli(['freeze']);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect((await cli(['thaw'])).code).toBe(0);
    const seen = await calls();
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((call) => call.loginOk === true)).toBe(true);
    expect(seen.every((call) => call.passwordInSomeCmdline === false)).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(PASSWORD);
    expect(await readFile(join(ipcFolder, 'events.jsonl'), 'utf8')).not.toContain(PASSWORD);
    await chmod(cred, 0o644);
    const refused = await cli(['freeze']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/iris\.cred/);
  });

  it('restore --to TIME through the fake Journal.Restore: the restored data is the data at TIME; --dry-run prints the script, --iris-script writes it, --latest applies all', async () => {
    await terminal(['set ^data("a")="1"']);
    const freeze = await cli(['freeze', '--json']);
    expect(freeze.code, freeze.stderr).toBe(0);
    const snapshotFile = JSON.parse(freeze.stdout).position.file as string;
    const nextFile = `20261122.${String(Number(snapshotFile.split('.')[1]) + 1).padStart(3, '0')}`;
    expect((await cli(['thaw'])).code).toBe(0);
    // Work after the snapshot, stamped by the fake's clock (no test waits for real time to pass).
    const base = Math.floor(Date.now() / 1000) + 100;
    await setState({ clock: base });
    await terminal(['set ^data("a")="2"', 'set ^data("b")="1"']);
    await setState({ clock: base + 100 });
    await terminal(['set ^data("b")="2"', 'set sc=##class(%SYS.Journal.System).SwitchFile()']);
    await setState({ clock: base + 200 });
    await terminal(['set ^data("c")="1"', 'set sc=##class(%SYS.Journal.System).SwitchFile()']);
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
    const staging = (name: string): string => join(dir, `staging-${name}`);

    const plan = await cli(['plan', '--to', iso(base + 150), '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    // The drill rehearses a MySQL replay on a data directory copy: IRIS has none, so the registry refuses it (a usage error with a HINT).
    const drill = await cli(['drill', '--datadir', dir]);
    expect(drill.code).toBe(2);
    expect(drill.stderr).toMatch(/snaplog drill is not available for workload_name = iris \(IRIS\/Caché\)\nHINT: drill works with MySQL\/MariaDB/);
    expect(JSON.parse(plan.stdout).logs.map((log: { name: string }) => log.name)).toEqual([snapshotFile, nextFile]);

    const dry = await cli(['restore', '--to', iso(base + 50), '--dry-run', '--staging', staging('dry')]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`set r.FirstFile="${join(staging('dry'), snapshotFile)}"`);
    expect(dry.stdout).toContain('set r.Filter="^ZJRNFILT"');
    expect(await readdir(dir)).not.toContain('staging-dry');
    expect((await state()).restored).toBeUndefined();

    const scriptFile = join(dir, 'restore.os');
    const written = await cli(['restore', '--to', iso(base + 50), '--staging', staging('script'), '--iris-script', scriptFile, '--json']);
    expect(written.code, written.stderr).toBe(0);
    // --json: one JSON document on stdout, saying the script was written and not run.
    expect(JSON.parse(written.stdout)).toMatchObject({ applied: false, script: scriptFile, staging: staging('script') });
    expect(await readFile(scriptFile, 'utf8')).toContain('set sc=r.Run()');
    expect(await readFile(join(staging('script'), snapshotFile))).toEqual(await readFile(join(journalDir, snapshotFile)));
    expect((await state()).restored).toBeUndefined();

    const expectations: [string[], Record<string, string>, string[]][] = [
      [['--to', iso(base + 50)], { a: '2', b: '1' }, [snapshotFile]],
      [['--to', iso(base + 150)], { a: '2', b: '2' }, [snapshotFile, nextFile]],
      [['--latest'], { a: '2', b: '2', c: '1' }, [snapshotFile, nextFile]],
    ];
    for (const [target, data, files] of expectations) {
      const run = await cli(['restore', ...target, '--staging', staging(target.join('').replace(/\W/g, ''))]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/applied \d+ journal file\(s\) from/);
      expect((await state()).restored, target.join(' ')).toEqual(data);
      expect((await state()).restoredFiles).toEqual(files);
    }
    const applied = await readFile(join(dir, 'restore-script.txt'), 'utf8');
    expect(applied).toContain('##class(Journal.Restore).%New()');
    // The conductor's restore events: restore-start (a dry run's too), then restore-dry-run, restore-script-written or restore-done.
    const restoreEvents = (await readEvents(ipcFolder)).filter((event) => event.type.startsWith('restore-'));
    const twice = (type: string): string[] => ['restore-start', type];
    const types = [
      ...twice('restore-dry-run'),
      ...twice('restore-script-written'),
      ...twice('restore-done'),
      ...twice('restore-done'),
      ...twice('restore-done'),
    ];
    expect(restoreEvents.map((event) => event.type)).toEqual(types);
    const snapshotId = JSON.parse(freeze.stdout).snapshotId as string;
    const common = { engine: 'iris', systemId: expect.any(String), snapshotId };
    expect(restoreEvents[0]).toMatchObject({ ...common, level: 'info', dryRun: true });
    expect(restoreEvents[1]).toMatchObject({ ...common, journals: 1 });
    expect(restoreEvents[2]).toMatchObject({ ...common, dryRun: false });
    expect(restoreEvents[3]).toMatchObject({ ...common, journals: 1, elapsedMs: expect.any(Number) });
    expect(restoreEvents[9]).toMatchObject({ ...common, level: 'info', journals: 2, elapsedMs: expect.any(Number) });

    const elsewhere = await cli(['restore', '--latest', '--staging', staging('other'), '--iris-instance', 'RESTORED']);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect((await calls()).pop()?.argv).toEqual(['terminal', 'RESTORED', '-U%SYS']);
    const badInstance = await cli(['restore', '--latest', '--iris-instance', 'x;rm', '--staging', staging('bad')]);
    expect(badInstance.code).toBe(2);
    expect(badInstance.stderr).toMatch(/not an instance name/);
    expect(await readdir(dir)).not.toContain('staging-bad');
    expect((await readEvents(ipcFolder)).filter((event) => event.type.startsWith('restore-')).slice(-1)[0]).toMatchObject({
      type: 'restore-failed',
      level: 'alert',
    });

    // snaplog as root, the instance owned by another user: the fetched journals are handed to that user.
    if (process.getuid?.() === 0) {
      await writeConfig({ workload: 'timeout = 30\nlinux_user = nobody' });
      const handed = await cli(['restore', '--latest', '--staging', staging('owner'), '--iris-script', join(dir, 'owner.os')]);
      expect(handed.code, handed.stderr).toBe(0);
      for (const name of ['', snapshotFile, 'journal.log']) expect((await stat(join(staging('owner'), name))).uid).toBe(65534);
      for (const name of ['', snapshotFile, 'journal.log']) expect((await stat(join(staging('owner'), name))).mode & 0o777).toBe(name ? 0o640 : 0o750);
      // The same --staging again: it exists, so it is refused; what is in it stays as it was.
      const again = await cli(['restore', '--latest', '--staging', staging('owner'), '--iris-script', join(dir, 'owner-again.os')]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already exists: the staging folder is always created new/);
      await writeConfig({ workload: 'timeout = 30\nlinux_user = no-such-user-x' });
      const unknownUser = await cli(['restore', '--latest', '--staging', staging('nouser'), '--iris-script', join(dir, 'nouser.os')]);
      expect(unknownUser.code).toBe(1);
      expect(unknownUser.stderr).toMatch(/linux_user no-such-user-x is not a user on this machine/);
      await writeConfig();
    }

    const gtid = await cli(['restore', '--to-gtid', '0-1-5', '--dry-run']);
    expect(gtid.code).toBe(2);
    expect(gtid.stderr).toMatch(/use --to TIME/);
  });

  it('journals IRIS compresses after they close (<name>z) are shipped once: a shipped journal’s compressed copy is not shipped again, an unshipped one is shipped compressed; no gap', async () => {
    expect((await cli(['ship', '--once'])).code).toBe(0); // 001, 002
    // IRIS compresses 001 and 002 after snaplog shipped them; 003 closes and is compressed before snaplog sees it.
    for (const name of ['20261122.001', '20261122.002']) {
      await writeFile(join(journalDir, `${name}z`), Buffer.alloc(100, 1));
      await rm(join(journalDir, name));
    }
    await setState({ compress: true });
    await terminal(['set sc=##class(%SYS.Journal.System).SwitchFile()']);
    expect((await readdir(journalDir)).sort()).toEqual(['20261122.001z', '20261122.002z', '20261122.003z', '20261122.004']);
    const shipped = await cli(['ship', '--once']);
    expect(shipped.code, shipped.stderr).toBe(0);
    const archived = (await readdir(join(await systemDir(), 'logs'))).filter((name) => !name.endsWith('.json')).sort();
    expect(archived).toEqual(['20261122.001', '20261122.002', '20261122.003z']);
    expect(await readFile(join(await systemDir(), 'logs', '20261122.003z'))).toEqual(await readFile(join(journalDir, '20261122.003z')));
    const list = await cli(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).gaps).toEqual([]);
    expect((await cli(['ship', '--once'])).code).toBe(0);
    expect((await readdir(join(await systemDir(), 'logs'))).filter((name) => !name.endsWith('.json')).length).toBe(3);
  });

  it('Caché: workload_name = cache runs csession <INSTANCE> -U%SYS for ExternalFreeze/ExternalThaw', async () => {
    await writeFile(join(dir, 'bin', 'csession'), `#!${process.execPath}\nimport(${JSON.stringify(FAKE)});\n`);
    await chmod(join(dir, 'bin', 'csession'), 0o755);
    await rm(join(dir, 'bin', 'iris'));
    await writeFile(
      configPath,
      (await readFile(configPath, 'utf8')).replace('workload_name = iris', 'workload_name = cache').replace('instance = IRIS', 'instance = CACHE'),
    );
    expect((await cli(['freeze'])).code).toBe(0);
    expect((await state()).frozen).toBe(true);
    expect((await cli(['thaw'])).code).toBe(0);
    const entries = (await calls()).filter((call) => call.entry);
    expect(entries.map((call) => call.argv)).toEqual([
      ['CACHE', '-U%SYS', '##Class(Backup.General).ExternalFreeze()'],
      ['CACHE', '-U%SYS', '##Class(Backup.General).ExternalThaw()'],
    ]);
  });

  it('bad [iris] settings are refused naming file, line and key', async () => {
    await writeConfig({ iris: 'call_timeout = soon' });
    const timeout = await cli(['ship', '--once']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/snaplog\.conf, line 12, key 'call_timeout': expected whole seconds/);
    await writeConfig({ iris: 'journal_directory = /j' });
    const unknown = await cli(['freeze']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/key 'journal_directory': unknown key in \[iris\]/);
    expect((await state()).frozen).toBeUndefined();
  });

  it('hooks installed for VMware run freeze and thaw against the IRIS instance', async () => {
    const root = join(dir, 'root');
    await mkdir(root);
    expect((await snaplog(['hooks', 'install', '--for', 'vmware', '--root', root, '--config', configPath], { env: env() })).code).toBe(0);
    const run = (arg: string) =>
      new Promise<number | null>((done) =>
        spawn('sh', [join(root, 'usr/sbin/pre-freeze-script'), arg], { env: { ...process.env, ...env() }, stdio: 'ignore' }).on('exit', done),
      );
    expect(await run('freeze')).toBe(0);
    expect((await state()).frozen).toBe(true);
    const post = await new Promise<number | null>((done) =>
      spawn('sh', [join(root, 'usr/sbin/post-thaw-script'), 'thaw'], { env: { ...process.env, ...env() }, stdio: 'ignore' }).on('exit', done),
    );
    expect(post).toBe(0);
    expect((await state()).frozen).toBe(false);
  });
});
