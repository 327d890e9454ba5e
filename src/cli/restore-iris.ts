import type { Command } from 'commander';
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { EngineRestoreCli } from './engine-restore.js';
import { openArchive, resolveSystemId } from './context.js';

/**
 * `snaplog restore` for IRIS/Caché: fetch and verify the journals from the snapshot's journal file up to
 * the target into --staging, then run Journal.Restore (with a ^ZJRNFILT time filter) on the restored
 * instance named in the config. The shared --dry-run, --staging, --snapshot and --system apply.
 */
export const irisRestoreCli: EngineRestoreCli = {
  addOptions: (command: Command) =>
    command.addHelpText(
      'after',
      `
IRIS/Caché (workload_name = iris | cache): only --to TIME or --latest. The journals are fetched into
--staging (default: a folder under ${tmpdir()}), then the restored instance ([workload] instance, started,
databases mounted) runs Journal.Restore from the file ExternalFreeze switched to, with a ^ZJRNFILT filter
that drops records stamped after TIME. --dry-run prints the ObjectScript and changes nothing.`,
    ),
  run: async (target, options, context) => {
    const { restoreIris } = await import('../engines/iris/restore.js');
    const { config, events } = context;
    const archive = await openArchive(config);
    const systemId = await resolveSystemId(archive, config, options.system as string | undefined);
    const staging = resolve((options.staging as string | undefined) ?? `${tmpdir()}/snaplog-iris-restore-${Date.now()}`);
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    await events.emit('restore-start', 'info', { engine: 'iris', systemId, dryRun: options.dryRun === true });
    try {
      const result = await restoreIris({ config, archive, systemId, target: target(), snapshotId: options.snapshot as string | undefined, dryRun: options.dryRun === true, stagingDir: staging, say });
      await events.emit(result.applied ? 'restore-done' : 'restore-dry-run', 'info', { engine: 'iris', snapshotId: result.plan.snapshot.id, journals: result.files.length });
    } catch (error) {
      await events.emit('restore-failed', 'alert', { engine: 'iris', message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  },
};
