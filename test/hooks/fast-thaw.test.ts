/**
 * The post hook's fast path against a real MariaDB and real freeze holders: the script releases the lock
 * through the holder's FIFO with sh built-ins before snaplog thaw starts; a dead holder, a stale holder of
 * another snapshot, and a FIFO replaced by a plain file or a symlink never hang the hook nor release the
 * wrong lock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig, writable } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog, SNAPLOG_BIN } from '../support/cli.js';
import { eventually } from '../support/observe.js';
import { installHooks, planHooks } from '../../src/hooks/index.js';
import { isHolderProcess } from '../../src/state/freeze-state.js';
import type { FreezeState } from '../../src/state/freeze-state.js';

/** Generous: the hook must end by itself well inside it; the test kills it (and fails) after. */
const HOOK_BOUND_MS = 60_000;

interface HookRun {
  code: number | null;
  killed: boolean;
  stdout: string;
  stderr: string;
}

function runScript(argv: string[]): Promise<HookRun> {
  const [program, ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(program!, args, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, HOOK_BOUND_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, stdout, stderr });
    });
  });
}

describe('the post hook releases the lock through the holder FIFO before snaplog thaw starts (real MariaDB)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let root: string;
  const freezeState = async (): Promise<FreezeState> => JSON.parse(await readFile(join(setup.ipcFolder, 'freeze.json'), 'utf8')) as FreezeState;
  const fifo = (): string => join(setup.ipcFolder, 'thaw.fifo');

  /** The veeam post script as installed, calling `snaplogCommand` where it would start snaplog. */
  async function postScript(name: string, snaplogCommand: string[]): Promise<string> {
    const at = join(root, name);
    await mkdir(at, { recursive: true });
    await installHooks(planHooks('veeam', { snaplogCommand, configPath: setup.configPath, ipcFolder: setup.ipcFolder }), { root: at });
    return join(at, 'etc/snaplog/hooks/veeam-post.sh');
  }

  async function freeze(): Promise<FreezeState> {
    const result = await snaplog(['freeze', '--product', 'veeam', '--config', setup.configPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const state = await freezeState();
    expect(state.state).toBe('frozen');
    expect(existsSync(fifo())).toBe(true);
    expect(await writable(server)).toBe(false);
    return state;
  }

  beforeAll(async () => {
    server = await startMariadb();
    setup = await writeSnaplogConfig(server, { workload: 'timeout = 60' });
    root = await makeTempDir('fastthaw');
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
  });
  afterEach(async () => {
    await snaplog(['thaw', '--config', setup.configPath]);
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir, root);
  });

  it('the lock is gone while snaplog thaw has not started yet; thaw then reports the release once', async () => {
    // snaplog behind a gate: the script reaches it, says so, and waits until the test lets it run.
    const gate = join(root, 'gate');
    const gated = join(root, 'gated-snaplog.sh');
    await writeFile(
      gated,
      [
        '#!/bin/sh',
        `: > '${gate}.reached'`,
        'i=0',
        `while [ ! -e '${gate}.open' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
        `exec '${process.execPath}' '${SNAPLOG_BIN}' "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(gated, 0o700);
    const post = await postScript('gated', ['/bin/sh', gated]);
    const { snapshotId } = await freeze();

    const running = runScript(['/bin/sh', post]);
    expect(await eventually(async () => existsSync(`${gate}.reached`), 30_000)).toBe(true);
    // snaplog thaw has not started: the fast path alone released the lock.
    expect(await eventually(() => writable(server), 30_000)).toBe(true);
    const released = await freezeState();
    expect(released).toMatchObject({ snapshotId, state: 'thawed', releasedVia: 'fifo' });
    expect(released.thawReported).toBeUndefined();

    await writeFile(`${gate}.open`, '');
    const run = await running;
    expect(run.killed).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`thawed snapshot ${snapshotId}: frozen for `);
    expect(run.stdout).toContain('(released by the post hook)');
    expect((await freezeState()).thawReported).toBe(true);
    // The holder removed its FIFO; the next thaw has nothing to do.
    expect(existsSync(fifo())).toBe(false);
    expect((await snaplog(['thaw', '--config', setup.configPath])).stdout).toMatch(/nothing frozen/);
  });

  it('a holder killed -9 leaves its FIFO behind: the hook neither hangs on it nor fails to report', async () => {
    const post = await postScript('real', [process.execPath, SNAPLOG_BIN]);
    const { holderPid, snapshotId } = await freeze();
    process.kill(holderPid!, 'SIGKILL');
    expect(await eventually(async () => !(await isHolderProcess(holderPid, snapshotId)), 30_000)).toBe(true);
    expect((await lstat(fifo())).isFIFO()).toBe(true);

    const run = await runScript(['/bin/sh', post]);
    expect(run.killed).toBe(false);
    // As without the fast path: the snapshot is not application-consistent, and the hook says so.
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`freeze holder of snapshot ${snapshotId}`);
    expect(await writable(server)).toBe(true);
  });

  it('a stale holder ignores a message naming another snapshot: its lock stays until its own thaw', async () => {
    const post = await postScript('noop', ['/bin/true']);
    const state = await freeze();
    // freeze.json now names another snapshot (a newer freeze's record next to an older holder's FIFO).
    const other = '20260101T000000Z-beef';
    await writeFile(join(setup.ipcFolder, 'freeze.json'), `${JSON.stringify({ ...state, snapshotId: other }, null, 2)}\n`, { mode: 0o600 });
    const run = await runScript(['/bin/sh', post]);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(0);
    const log = join(setup.ipcFolder, 'holder.log');
    expect(await eventually(async () => (await readFile(log, 'utf8')).includes(`ignored a thaw message on the FIFO: it names snapshot ${other}`), 30_000)).toBe(
      true,
    );
    expect(await isHolderProcess(state.holderPid, state.snapshotId)).toBe(true);
    expect(await writable(server)).toBe(false);

    await writeFile(join(setup.ipcFolder, 'freeze.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    const thaw = await snaplog(['thaw', '--config', setup.configPath]);
    expect(thaw.code).toBe(0);
    expect(thaw.stdout).toContain(`thawed snapshot ${state.snapshotId}`);
    expect(await writable(server)).toBe(true);
  });

  it('a FIFO replaced by a plain file or a symlink to the FIFO is not written through', async () => {
    const post = await postScript('noop', ['/bin/true']);
    const state = await freeze();
    const moved = join(setup.ipcFolder, 'moved.fifo');
    await rename(fifo(), moved);

    await writeFile(fifo(), '', { mode: 0o600 });
    let run = await runScript(['/bin/sh', post]);
    expect(run.code).toBe(0);
    expect(await readFile(fifo(), 'utf8')).toBe('');

    await rm(fifo());
    await symlink(moved, fifo());
    run = await runScript(['/bin/sh', post]);
    expect(run.code).toBe(0);
    expect(run.killed).toBe(false);

    // Neither reached the holder: the lock still held, still frozen.
    expect(await writable(server)).toBe(false);
    expect(await isHolderProcess(state.holderPid, state.snapshotId)).toBe(true);
    expect((await freezeState()).state).toBe('frozen');
    await rm(fifo());
    await rename(moved, fifo());
    expect((await snaplog(['thaw', '--config', setup.configPath])).stdout).toContain(`thawed snapshot ${state.snapshotId}`);
  });
});
