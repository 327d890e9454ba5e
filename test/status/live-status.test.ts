import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb, stopAllMariadb, writeSnaplogConfig, removeDirs } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { waitFor } from '../support/observe.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';
import type { StatusReport } from '../../src/status/evaluate.js';

async function status(setup: SnaplogTestSetup, ...extra: string[]): Promise<{ code: number; report: StatusReport; stdout: string }> {
  const result = await snaplog(['status', '--json', '--config', setup.configPath, ...extra]);
  return { code: result.code, report: JSON.parse(result.stdout) as StatusReport, stdout: result.stdout };
}

describe('live status against a real MariaDB and a real ship service', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let service: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    server = await startMariadb();
    // max_log_age makes the service ship the open binlog by itself, so the status can be caught up (RPO 0).
    setup = await writeSnaplogConfig(server, { ship: 'max_log_age = 2s' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE s');
    await server.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
  });
  afterAll(async () => {
    if (service && service.exitCode === null) service.kill('SIGKILL');
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it('with the service running and caught up: exit 0, RPO 0, service running with its pid, the server open log named', async () => {
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (chunk) => (output += chunk));
    service.stderr!.on('data', (chunk) => (output += chunk));
    await server.query('INSERT INTO s.t VALUES (1)');
    const caughtUp = await waitFor(
      'a caught-up status',
      async () => {
        const now = await status(setup);
        return now.code === 0 && now.report.rpoSeconds === 0 && now.report.lastShipped !== null && now.report.service.state === 'running' ? now : undefined;
      },
      90_000,
      500,
    );
    const report = caughtUp.report;
    expect(report.service.pid).toBe(service.pid);
    expect(report.lagSeconds).toBe(0);
    expect(report.freeze.state).toBeDefined();
    expect(report.lastShipped?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [{ File: open }] = await server.query<{ File: string }>('SHOW MASTER STATUS');
    expect(report.server).toMatchObject({ reachable: true, openLog: open, unshipped: [open] });
    expect(report.server.transactionId).toMatch(/^0-1-\d+$/);
  });

  it('a snapshot gives the restorable window, from the snapshot to the last shipped commit; times in UTC and local time', async () => {
    expect((await snaplog(['freeze', '--config', setup.configPath])).code).toBe(0);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    await server.query('INSERT INTO s.t VALUES (50)');
    const withWindow = await waitFor(
      'a window up to the newest commit',
      async () => {
        const now = await status(setup);
        return now.code === 0 && now.report.rpoSeconds === 0 && now.report.restorable ? now : undefined;
      },
      90_000,
      500,
    );
    const snapshots = JSON.parse((await snaplog(['list', '--json', '--config', setup.configPath])).stdout).snapshots;
    // Up to the last shipped commit (stamped in whole seconds: one in the snapshot's second ends the window at the snapshot).
    const { recoveryPoint } = withWindow.report;
    const to = Date.parse(recoveryPoint!) > Date.parse(snapshots[0].time) ? recoveryPoint : snapshots[0].time;
    expect(withWindow.report.restorable).toEqual({ from: snapshots[0].time, to, snapshotId: snapshots[0].id });
    const text = await snaplog(['status', '--config', setup.configPath], { env: { TZ: 'America/New_York' } });
    expect(text.stdout).toMatch(/^restorable: {4}from \S+Z \(local \S+-05:00\) to \S+Z \(local \S+-05:00\) \(snapshot \S+\)$/m);
    expect(text.stdout).toMatch(/^RPO now: {7}0 s \(caught up\)$/m);
  });

  it('the shipper killed and commits going on: the service is reported dead and the lag grows beyond --max-lag: exit 1', async () => {
    const lastShippedBefore = (await status(setup)).report.lastShipped!;
    service!.kill('SIGKILL');
    await new Promise((resolve) => service!.once('exit', resolve));
    const dead = await status(setup, '--max-lag', '3600');
    expect(dead.code).toBe(1);
    expect(dead.report.service.state).toBe('dead');
    expect(dead.report.problems.join('\n')).toMatch(/is not running: it died/);

    // Commits continue; nobody ships them. Wait until the oldest of them is older than --max-lag 1.
    for (let i = 2; i <= 5; i++) await server.query('INSERT INTO s.t VALUES (?)', [i]);
    const stale = await waitFor('a stale lag', async () => {
      const now = await status(setup, '--max-lag', '1');
      return now.report.lagSeconds !== null && now.report.lagSeconds > 1 ? now : undefined;
    });
    expect(stale.code).toBe(1);
    expect(stale.report.problems.join('\n')).toMatch(/shipping is stale: the oldest commit not in the archive is \d+ s old, more than --max-lag 1 s/);
    expect(stale.report.rpoSeconds).toBeGreaterThanOrEqual(stale.report.lagSeconds!);
    expect(stale.report.lastShipped).toEqual(lastShippedBefore);
    // The server's last commit is read from the open binlog: newer than anything shipped.
    expect(stale.report.server.lastCommitEstimated).toBe(false);
    expect(Date.parse(stale.report.server.lastCommit!)).toBeGreaterThanOrEqual(Date.parse(lastShippedBefore.time!));
    expect(stale.report.server.unshipped).toContain(stale.report.server.openLog);
    const text = await snaplog(['status', '--config', setup.configPath, '--max-lag', '1']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^ship service: {2}NOT RUNNING \(pid \d+ is gone/m);
    expect(text.stdout).toMatch(/^PROBLEM: {7}shipping is stale/m);
    expect(text.stdout).toMatch(/^HINT: start the ship service/m);
  });

  it('a service stopped cleanly (SIGTERM) is reported stopped, exit 1', async () => {
    service = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: 'ignore' });
    await waitFor('the service running again', async () => (await status(setup)).report.service.state === 'running', 60_000, 500);
    service.kill('SIGTERM');
    expect(await new Promise((resolve) => service!.once('exit', resolve))).toBe(0);
    const stopped = await status(setup);
    expect(stopped.code).toBe(1);
    expect(stopped.report.service.state).toBe('stopped');
  });

  it('after a failed ship run the archive still gives the last shipped log and commit', async () => {
    await server.query('INSERT INTO s.t VALUES (100)');
    await server.query('FLUSH BINARY LOGS');
    expect((await snaplog(['ship', '--once', '--config', setup.configPath])).code).toBe(0);
    const archived = (await status(setup)).report.archive;
    // A run that fails in its first round (here: the database is unreachable for it) rewrites the ship status file.
    const brokenConfig = join(setup.dir, 'broken.conf');
    await writeFile(brokenConfig, (await readFile(setup.configPath, 'utf8')).replace(/^socket = .*$/m, `socket = ${server.base}/no-such.sock`), {
      mode: 0o600,
    });
    expect((await snaplog(['ship', '--once', '--config', brokenConfig])).code).toBe(1);
    const after = await status(setup);
    expect(after.code).toBe(1);
    expect(after.report.lastShipped?.name).toBe(archived.lastLog);
    expect(after.report.lastShipped?.time).toBe(archived.lastCommit);
    expect(after.report.lastError?.message).toMatch(/cannot connect to the database/);
    const text = await snaplog(['status', '--config', setup.configPath]);
    expect(text.stdout).toMatch(new RegExp(`^last shipped: {2}${archived.lastLog}, last commit \\d{4}-`, 'm'));
    expect(text.stdout).not.toMatch(/last shipped: +nothing yet/);
  });
});
