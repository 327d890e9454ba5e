/**
 * `snaplog plan` and `snaplog restore` for Oracle: plan from the archive (snapshot SCN, logs per thread),
 * the archived logs fetched and verified into --staging by the conductor, then the generated RMAN recovery as linux_user
 * (OS auth); with --snapshot-time, a storage snapshot taken without backup mode, recovered by SQL*Plus.
 */
import type { LogMetadata } from '../../../archive/metadata.js';
import { plannedLog } from '../../../archive/fetch.js';
import { UsageError } from '../../../errors.js';
import { describeTarget, parseTargetTime, timeOrLatestTarget } from '../../restore-target.js';
import type { TargetFlags } from '../../restore-target.js';
import { stagingPlaceholder } from '../../staging.js';
import type { AppliedRestore, ApplyContext, EngineRestore, FetchTarget, PlanDescription, RestoreRequest } from '../../types.js';
import { parseSequenceTarget, planOracleRecovery, planStorageSnapshotRecovery } from './plan.js';
import type { OraclePlan, OracleTarget } from './plan.js';
import { createOracleStaging, runOracleRecovery } from './recover.js';
import type { RecoveryTool } from './recover.js';
import { rmanRecoveryScript, sqlplusSnapshotRecoveryScript } from './script.js';

interface OracleOptions extends TargetFlags {
  toScn?: string;
  toSequence?: string;
  open?: boolean;
  snapshotTime?: string;
  snapshot?: string;
  staging?: string;
}

/** A planned recovery: which logs, which script, which tool; `plan` only for `snaplog plan`. */
export interface OracleRecovery {
  logs: LogMetadata[];
  /** The first line(s) of the plan, as the DBA reads them. */
  heading: string;
  script: (stagingDir: string) => string;
  tool: RecoveryTool;
  label: string;
  /** As given (for `snaplog plan`: --to TIME or --latest). */
  target: OracleTarget;
  plan?: OraclePlan;
}

const optionsOf = (request: RestoreRequest): OracleOptions => request.options as OracleOptions;

/** Which one target the options name: --to-scn, --to-sequence, or the shared --to / --latest. */
export function oracleTarget(options: OracleOptions): OracleTarget {
  if (options.toGtid !== undefined || options.beforeGtid !== undefined || options.toPosition !== undefined) {
    throw new UsageError(
      'Oracle has no GTIDs or binlog positions: use --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest',
      'e.g. snaplog restore --to-scn 1234567',
    );
  }
  const scnText = options.toScn;
  const sequenceText = options.toSequence;
  const given = [scnText, sequenceText, options.to, options.latest].filter((value) => value !== undefined).length;
  if (given > 1) throw new UsageError('give one target: --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest');
  if (scnText !== undefined) {
    if (!/^\d+$/.test(scnText)) throw new UsageError(`--to-scn ${JSON.stringify(scnText)} is not an SCN (a whole number)`);
    return { kind: 'scn', scn: BigInt(scnText) };
  }
  if (sequenceText !== undefined) {
    const target = parseSequenceTarget(sequenceText);
    if (!target)
      throw new UsageError(
        `--to-sequence ${JSON.stringify(sequenceText)} is not [THREAD:]SEQUENCE`,
        'e.g. --to-sequence 2:1234 (thread 2, sequence 1234) or --to-sequence 1234 (thread 1)',
      );
    return target;
  }
  const shared = timeOrLatestTarget(options, {
    message: 'Oracle has no GTIDs or binlog positions: use --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest',
    hint: '--to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest',
  });
  return shared.kind === 'time' ? shared : { kind: 'latest' };
}

