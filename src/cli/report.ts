import { Command } from 'commander';
import { resolve } from 'node:path';
import { SnaplogError, UsageError } from '../errors.js';
import { DEFAULT_REPORT_DAYS, parseDays } from '../report/days.js';
import { renderReport } from '../report/html.js';
import { readFleet } from '../report/load.js';
import { buildSystemTimeline, sortWorstFirst } from '../report/model.js';
import { writeReportFile } from '../report/write.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

interface ReportOptions {
  out: string;
  all?: boolean;
  system?: string;
  days?: string;
  json?: boolean;
}

export function reportCommand(): Command {
  return withJsonOption(withConfigOption(new Command('report')))
    .description(
      'one self-contained HTML page (no network needed to open it): restore windows, log coverage, gaps, snapshots and the RPO, read from the archive alone',
    )
    .option('--out <file>', 'where to write the page', 'snaplog-report.html')
    .option('--all', 'every system under the archive root, with a fleet table first (worst first)')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .option('--days <n>', `how many days the timelines show (default ${DEFAULT_REPORT_DAYS})`)
    .addHelpText(
      'after',
      `
Hover or click a mark for its details; a click inside a restorable window gives the exact
snaplog plan / snaplog restore commands that reach that moment. Reads only the archive: run it on any
machine that mounts it. Times are UTC.

Examples:
  snaplog report                                  the configured system → snaplog-report.html
  snaplog report --all --days 14 --out /srv/www/snaplog.html`,
    )
    .action(async (options: ReportOptions, command: Command) => {
      const days = parseDays(options.days);
      if (options.all && options.system) throw new UsageError('--all and --system exclude each other', 'give --all for every system, or --system ID for one');
      const { config } = await loadContext(command);
      const archive = await openArchive(config);
      const now = Date.now();
      let systemIds: string[];
      let skipped: string[] = [];
      if (options.all) {
        const scan = await archive.scanSystems();
        systemIds = scan.found;
        skipped = scan.rejected.map((entry) => entry.file);
        if (systemIds.length === 0)
          throw new SnaplogError(`the archive at ${archive.location} holds no system yet`, { hint: 'run snaplog ship --once on each database server first' });
      } else {
        systemIds = [await resolveSystemId(archive, config, options.system)];
      }
      const systems = sortWorstFirst((await readFleet(archive, systemIds)).map((system) => buildSystemTimeline(system, { now, days })));
      const out = resolve(options.out);
      const page = renderReport({ archive: archive.location, generatedAt: new Date(now).toISOString(), days, systems, fleet: options.all === true, skipped });
      await writeReportFile(out, page).catch((error: NodeJS.ErrnoException) => {
        throw new SnaplogError(`cannot write the report to ${out}: ${error.code ?? error.message}`, {
          hint: 'give --out a file in an existing folder you can write to',
        });
      });
      if (options.json) {
        printJson({
          out,
          systems: systems.map((system) => ({
            systemId: system.systemId,
            level: system.level,
            rpo: system.rpo,
            gaps: system.totals.gaps,
            problems: system.problems,
          })),
        });
      } else {
        const worst = systems.filter((system) => system.level !== 'ok');
        process.stdout.write(
          `report written to ${out} (${systems.length} system${systems.length === 1 ? '' : 's'}${worst.length ? `, ${worst.length} needing attention` : ''})\n`,
        );
      }
    });
}
