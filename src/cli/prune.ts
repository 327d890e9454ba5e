import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { buildCatalog } from '../archive/catalog.js';
import { planPrune } from '../archive/retention.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

export function pruneCommand(): Command {
  return withJsonOption(withConfigOption(new Command('prune')))
    .description('remove archived logs and snapshot records older than the oldest snapshot still kept; never a log a kept snapshot needs')
    .requiredOption('--keep-days <n>', 'keep every snapshot of the last N days (and the newest one before them)')
    .option('--dry-run', 'list what would be removed')
    .option('--system <id>', 'system id in the archive')
    .action(async (options: { keepDays: string; dryRun?: boolean; json?: boolean; system?: string }, command: Command) => {
      const keepDays = Number(options.keepDays);
      if (!Number.isFinite(keepDays) || keepDays < 1) throw new UsageError('--keep-days must be a number of days, at least 1');
      const { config, events } = await loadContext(command);
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      const archived = await archive.listLogs(systemId);
      const plan = planPrune(await archive.listSnapshots(systemId), buildCatalog(archived).logs, keepDays, new Date());
      if (!options.dryRun) {
        for (const log of plan.removeLogs) await archive.removeLog(systemId, log);
        for (const snapshot of plan.removeSnapshots) await archive.removeSnapshot(systemId, snapshot.id);
        await events.emit('prune', 'info', { systemId, logs: plan.removeLogs.length, snapshots: plan.removeSnapshots.length, oldestKept: plan.oldestKept?.id });
      }
      const report = {
        dryRun: options.dryRun ?? false,
        oldestKept: plan.oldestKept?.id ?? null,
        removeLogs: plan.removeLogs.map((log) => log.name),
        removeSnapshots: plan.removeSnapshots.map((snapshot) => snapshot.id),
        reason: plan.reason ?? null,
        warnings: archive.rejectedEntries(),
      };
      if (options.json) return printJson(report);
      const verb = options.dryRun ? 'would remove' : 'removed';
      process.stdout.write(
        `${plan.reason ? `${plan.reason}\n` : ''}${verb} ${report.removeLogs.length} logs and ${report.removeSnapshots.length} snapshot records; oldest snapshot kept: ${report.oldestKept ?? 'none'}\n`,
      );
      for (const name of report.removeLogs) process.stdout.write(`  ${name}\n`);
    });
}
