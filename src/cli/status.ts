import { Command } from 'commander';
import { readShipStatus } from '../ship/status-file.js';
import { readFreezeState } from '../freeze/state.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext } from './context.js';

export function statusCommand(): Command {
  return withJsonOption(withConfigOption(new Command('status')))
    .description('shipping lag, last shipped log and commit time, freeze state; exit 1 when shipping is failing or has a gap')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = await loadContext(command);
      const ship = await readShipStatus(config.workload.ipcFolder);
      const freeze = await readFreezeState(config.workload.ipcFolder);
      const healthy = ship !== undefined && ship.consecutiveFailures === 0 && ship.gaps.length === 0;
      const report = {
        ok: healthy,
        lagSeconds: ship?.lagSeconds ?? null,
        lastShipped: ship?.lastShipped ? { name: ship.lastShipped.name, time: ship.lastShipped.time ?? null } : null,
        pending: ship?.pending ?? [],
        openLog: ship?.openLog ?? null,
        gaps: ship?.gaps ?? [],
        lastError: ship?.lastError ?? null,
        updatedAt: ship?.updatedAt ?? null,
        freeze: freeze ?? { state: 'idle' },
      };
      if (options.json) printJson(report);
      else {
        const lines = [
          `archive:       ${config.archive.path ?? config.archive.url}`,
          `last shipped:  ${report.lastShipped ? `${report.lastShipped.name} (last commit ${report.lastShipped.time ?? 'none'})` : 'nothing yet'}`,
          `lag:           ${report.lagSeconds === null ? 'unknown (ship has not run)' : `${report.lagSeconds} s`}`,
          `pending:       ${report.pending.length ? report.pending.join(', ') : 'none'}`,
          `freeze:        ${report.freeze.state}`,
          `updated:       ${report.updatedAt ?? 'never'}`,
        ];
        if (report.gaps.length) lines.push(`GAPS:          ${report.gaps.map((gap) => `${gap.missing} before ${gap.before}`).join('; ')}`);
        if (report.lastError) lines.push(`LAST ERROR:    ${report.lastError.message}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!healthy) process.exitCode = 1;
    });
}
