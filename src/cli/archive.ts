import { Command } from 'commander';
import { Archive } from '../archive/archive.js';
import { withConfigOption } from './common.js';
import { loadContext } from './context.js';

export function archiveCommand(): Command {
  const archive = new Command('archive').description('manage the log archive');
  archive.addCommand(
    withConfigOption(new Command('init'))
      .description('create the archive marker and folders at [archive] path (idempotent)')
      .action(async (_options, command: Command) => {
        const { config, events } = await loadContext(command);
        const { created } = await Archive.init(config.archive.path);
        await events.emit('archive-init', 'info', { path: config.archive.path, created });
        process.stdout.write(created ? `initialised the archive at ${config.archive.path}\n` : `the archive at ${config.archive.path} was already initialised\n`);
      }),
  );
  return archive;
}
