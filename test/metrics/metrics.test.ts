import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { startMetricsService } from '../support/metrics-service.js';
import type { MetricsService } from '../support/metrics-service.js';
import { waitFor } from '../support/observe.js';
import { lagBytes, parseListen } from '../../src/ship/metrics/listen.js';

/** Value of an unlabelled metric (or the sum over its labels) in a Prometheus text scrape. */
function metric(text: string, name: string, labels = ''): number | undefined {
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (!labels && line.startsWith(`${name}{`)))
    .map((line) => Number(line.split(' ').pop()));
  return values.length ? values.reduce((sum, value) => sum + value, 0) : undefined;
}

describe('metrics: pure parts', () => {
  it('parseListen reads host and port, IPv6 brackets and localhost', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('localhost:80')).toEqual({ host: '127.0.0.1', port: 80 });
  });
  it('lagBytes counts pending logs, and the open log only when it is not tailed', () => {
    expect(lagBytes([100, 200], 50, false)).toBe(350);
    expect(lagBytes([100, 200], 50, true)).toBe(300);
    expect(lagBytes([], undefined, false)).toBe(0);
  });
  it('the sample alert rules name only metrics the service exports', async () => {
    const rules = await readFile(resolve(import.meta.dirname, '../../runbooks/alerts.yml'), 'utf8');
    const used = new Set(rules.match(/snaplog_[a-z_]+/g));
    const exported = await readFile(resolve(import.meta.dirname, '../../src/ship/metrics/ship-metrics.ts'), 'utf8');
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported, name).toContain(`'${name}'`);
    expect(rules).toMatch(/^groups:\n {2}- name: snaplog\n {4}rules:\n/m);
    for (const block of rules.split('- alert: ').slice(1)) expect(block, block.split('\n')[0]).toMatch(/\n\s+expr: \S/);
  });
});

describe('metrics: a running ship service scraped over HTTP (real MariaDB)', () => {
  let service: MetricsService;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let port: number;
  const scrape = (): Promise<string> => service.scrape();

  beforeAll(async () => {
    service = await startMetricsService();
    ({ server, setup, port } = service);
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))');
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('counters grow as logs ship, the recovery point reaches the last commit, the lag returns to 0', async () => {
    const before = metric(await scrape(), 'snaplog_shipped_files_total') ?? 0;
    for (let i = 0; i < 20; i++) await server.query("INSERT INTO app.t (v) VALUES ('x')");
    const [row] = (await server.query('SELECT UNIX_TIMESTAMP() AS now')) as { now: number }[];
    await server.query('FLUSH BINARY LOGS');
    const text = await waitFor('the flushed log to be shipped', async () => {
      const scraped = await scrape();
      return (metric(scraped, 'snaplog_shipped_files_total') ?? 0) > before &&
        (metric(scraped, 'snaplog_last_shipped_commit_timestamp_seconds') ?? 0) >= Number(row!.now) - 1
        ? scraped
        : undefined;
    });
    expect(metric(text, 'snaplog_shipped_bytes_total')).toBeGreaterThan(0);
    expect(metric(text, 'snaplog_last_shipped_commit_timestamp_seconds')).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(metric(text, 'snaplog_archive_free_bytes')).toBeGreaterThan(0);
    expect(metric(text, 'snaplog_gaps')).toBe(0);
    await waitFor('lag back to 0', async () => metric(await scrape(), 'snaplog_ship_lag_seconds') === 0);
    expect(text).not.toMatch(/password|secret/i);
  });

  it('freeze and thaw show in snaplog_frozen and the last frozen duration', async () => {
    expect(metric(await scrape(), 'snaplog_frozen')).toBe(0);
    expect((await snaplog(['freeze', '--config', setup.configPath])).code).toBe(0);
    expect(metric(await scrape(), 'snaplog_frozen')).toBe(1);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    const after = await scrape();
    expect(metric(after, 'snaplog_frozen')).toBe(0);
    expect(metric(after, 'snaplog_last_frozen_duration_seconds')).toBeGreaterThan(0);
    expect(metric(after, 'snaplog_last_freeze_failed')).toBe(0);
  });

  it('anything but /metrics is 404', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it('a second service on the same port fails with the config key named, exit 2', async () => {
    const second = await snaplog(['ship', '--config', setup.configPath], { timeoutMs: 20_000 });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/cannot serve metrics on 127\.0\.0\.1:\d+ \(.*snaplog\.conf, line \d+, key 'listen' in \[metrics\]\): EADDRINUSE/);
  });

  it('SIGTERM stops the service and its endpoint cleanly (exit 0), also with a scraper connection open', async () => {
    const keepAlive = fetch(`http://127.0.0.1:${port}/metrics`, { keepalive: true }).then((response) => response.text());
    await keepAlive;
    const exited = new Promise<number | null>((done) => service.process.once('exit', (code) => done(code)));
    service.process.kill('SIGTERM');
    expect(await Promise.race([exited, new Promise((done) => setTimeout(() => done('still running'), 15_000))])).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('a non-loopback address is refused by the config check, naming file, line and key', async () => {
    const other = join(setup.dir, 'public.conf');
    await appendFile(other, (await readFile(setup.configPath, 'utf8')).replace(/listen = .*/, 'listen = 0.0.0.0:9464'));
    const result = await snaplog(['config', 'check', '--config', other]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/public\.conf, line \d+, key 'listen'/);
  });
});
