import { Command, Option } from 'commander';
import { registeredEngines, engineOf } from '../engines/registry.js';
import { conductRestore } from '../restore/conduct.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { archiveOpener, loadContext } from './context.js';
import { checkTargetTime, withTargetOptions } from './target-options.js';

/** Adds every engine's own restore options (their help names the engine) and help paragraphs. */
function withEngineOptions(command: Command): Command {
  for (const engine of registeredEngines()) {
    for (const spec of engine.restoreOptions) {
      const option = new Option(spec.flags, spec.help);
      command.addOption(spec.choices ? option.choices(spec.choices) : option);
    }
  }
  command
    .option('--staging <dir>', 'where fetched logs and restore state go (default: next to the data directory)')
    .option('--dry-run', 'print the plan and the commands, change nothing');
  for (const engine of registeredEngines()) if (engine.restoreHelp) command.addHelpText('after', engine.restoreHelp);
  return command;
}

export function restoreCommand(): Command {
  return withEngineOptions(withTargetOptions(withJsonOption(withConfigOption(new Command('restore')))))
    .description('replay archived logs onto a restored snapshot, stopping exactly at the target')
    .action(async (options: Record<string, unknown>, command: Command) => {
      checkTargetTime(options);
      const { config, events } = await loadContext(command);
      const restore = await engineOf(config).restore();
      const quiet = options['json'] === true;
      const say = (line: string): void => {
        if (!quiet) process.stdout.write(`${line}\n`);
      };
      // Progress lines on a terminal, or whenever asked for (a supervisor watching the replay).
      const showProgress = process.stderr.isTTY || process.env['SNAPLOG_PROGRESS'];
      const progress = showProgress ? (line: string) => process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(79)}` : `${line}\n`) : undefined;
      const purpose = options['dryRun'] ? 'dry-run' : 'restore';
      const open = archiveOpener(config, options['system'] as string | undefined);
      const description = await conductRestore(restore, { config, events, purpose, options, say, printJson, progress }, open);
      if (!description) return;
      if (quiet) printJson(description.json);
      else for (const line of description.lines) say(line);
    });
}
