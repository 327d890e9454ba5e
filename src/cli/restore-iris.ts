import { Option } from 'commander';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { EngineRestoreCli } from './engine-restore.js';
import { openArchive, resolveSystemId } from './context.js';

/**
 * `snaplog restore` for IRIS/Caché: fetch and verify the journals from the snapshot's journal file up to
 * the target into --staging, then run Journal.Restore (with a ^ZJRNFILT time filter) on the restored
 * instance. The shared --dry-run, --staging, --snapshot and --system apply.
 */
export const irisRestoreCli: EngineRestoreCli = {
  addOptions: (command: Command) =>
    command
      .addOption(new Option('--iris-instance <name>', 'IRIS/Caché: run the journal restore on this instance (default: [workload] instance)'))
      .addOption(new Option('--iris-script <file>', 'IRIS/Caché: fetch and verify the journals, write the ObjectScript to FILE and stop (run it by hand)'))
      .addHelpText(
        'after',
        `
IRIS/Caché (workload_name = iris | cache): only --to TIME or --latest. The journals are fetched into
--staging (a new folder: it must not exist yet; default: a new random folder under ${tmpdir()}), handed to
[workload] linux_user (files first, then the folder; never through a link), then the
restored instance (started, databases mounted, users kept out) runs Journal.Restore from the file
ExternalFreeze switched to, with a ^ZJRNFILT filter that drops records stamped after TIME; the filter
is removed afterwards. --dry-run prints the ObjectScript and changes nothing.`,
      ),
  run: async (target, options, context) => {
    const { restoreIris } = await import('../engines/iris/restore/restore.js');
    const { config, events } = context;
    const archive = await openArchive(config);
    const systemId = await resolveSystemId(archive, config, options.system as string | undefined);
    const staging = options.staging as string | undefined;
    const scriptOut = options.irisScript as string | undefined;
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    const dryRun = options.dryRun === true;
    await events.emit('restore-start', 'info', { engine: 'iris', systemId, dryRun });
    try {
      const result = await restoreIris({
        config,
        archive,
        systemId,
        target: target(),
        snapshotId: options.snapshot as string | undefined,
        dryRun,
        stagingDir: staging,
        instance: options.irisInstance as string | undefined,
        scriptOut: scriptOut === undefined ? undefined : resolve(scriptOut),
        say,
      });
      const type = result.applied ? 'restore-done' : dryRun ? 'restore-dry-run' : 'restore-script-written';
      await events.emit(type, 'info', { engine: 'iris', snapshotId: result.plan.snapshot.id, journals: result.files.length });
    } catch (error) {
      await events.emit('restore-failed', 'alert', { engine: 'iris', message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  },
};
