import { Command, Option } from 'commander';
import { createEngine } from '../engines/registry.js';
import { Shipper } from '../ship/shipper.js';
import { runShipLoop } from '../ship/service.js';
import type { RoundResult } from '../ship/shipper.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive } from './context.js';

export function shipCommand(): Command {
  return withJsonOption(withConfigOption(new Command('ship')))
    .description('ship every closed log to the archive; runs as a service until SIGTERM unless --once')
    .option('--once', 'ship what is closed now, then exit (0 when caught up)')
    .option('--quiet', 'print nothing but errors')
    .addOption(new Option('--wait-go', 'with --once: get ready, then ship only on a `go` line on stdin (the freeze pre-step starts it early)').hideHelp())
    .addHelpText(
      'after',
      `
The service watches the binlog folder, rescans every [ship] rescan_interval, forces a log switch when
the open log holds a transaction older than [ship] max_log_age, and retries archive errors with backoff.
A closed binlog is copied once MariaDB/MySQL has finished closing it (its in-use flag clear; after 0.5 s
it is shipped as crash-closed), and an archived copy that differs from the server's file only in that
flag is replaced by the clean file. Binlogs the index lists outside the binlog folder, symlinks and
non-regular files are refused (exit 1 with --once) and never read. On SIGTERM it finishes the file in
flight and exits 0. With [metrics] listen = 127.0.0.1:PORT it serves Prometheus metrics on
http://127.0.0.1:PORT/metrics (lag, recovery point, errors, freeze, free space).`,
    )
    .action(async (options: { once?: boolean; quiet?: boolean; json?: boolean; waitGo?: boolean }, command: Command) => {
      const { config, events } = await loadContext(command);
      const archive = await openArchive(config);
      const engine = await createEngine(config);
      if (options.waitGo && options.once) {
        const { waitForGoLine } = await import('../freeze/go-line.js');
        if (!(await waitForGoLine(process.stdin, Date.now() + config.workload.timeoutSeconds * 1000).go)) {
          await engine.close();
          return void (process.exitCode = 1);
        }
      }
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const quiet = options.quiet || options.json;
      let metricsServer: import('node:http').Server | undefined;
      try {
        let onRound: ((result: RoundResult, age: number | undefined) => void) | undefined;
        if (config.metrics.listen && !options.once) {
          const [{ ShipMetrics }, { startMetricsServer }] = await Promise.all([import('../ship/metrics/ship-metrics.js'), import('../ship/metrics/server.js')]);
          const metrics = new ShipMetrics({ ipcFolder: config.workload.ipcFolder, archive, tailing: config.ship.tail });
          events.onEmit((event) => metrics.observeEvent(event));
          onRound = (result, age) => void metrics.observeRound(result, age).catch(() => undefined);
          metricsServer = await startMetricsServer(config.metrics.listen, metrics.registry, config.locate('metrics', 'listen'));
          if (!quiet) process.stdout.write(`metrics on http://${config.metrics.listen}/metrics\n`);
        }
        const shipper = new Shipper(engine, archive, events, { compression: config.archive.compression, concurrency: config.ship.concurrency });
        const result = await runShipLoop(engine, shipper, events, {
          ipcFolder: config.workload.ipcFolder,
          mode: options.once ? 'once' : 'service',
          rescanIntervalSeconds: config.ship.rescanIntervalSeconds,
          retryMaxDelaySeconds: config.ship.retryMaxDelaySeconds,
          maxLogAgeSeconds: config.ship.maxLogAgeSeconds,
          tail: config.ship.tail,
          signal: controller.signal,
          onRound,
          log: (line) => {
            if (!quiet) process.stdout.write(`${line}\n`);
          },
        });
        if (options.json) {
          printJson({
            systemId: result?.systemId,
            shipped: result?.shipped.map((log) => log.name) ?? [],
            pending: result?.pending.map((log) => log.name) ?? [],
            gaps: result?.gaps ?? [],
            refused: result?.refused.map((log) => ({ log: log.name, reason: log.refused })) ?? [],
          });
        } else if (options.once && !quiet && result) {
          process.stdout.write(`caught up: ${result.shipped.length} shipped, last archived ${result.lastArchived?.name ?? 'none'}\n`);
        }
        for (const log of result?.refused ?? []) {
          process.stderr.write(
            `snaplog ship: ${log.name} not shipped: ${log.refused}\nHINT: a log must be a regular file directly in the binlog folder; put the real log back, then run snaplog ship again\n`,
          );
        }
        if (result && result.refused.length > 0) process.exitCode = 1;
        if (result && result.gaps.length > 0) {
          process.stderr.write(
            `snaplog ship: ${result.gaps.length} gap(s): logs purged before they were shipped (see snaplog list)\n` +
              'HINT: a restore cannot cross a gap: take a new snapshot now, and keep binlogs until they are shipped (expire_logs_days, max_log_age)\n',
          );
          return void (process.exitCode = 1);
        }
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        metricsServer?.closeAllConnections();
        await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)));
        await engine.close();
      }
    });
}
