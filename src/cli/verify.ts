import { Command } from 'commander';
import { verifyArchive } from '../archive/verify.js';
import type { SourceLogsForVerify } from '../archive/verify.js';
import type { SnaplogConfig } from '../config/index.js';
import { createEngine, engineOf, formatCheckerFor } from '../engines/registry.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

export function verifyCommand(): Command {
  return withJsonOption(withConfigOption(new Command('verify')))
    .description('re-read every archived log: checksum, size, format (CRC32 of every event), continuity; exit 1 on any problem')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .addHelpText(
      'after',
      `
When the server (or [mysql] binlog_dir) can be reached and its logs belong to the system verified, every
archived log the server still has is also compared byte for byte with the server's file; otherwise verify
says it skipped that comparison.`,
    )
    .action(async (options: { json?: boolean; system?: string }, command: Command) => {
      const { config, events } = await loadContext(command);
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      // scanLogs, not listLogs: refused entries become PROBLEMs in the report below, not warnings.
      const logs = (await archive.scanLogs(systemId)).found;
      const engine = logs.find((log) => log.metadata)?.metadata?.engine;
      const source = await serverLogs(config, systemId);
      const report = await verifyArchive(archive, systemId, await formatCheckerFor(engine, config), source);
      await events.emit('verify', report.ok ? 'info' : 'alert', { systemId, ok: report.ok, checked: report.checked, problems: report.problems.length });
      if (options.json) printJson(report);
      else {
        const lines = [`verified ${report.checked} logs of ${systemId}: ${report.ok ? 'OK' : `${report.problems.length} problem(s)`}`];
        for (const range of report.ranges) lines.push(`  continuous: ${range.first} .. ${range.last} (${range.count} logs)`);
        lines.push(
          report.sourceCheck.skipped
            ? `  skipped comparing with the server's files: ${report.sourceCheck.skipped}`
            : `  compared ${report.sourceCheck.compared} archived logs with the server's files`,
        );
        for (const problem of report.problems) lines.push(`  PROBLEM ${problem.file}: ${problem.problem}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}

/** The server's closed logs when this machine runs the system being verified; otherwise why not. */
async function serverLogs(config: SnaplogConfig, systemId: string): Promise<SourceLogsForVerify> {
  if (!engineOf(config).capabilities.sourceCompare) return { skipped: `not supported for workload_name = ${config.workload.name}` };
  let engine;
  try {
    engine = await createEngine(config);
    const serverSystem = await engine.systemId();
    if (serverSystem !== systemId) return { skipped: `this server ships to system ${serverSystem}, not ${systemId}` };
    const logs = (await engine.listSourceLogs()).filter((log) => log.closed && !log.refused);
    return { logs, closeMarker: engine.closeMarker };
  } catch (error) {
    return { skipped: `cannot reach the server or its binlog folder (${(error as Error).message.split('\n')[0]})` };
  } finally {
    await engine?.close();
  }
}
