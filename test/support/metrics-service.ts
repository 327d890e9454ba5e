import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { freePort, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from './mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from './mariadb.js';
import { SNAPLOG_BIN, snaplog } from './cli.js';
import { waitFor } from './observe.js';

/** A real MariaDB, an initialised archive and `snaplog ship` running with [metrics] listen on a free port. */
export interface MetricsService {
  server: MariadbServer;
  setup: SnaplogTestSetup;
  port: number;
  /** The `snaplog ship` child process. */
  process: ChildProcess;
  /** The text of GET /metrics. */
  scrape(): Promise<string>;
  /** Thaws, stops the service (SIGTERM, then SIGKILL after 15 s), the server, and removes their folders. */
  stop(): Promise<void>;
}

export async function startMetricsService(): Promise<MetricsService> {
  const server = await startMariadb();
  const setup = await writeSnaplogConfig(server);
  const port = await freePort();
  await appendFile(setup.configPath, `\n[metrics]\nlisten = 127.0.0.1:${port}\n`);
  const init = await snaplog(['archive', 'init', '--force', '--config', setup.configPath]);
  if (init.code !== 0) throw new Error(`archive init failed: ${init.stderr}`);
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const service: ChildProcess = spawn(process.execPath, [SNAPLOG_BIN, 'ship', '--config', setup.configPath], { stdio: 'ignore' });
  await waitFor('the metrics endpoint', async () => (await scrape().catch(() => '')).includes('snaplog_shipped_files_total'), 30_000);
  const stop = async (): Promise<void> => {
    await snaplog(['thaw', '--config', setup.configPath]).catch(() => undefined);
    if (service.exitCode === null) {
      const exited = new Promise((done) => service.once('exit', done));
      service.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000))]);
      service.kill('SIGKILL');
    }
    await stopAllMariadb();
    await removeDirs(server.base, setup.dir);
  };
  return { server, setup, port, process: service, scrape, stop };
}
