import { Command } from 'commander';
import { archiveLocation, initConfiguredArchive } from '../archive/open.js';
import { assertArchivePathInitialisable } from '../archive/init-check.js';
import { withConfigOption } from './common.js';
import { loadContext } from './context.js';

export function archiveCommand(): Command {
  const archive = new Command('archive').description('manage the log archive');
  archive.addCommand(
    withConfigOption(new Command('init'))
      .description('create the archive marker at [archive] path (a folder) or url (an Azure Blob container); idempotent')
      .option('--force', 'initialise a folder that does not exist (it is created) or is not on a mounted share')
      .addHelpText(
        'after',
        `
The marker is what keeps snaplog from writing into the empty folder of an NFS share that is not mounted.
So [archive] path must already exist and be a mount point or a folder on a mounted share (not the root
file system): mount the share first. --force skips that check, for a local archive on purpose.
An archive that already has its marker is left as it is.`,
      )
      .action(async (options: { force?: boolean }, command: Command) => {
        const { config, events } = await loadContext(command);
        if (config.archive.path !== undefined) await assertArchivePathInitialisable(config.archive.path, options.force ?? false);
        const { created } = await initConfiguredArchive(config);
        const location = archiveLocation(config);
        await events.emit('archive-init', 'info', { path: location, created, ...(options.force ? { forced: true } : {}) });
        process.stdout.write(created ? `initialised the archive at ${location}\n` : `the archive at ${location} was already initialised\n`);
      }),
  );
  return archive;
}
