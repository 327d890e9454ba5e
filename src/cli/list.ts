import { Command } from 'commander';
import { buildCatalog, snapshotWindows } from '../archive/catalog.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';
import { parseDays } from '../report/days.js';
import { UsageError } from '../errors.js';
import { readSystemArchive } from '../report/load.js';
import { buildSystemTimeline } from '../report/model.js';
import { terminalTimeline } from '../report/terminal.js';
import { windowText } from '../engines/chain-plan.js';
import { restorableWindowFor } from '../engines/registry.js';
import { localIso, localTimeZone } from '../engines/time-text.js';

export function listCommand(): Command {
  return withJsonOption(withConfigOption(new Command('list')))
    .description("snapshots with their restorable windows, the archive's log range, and gaps")
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .option('--timeline', 'the picture of snaplog report in the terminal: one line per UTC day (restorable, archived, gaps, snapshots)')
    .option('--days <n>', 'with --timeline: how many days (default 7)')
    .action(async (options: { json?: boolean; system?: string; timeline?: boolean; days?: string }, command: Command) => {
      if (options.days !== undefined && !options.timeline) throw new UsageError('--days goes with --timeline', 'e.g. snaplog list --timeline --days 14');
      const days = options.timeline ? parseDays(options.days) : undefined;
      const { config } = await loadContext(command);
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      if (days !== undefined) {
        const timeline = buildSystemTimeline(await readSystemArchive(archive, systemId), { now: Date.now(), days });
        if (options.json) return printJson(timeline);
        return void process.stdout.write(`${terminalTimeline(timeline).join('\n')}\n`);
      }
      const catalog = buildCatalog(await archive.listLogs(systemId));
      const windows = snapshotWindows(await archive.listSnapshots(systemId), catalog);
      const planned = await Promise.all(windows.map(({ snapshot, restorable }) => (restorable ? restorableWindowFor(snapshot.engine) : undefined)));
      const first = catalog.logs[0];
      const last = catalog.logs[catalog.logs.length - 1];
      const report = {
        systemId,
        snapshots: windows.map(({ snapshot, restorable, problem }, i) => ({
          id: snapshot.id,
          time: snapshot.time,
          status: snapshot.status,
          position: snapshot.position ?? null,
          // The catalog says whether the snapshot can be rolled forward; the planner's window says how far (and whether anything follows it).
          restorable: restorable && planned[i] ? { ...restorable, ...planned[i](snapshot, catalog.logs) } : (restorable ?? null),
          ...(problem ? { problem } : {}),
        })),
        logs: {
          count: catalog.logs.length,
          first: first?.name ?? null,
          last: last?.name ?? null,
          from: catalog.ranges[0]?.from ?? null,
          to: catalog.ranges[catalog.ranges.length - 1]?.to ?? null,
        },
        ranges: catalog.ranges,
        gaps: catalog.gaps,
        incomplete: catalog.incomplete,
        warnings: archive.rejectedEntries(),
      };
      if (options.json) return printJson(report);
      const timeZone = localTimeZone();
      const local = (...isos: string[]) => (timeZone === 'UTC' ? '' : ` [local ${isos.map((iso) => localIso(Date.parse(iso), timeZone)).join(' .. ')}]`);
      const lines = [`system ${systemId} in ${archive.location}`, ...(timeZone === 'UTC' ? [] : [`times in UTC; [local] in ${timeZone}`]), '', 'snapshots:'];
      if (report.snapshots.length === 0) lines.push('  none recorded yet (snaplog freeze records one)');
      for (const snapshot of report.snapshots) {
        const restorable = snapshot.restorable;
        const window = restorable ? `restorable ${windowText(restorable)}${local(restorable.from, restorable.to)}` : 'not restorable';
        const position = snapshot.position ? `${snapshot.position.file}:${snapshot.position.position}` : '-';
        const problem = snapshot.problem ? `  (${snapshot.problem})` : '';
        lines.push(`  ${snapshot.id}  ${snapshot.time}${local(snapshot.time)}  ${snapshot.status}  ${position}  ${window}${problem}`);
        if (snapshot.restorable && 'lastPosition' in snapshot.restorable) {
          lines.push(`      GTID ${snapshot.position?.gtid ?? '?'} .. ${snapshot.restorable.lastPosition}`);
        }
      }
      lines.push('', `logs: ${report.logs.count}${first ? ` (${first.name} .. ${last?.name})` : ''}`);
      for (const range of catalog.ranges)
        lines.push(`  range ${range.first} .. ${range.last} (${range.count} logs)  commits ${range.from ?? '?'} .. ${range.to ?? '?'}`);
      for (const gap of catalog.gaps) lines.push(`  GAP   logs ${gap.missingSequences} missing between ${gap.after} and ${gap.before}`);
      if (catalog.incomplete.length) lines.push(`  incomplete (data without metadata): ${catalog.incomplete.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
