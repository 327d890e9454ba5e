import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { startMetricsService } from '../support/metrics-service.js';
import type { MetricsService } from '../support/metrics-service.js';
import { waitFor } from '../support/observe.js';

interface Target {
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid?: string } }[] };
}

const DASHBOARD = resolve(import.meta.dirname, '../../runbooks/grafana-dashboard.json');
const loadDashboard = async (): Promise<Dashboard> => JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;

/** Every snaplog metric a query of the dashboard (panels and variables) names. */
function queriedMetrics(dashboard: Dashboard): Set<string> {
  const queries = [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ...dashboard.templating.list.filter((variable) => variable.type === 'query').map((variable) => JSON.stringify(variable.query)),
  ];
  return new Set(queries.flatMap((query) => query.match(/\bsnaplog_[a-z_]+/g) ?? []));
}

describe('the Grafana dashboard (runbooks/grafana-dashboard.json): importable as is', () => {
  it('the datasource is a variable, every panel queries through it, ids and places are distinct', async () => {
    const dashboard = await loadDashboard();
    expect(dashboard.uid).toBe('snaplog-overview');
    expect(dashboard.templating.list.find((variable) => variable.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    expect(new Set(dashboard.panels.map((panel) => `${panel.gridPos!.x},${panel.gridPos!.y}`)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        expect(target.datasource?.uid, panel.title).toBe('${datasource}');
        expect(target.expr, panel.title).toMatch(/\bsnaplog_[a-z_]+/);
      }
    }
    // What the issue asks to see: RPO, lag, shipped bytes, errors by kind, freeze durations, archive free space.
    const used = queriedMetrics(dashboard);
    for (const name of [
      'snaplog_last_shipped_commit_timestamp_seconds',
      'snaplog_ship_lag_seconds',
      'snaplog_shipped_bytes_total',
      'snaplog_errors_total',
      'snaplog_last_frozen_duration_seconds',
      'snaplog_archive_free_bytes',
    ]) {
      expect([...used]).toContain(name);
    }
    expect(JSON.stringify(dashboard)).toContain('sum by (instance, kind) (increase(snaplog_errors_total');
  });
});

describe('every metric the Grafana dashboard queries is served by a running ship service (real MariaDB)', () => {
  let service: MetricsService;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  const scrape = (): Promise<string> => service.scrape();

  beforeAll(async () => {
    service = await startMetricsService();
    ({ server, setup } = service);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('after a shipped log and a freeze/thaw, /metrics names every metric of the dashboard', async () => {
    await server.query('CREATE DATABASE app');
    await server.query('CREATE TABLE app.t (id INT PRIMARY KEY)');
    await server.query('INSERT INTO app.t VALUES (1)');
    await server.query('FLUSH BINARY LOGS');
    await waitFor('a shipped log', async () => /^snaplog_shipped_files_total [1-9]/m.test(await scrape()), 30_000);
    expect((await snaplog(['freeze', '--config', setup.configPath])).code).toBe(0);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);

    const text = await scrape();
    const served = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
    const used = queriedMetrics(await loadDashboard());
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((name) => !served.has(name));
    expect(missing).toEqual([]);
    // The ones the RPO and freeze panels show have values, not only a declaration.
    for (const name of [
      'snaplog_last_shipped_commit_timestamp_seconds',
      'snaplog_last_frozen_duration_seconds',
      'snaplog_archive_free_bytes',
      'snaplog_ship_lag_seconds',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name} [0-9.e+]+$`, 'm'));
    }
  });
});
