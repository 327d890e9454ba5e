import { Command } from 'commander';
import { verifyArchive } from '../archive/verify.js';
import { formatChecker } from '../engines/create.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

export function verifyCommand(): Command {
  return withJsonOption(withConfigOption(new Command('verify')))
    .description('re-read every archived log: checksum, size, format (CRC32 of every event), continuity; exit 1 on any problem')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .action(async (options: { json?: boolean; system?: string }, command: Command) => {
      const { config, events } = await loadContext(command);
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      // scanLogs, not listLogs: refused entries become PROBLEMs in the report below, not warnings.
      const logs = (await archive.scanLogs(systemId)).found;
      const engine = logs.find((log) => log.metadata)?.metadata?.engine ?? 'mysql';
      const report = await verifyArchive(archive, systemId, formatChecker(engine));
      await events.emit('verify', report.ok ? 'info' : 'alert', { systemId, ok: report.ok, checked: report.checked, problems: report.problems.length });
      if (options.json) printJson(report);
      else {
        const lines = [`verified ${report.checked} logs of ${systemId}: ${report.ok ? 'OK' : `${report.problems.length} problem(s)`}`];
        for (const range of report.ranges) lines.push(`  continuous: ${range.first} .. ${range.last} (${range.count} logs)`);
        for (const problem of report.problems) lines.push(`  PROBLEM ${problem.file}: ${problem.problem}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
