import { Command } from 'commander';
import { engineOf } from '../engines/registry.js';
import { conductRestore } from '../restore/conduct.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { archiveOpener, loadContext } from './context.js';
import { checkTargetTime, withTargetOptions } from './target-options.js';

export function planCommand(): Command {
  return withTargetOptions(withJsonOption(withConfigOption(new Command('plan'))))
    .description('which snapshot and which logs a restore would use, and the exact stop position (reads only the archive)')
    .action(async (options: Record<string, unknown>, command: Command) => {
      checkTargetTime(options);
      const { config, events } = await loadContext(command);
      const restore = await engineOf(config).restore();
      const open = archiveOpener(config, options['system'] as string | undefined);
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const description = await conductRestore(restore, { config, events, purpose: 'plan', options, say, printJson }, open);
      if (!description) return;
      if (options['json']) printJson(description.json);
      else say(description.lines.join('\n'));
    });
}
