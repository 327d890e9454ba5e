import { Option } from 'commander';
import type { Command } from 'commander';
import { tmpdir } from 'node:os';
import { stagingPlaceholder } from '../engines/staging.js';
import { UsageError } from '../errors.js';
import type { EngineRestoreCli } from './engine-restore.js';
import type { OracleTarget } from '../engines/oracle/restore/plan.js';
import type { RecoveryTool } from '../engines/oracle/restore/recover.js';
import type { LogMetadata } from '../archive/metadata.js';
import { parseTargetTime } from '../engines/restore-target.js';
import { openArchive, resolveSystemId } from './context.js';

/**
 * `snaplog restore` for Oracle: plan from the archive (snapshot SCN, logs per thread), fetch and verify
 * the archived logs into --staging, then run the generated RMAN recovery as linux_user (OS auth).
 */
export const oracleRestoreCli: EngineRestoreCli = {
  addOptions: (command: Command) =>
    command
      .addOption(new Option('--to-scn <scn>', 'Oracle: recover through this SCN (inclusive)'))
      .addOption(new Option('--to-sequence <[thread:]sequence>', 'Oracle: recover through this archived log of this redo thread (default thread 1), inclusive'))
      .addOption(new Option('--no-open', 'Oracle: leave the database mounted after recovery (no OPEN RESETLOGS)'))
      .addOption(new Option('--snapshot-time <time>', 'Oracle: the restored VM/disk snapshot was taken WITHOUT backup mode at this time (crash-consistent, Oracle 18c+): recover with SQL*Plus RECOVER … SNAPSHOT TIME; needs --to TIME'))
      .addHelpText(
        'after',
        `
Oracle (workload_name = oracle): --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest (the last
SCN every redo thread's archived logs reach). The restored database must be MOUNTED
(not open). The archived logs are fetched into --staging (a new folder: it must not exist yet; default: a new random
folder under ${tmpdir()}), verified, handed to [workload] linux_user (files first, then the folder), then RMAN runs: CATALOG START WITH '<staging>/' NOPROMPT;
RUN { SET UNTIL …; RECOVER DATABASE; } ALTER DATABASE OPEN RESETLOGS. --dry-run prints the script.
For a snapshot not taken by snaplog's freeze (no backup mode), give --snapshot-time and --to: SQL*Plus runs
RECOVER AUTOMATIC FROM '<staging>' DATABASE UNTIL TIME … SNAPSHOT TIME … instead.`,
      ),
  run: async (parseTarget, options, context) => {
    const [{ planOracleRecovery, planStorageSnapshotRecovery, parseSequenceTarget }, { rmanRecoveryScript, sqlplusSnapshotRecoveryScript }, { runOracleRecovery }] = await Promise.all([
      import('../engines/oracle/restore/plan.js'),
      import('../engines/oracle/restore/script.js'),
      import('../engines/oracle/restore/recover.js'),
    ]);
    const { config, events } = context;
    const archive = await openArchive(config);
    const systemId = await resolveSystemId(archive, config, options.system as string | undefined);
    const logs = (await archive.listLogs(systemId)).flatMap((log) => (log.metadata ? [log.metadata] : []));
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    const open = options.open !== false;
    const requestedStaging = options.staging as string | undefined;
    let recovery: { logs: LogMetadata[]; script: (stagingDir: string) => string; tool: RecoveryTool; label: string };
    if (options.snapshotTime !== undefined) {
      const target = oracleTarget(options, parseTarget, parseSequenceTarget);
      if (target.kind !== 'time') throw new UsageError('--snapshot-time recovers to a time: give --to TIME', 'e.g. snaplog restore --snapshot-time 2026-11-22T02:00:00Z --to 2026-11-22T14:05:00Z');
      const snapshotTime = parseTargetTime(String(options.snapshotTime), '--snapshot-time');
      const plan = planStorageSnapshotRecovery({ logs, snapshotTime, targetTime: target.time });
      say(`storage snapshot at ${new Date(snapshotTime * 1000).toISOString()} (no backup mode); threads ${plan.threads.join(', ')}`);
      recovery = {
        logs: plan.logs,
        script: (stagingDir) => sqlplusSnapshotRecoveryScript({ stagingDir, targetTime: plan.targetTime, snapshotTime, open }),
        tool: 'sqlplus',
        label: `storage snapshot ${new Date(snapshotTime * 1000).toISOString()}`,
      };
    } else {
      const target = oracleTarget(options, parseTarget, parseSequenceTarget);
      const plan = planOracleRecovery({ snapshots: await archive.listSnapshots(systemId), logs, target, snapshotId: options.snapshot as string | undefined });
      say(`snapshot ${plan.snapshot.id} (${plan.snapshot.time}) at SCN ${plan.snapshotScn}; threads ${plan.threads.join(', ')}`);
      const script = (stagingDir: string): string => rmanRecoveryScript({ stagingDir, target: plan.target, open });
      recovery = { logs: plan.logs, script, tool: 'rman', label: plan.snapshot.id };
    }
    say(`archived logs: ${recovery.logs.map((log) => log.name).join(' ')}`);
    if (options.dryRun) {
      const script = recovery.script(stagingPlaceholder(requestedStaging, 'oracle-restore'));
      say(`--dry-run: nothing fetched, nothing run. ${recovery.tool === 'rman' ? 'rman target /' : "sqlplus '/ as sysdba'"} would run:\n${script}`);
      return;
    }
    await events.emit('restore-start', 'info', { engine: 'oracle', snapshot: recovery.label, logs: recovery.logs.length });
    try {
      const { logs: planned, script, tool } = recovery;
      await runOracleRecovery({ config, archive, systemId, logs: planned, stagingDir: requestedStaging, script, tool, say });
      await events.emit('restore-done', 'info', { engine: 'oracle', snapshot: recovery.label });
    } catch (error) {
      await events.emit('restore-failed', 'alert', { engine: 'oracle', message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  },
};

/** Which one target the options name: --to-scn, --to-sequence, or the shared --to / --latest. */
function oracleTarget(
  options: Record<string, unknown>,
  parseTarget: Parameters<EngineRestoreCli['run']>[0],
  parseSequenceTarget: (text: string) => OracleTarget | undefined,
): OracleTarget {
  if (options.toGtid !== undefined || options.beforeGtid !== undefined || options.toPosition !== undefined) {
    throw new UsageError('Oracle has no GTIDs or binlog positions: use --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest', 'e.g. snaplog restore --to-scn 1234567');
  }
  const scnText = options.toScn as string | undefined;
  const sequenceText = options.toSequence as string | undefined;
  const given = [scnText, sequenceText, options.to, options.latest].filter((value) => value !== undefined).length;
  if (given > 1) throw new UsageError('give one target: --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest');
  if (scnText !== undefined) {
    if (!/^\d+$/.test(scnText)) throw new UsageError(`--to-scn ${JSON.stringify(scnText)} is not an SCN (a whole number)`);
    return { kind: 'scn', scn: BigInt(scnText) };
  }
  if (sequenceText !== undefined) {
    const target = parseSequenceTarget(sequenceText);
    if (!target) throw new UsageError(`--to-sequence ${JSON.stringify(sequenceText)} is not [THREAD:]SEQUENCE`, 'e.g. --to-sequence 2:1234 (thread 2, sequence 1234) or --to-sequence 1234 (thread 1)');
    return target;
  }
  const shared = parseTarget();
  return shared.kind === 'time' ? shared : { kind: 'latest' };
}