async function planRecovery(target: OracleTarget, request: RestoreRequest): Promise<OracleRecovery> {
  const { archive, systemId } = request;
  const options = optionsOf(request);
  const logs = await archive.listLogMetadata(systemId);
  const open = options.open !== false;
  if (request.purpose === 'plan' && target.kind !== 'time' && target.kind !== 'latest') {
    throw new UsageError('Oracle plans take --to TIME or --latest (snaplog restore also takes --to-scn)');
  }
  if (options.snapshotTime !== undefined && request.purpose !== 'plan') {
    if (target.kind !== 'time')
      throw new UsageError(
        '--snapshot-time recovers to a time: give --to TIME',
        'e.g. snaplog restore --snapshot-time 2026-11-22T02:00:00Z --to 2026-11-22T14:05:00Z',
      );
    const snapshotTime = parseTargetTime(String(options.snapshotTime), '--snapshot-time');
    const plan = planStorageSnapshotRecovery({ logs, snapshotTime, targetTime: target.time });
    return {
      logs: plan.logs,
      heading: `storage snapshot at ${new Date(snapshotTime * 1000).toISOString()} (no backup mode); threads ${plan.threads.join(', ')}`,
      script: (stagingDir) => sqlplusSnapshotRecoveryScript({ stagingDir, targetTime: plan.targetTime, snapshotTime, open }),
      tool: 'sqlplus',
      label: `storage snapshot ${new Date(snapshotTime * 1000).toISOString()}`,
      target,
    };
  }
  const plan = planOracleRecovery({ snapshots: await archive.listSnapshots(systemId), logs, target, snapshotId: options.snapshot });
  return {
    logs: plan.logs,
    heading: `snapshot ${plan.snapshot.id} (${plan.snapshot.time}) at SCN ${plan.snapshotScn}; threads ${plan.threads.join(', ')}`,
    script: (stagingDir) => rmanRecoveryScript({ stagingDir, target: plan.target, open }),
    tool: 'rman',
    label: plan.snapshot.id,
    target,
    plan,
  };
}

function describeRecovery(recovery: OracleRecovery, request: RestoreRequest): PlanDescription {
  const plan = recovery.plan;
  if (request.purpose === 'plan' && plan) {
    const target = recovery.target.kind === 'time' ? { ...recovery.target } : { kind: 'latest' as const };
    const json = {
      snapshot: { id: plan.snapshot.id, time: plan.snapshot.time, scn: String(plan.snapshotScn) },
      threads: plan.threads,
      logs: plan.logs.map((log) => ({ name: log.name, size: log.size, sha256: log.sha256, details: log.details })),
      target: describeTarget(target),
    };
    const lines = [
      `snapshot ${plan.snapshot.id} (${plan.snapshot.time}) at SCN ${plan.snapshotScn}`,
      `threads  ${plan.threads.join(', ')}`,
      `logs     ${plan.logs.map((log) => log.name).join(' ')}`,
    ];
    return { lines, json };
  }
  const script = recovery.script(stagingPlaceholder(optionsOf(request).staging, 'oracle-restore'));
  const tool = recovery.tool === 'rman' ? 'rman target /' : "sqlplus '/ as sysdba'";
  return {
    lines: [
      recovery.heading,
      `archived logs: ${recovery.logs.map((log) => log.name).join(' ')}`,
      `--dry-run: nothing fetched, nothing run. ${tool} would run:\n${script}`,
    ],
    json: { dryRun: true, tool: recovery.tool, logs: recovery.logs.map((log) => log.name), script },
  };
}

async function stageRecovery(recovery: OracleRecovery, request: RestoreRequest): Promise<FetchTarget> {
  request.say(recovery.heading);
  request.say(`archived logs: ${recovery.logs.map((log) => log.name).join(' ')}`);
  const staging = await createOracleStaging(request.config, optionsOf(request).staging);
  return { staging, logs: recovery.logs.map((log) => plannedLog(log, 0)) };
}

async function applyRecovery(recovery: OracleRecovery, request: RestoreRequest, { fetched }: ApplyContext): Promise<AppliedRestore> {
  if (!fetched) throw new Error('an Oracle recovery runs on the logs the conductor fetched');
  const { script, tool } = recovery;
  await runOracleRecovery({ config: request.config, staging: fetched.staging, fetched: fetched.logs, script, tool, say: request.say });
  return { json: { restored: true, snapshot: recovery.label, tool, staging: fetched.staging.path, logs: fetched.logs.map((log) => log.name) } };
}

export const oracleRestore: EngineRestore<OracleTarget, OracleRecovery> = {
  parseTarget: (options) => oracleTarget(options as OracleOptions),
  plan: planRecovery,
  describe: describeRecovery,
  eventFields: (recovery) => ({ plan: { snapshot: recovery.label }, start: { logs: recovery.logs.length } }),
  fetchInto: stageRecovery,
  apply: applyRecovery,
};
