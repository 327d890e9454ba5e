import { Command } from 'commander';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { attach, detach } from '../attach/attach.js';
import { findDatadirsWith, requireCapability, volumeReaders } from '../engines/registry.js';
import { withConfigOption, withJsonOption, printJson } from './common.js';
import { loadContext, openArchive, resolveSystemId } from './context.js';

interface DrillOptions {
  datadir?: string;
  image?: string;
  scratch?: string;
  snapshot?: string;
  json?: boolean;
  system?: string;
  keep?: boolean;
}

/**
 * The restore rehearsal as one command: a scratch copy of a restored snapshot's data directory, every
 * archived log replayed onto it, CHECK TABLE on every table, and the recovery point reached.
 */
export function drillCommand(): Command {
  return withJsonOption(withConfigOption(new Command('drill')))
    .description('rehearse a restore: replay every archived log onto a scratch copy of a restored snapshot, CHECK every table, report the recovery point')
    .option('--datadir <dir>', "a restored snapshot's data directory (left unchanged: the drill works on a copy)")
    .option('--image <file>', "a restored snapshot's disk image (attached read-only for the copy)")
    .option(
      '--scratch <dir>',
      'a new (or empty) scratch folder; default: a new snaplog-drill-* folder here. What the drill puts there is removed afterwards unless --keep',
    )
    .option('--keep', 'keep the scratch folder')
    .option('--snapshot <id>', 'the snapshot the data directory is, when snaplog cannot tell by itself')
    .option('--system <id>', 'system id in the archive')
    .action(async (options: DrillOptions, command: Command) => {
      if (!!options.datadir === !!options.image)
        throw new UsageError('give exactly one of --datadir DIR or --image FILE', 'the drill needs a restored snapshot to start from');
      const { config, events } = await loadContext(command);
      const engine = await requireCapability(config, 'drill', 'drill').drill!();
      const archive = await openArchive(config);
      const systemId = await resolveSystemId(archive, config, options.system);
      const say = (line: string): void => {
        if (!options.json) process.stdout.write(`${line}\n`);
      };
      const imagePath = options.image ? resolve(options.image) : undefined;
      const image = imagePath
        ? {
            path: options.image!,
            attach: async (mount: string) => {
              const readers = await volumeReaders(config);
              const findDatadirs = (root: string) => findDatadirsWith(readers, root);
              return (await attach({ kind: 'image', image: imagePath }, { mount, readOnly: true, findDatadirs })).datadirs.map((found) => found.datadir);
            },
            detach: async (mount: string) => void (await detach(mount)),
          }
        : undefined;
      // Ctrl-C / SIGTERM: the replay stops between transactions and the private server shuts down before the drill ends.
      const stopping = new AbortController();
      const onSignal = (): void => stopping.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const { summary, ...report } = await engine.drill({
          config,
          archive,
          systemId,
          events,
          datadir: options.datadir,
          image,
          scratch: options.scratch,
          keep: options.keep === true,
          snapshotId: options.snapshot,
          say,
          signal: stopping.signal,
        });
        if (options.json) printJson(report);
        else say(summary);
        if (!report.ok) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
