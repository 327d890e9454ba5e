import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseTargetTime } from '../engines/restore-target.js';
import { requireCapability } from '../engines/registry.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

export function findCommand(): Command {
  return withJsonOption(withConfigOption(new Command('find')))
    .description('locate statements (e.g. a DROP TABLE) in the archived logs: time, position and GTID of each')
    .requiredOption('--query <regex>', 'regular expression matched against statements and against db.table of row changes (case-insensitive)')
    .option('--since <time>', 'only events at or after TIME (ISO-8601)')
    .option('--until <time>', 'only events at or before TIME')
    .option('--limit <n>', 'stop after N matches', '100')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .addHelpText('after', '\nThen undo it with: snaplog restore --before-gtid <GTID> --datadir …')
    .action(async (options: { query: string; since?: string; until?: string; limit: string; json?: boolean; system?: string }, command: Command) => {
      let pattern: RegExp;
      try {
        pattern = new RegExp(options.query, 'i');
      } catch (error) {
        throw new UsageError(`--query is not a valid regular expression: ${(error as Error).message}`);
      }
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      const { config } = await loadContext(command);
      const engine = await requireCapability(config, 'find', 'find').find!();
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      const since = options.since ? parseTargetTime(options.since, '--since') : undefined;
      const until = options.until ? parseTargetTime(options.until, '--until') : undefined;
      const found = await engine.find({ config, archive, systemId, pattern, since, until, limit });
      if (options.json) return printJson({ matches: found });
      if (found.length === 0) process.stdout.write('no match\n');
      for (const match of found)
        process.stdout.write(`${match.time}  ${match.log}:${match.position}  ${match.gtid ?? '-'}  ${match.text.replace(/\s+/g, ' ').slice(0, 200)}\n`);
    });
}
