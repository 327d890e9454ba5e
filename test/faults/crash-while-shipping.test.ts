import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { SNAPLOG_BIN, snaplog } from '../support/cli.js';

const KILL_POINTS = Number(process.env.SNAPLOG_FAULT_KILLS ?? 60);
const sha256 = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

/** Starts `snaplog ship --once` and kills it with SIGKILL after `delayMs`; resolves with how it ended. */
function shipAndKill(configPath: string, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--once', '--quiet', '--config', configPath], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished');
    });
  });
}

describe('fault: kill -9 of the shipper at random points (real MariaDB workload)', () => {
  let server: MariadbServer;
  let setup: SnaplogTestSetup;

  beforeAll(async () => {
    server = await startMariadb({ args: ['--max-binlog-size=4096'] });
    // gzip makes each copy slow enough that kills land inside copies, between rename and metadata, …
    setup = await writeSnaplogConfig(server, { archive: 'compression = gzip' });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    const connection = await server.connect();
    await connection.query('CREATE DATABASE f');
    await connection.query('CREATE TABLE f.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(500))');
    for (let i = 0; i < 40; i++) await connection.query('INSERT INTO f.t (v) VALUES (?)', ['x'.repeat(400) + i]);
    await connection.end();
  });
  afterAll(async () => {
    await stopAllMariadb();
    await removeDirs(server?.base, setup?.dir);
  });

  it(`after ${KILL_POINTS} kill -9 at random moments, every binlog is archived once, whole, with metadata, and verify is clean`, async () => {
    let killed = 0;
    let writes = 40;
    // Kill moments are drawn from how long a run takes on this machine (a faster CLI start must not make the kills miss).
    const started = Date.now();
    expect((await snaplog(['ship', '--once', '--quiet', '--config', setup.configPath])).code).toBe(0);
    const runMs = Math.max(50, Date.now() - started);
    for (let i = 0; i < KILL_POINTS; i++) {
      // Keep the server writing and rotating between kills, as production would.
      await server.query('INSERT INTO f.t (v) VALUES (?)', ['y'.repeat(450) + writes++]);
      if ((await shipAndKill(setup.configPath, Math.floor(Math.random() * runMs))) === 'killed') killed++;
    }
    const final = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(final.stderr).toBe('');
    expect(final.code).toBe(0);

    const systems = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    const logsDir = join(setup.archivePath, systems[0]!, 'logs');
    const entries = await readdir(logsDir);
    expect(entries.filter((entry) => entry.startsWith('.'))).toEqual([]);
    const index = (await readFile(`${server.binlogBasename}.index`, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('/').pop()!);
    const closed = index.slice(0, -1);
    expect(closed.length).toBeGreaterThan(20);
    const { gunzipSync } = await import('node:zlib');
    for (const name of closed) {
      expect(entries.filter((entry) => entry === `${name}.gz`)).toHaveLength(1);
      expect(entries).toContain(`${name}.json`);
      const metadata = JSON.parse(await readFile(join(logsDir, `${name}.json`), 'utf8'));
      const original = await readFile(join(server.binlogDir, name));
      expect(sha256(gunzipSync(await readFile(join(logsDir, `${name}.gz`))))).toBe(sha256(original));
      expect(metadata.sha256).toBe(sha256(original));
    }
    expect(entries.filter((entry) => !entry.endsWith('.json') && !entry.endsWith('.gz'))).toEqual([]);
    const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, checked: closed.length });
    console.info(`crash-while-shipping: ${KILL_POINTS} runs, ${killed} killed mid-run, ${closed.length} binlogs, all archived once and whole`);
    expect(killed).toBeGreaterThan(KILL_POINTS / 3);
  }, 300_000);
});
