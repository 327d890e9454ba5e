import { Command } from 'commander';
import { archiveLocation, initConfiguredArchive } from '../archive/open.js';
import { withConfigOption } from './common.js';
import { loadContext } from './context.js';

export function archiveCommand(): Command {
  const archive = new Command('archive').description('manage the log archive');
  archive.addCommand(
    withConfigOption(new Command('init'))
      .description('create the archive marker at [archive] path (a folder) or url (an Azure Blob container); idempotent')
      .action(async (_options, command: Command) => {
        const { config, events } = await loadContext(command);
        const { created } = await initConfiguredArchive(config);
        const location = archiveLocation(config);
        await events.emit('archive-init', 'info', { path: location, created });
        process.stdout.write(created ? `initialised the archive at ${location}\n` : `the archive at ${location} was already initialised\n`);
      }),
  );
  return archive;
}
