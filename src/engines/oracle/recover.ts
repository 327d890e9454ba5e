/** Runs a planned Oracle recovery: fetch + verify the archived logs, then RMAN as linux_user with OS auth. */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Archive } from '../../archive/archive.js';
import type { SnaplogConfig } from '../../config/index.js';
import { SnaplogError } from '../../errors.js';
import { currentUserName } from '../../processes.js';
import { fetchLogs } from '../../restore/fetch.js';
import { oracleConfig } from './config.js';
import { findOraError, oracleError } from './errors.js';
import type { OraclePlan } from './restore-plan.js';
import { clientInvocation } from './session.js';

export async function runOracleRecovery(input: { config: SnaplogConfig; archive: Archive; systemId: string; plan: OraclePlan; stagingDir: string; script: string; say: (line: string) => void }): Promise<void> {
  const oracle = await oracleConfig(input.config);
  const planned = input.plan.logs.map((log) => ({ name: log.name, sequence: log.sequence, size: log.size, sha256: log.sha256, storedName: log.storedName, compression: log.compression, from: 0 }));
  const fetched = await fetchLogs(input.archive, input.systemId, planned, input.stagingDir, (log) => input.say(`fetched and verified ${log.name}`));
  await chmod(input.stagingDir, 0o755);
  for (const log of fetched) await chmod(log.path, 0o644);
  const scriptPath = join(input.stagingDir, 'recover.rman');
  await writeFile(scriptPath, input.script, { mode: 0o644 });
  const { file, args } = clientInvocation(oracle, 'rman', ['target', '/', `cmdfile=${scriptPath}`], currentUserName());
  const result = await execa(file, args, { reject: false, env: { ORACLE_SID: oracle.sid, ORACLE_HOME: oracle.oracleHome }, timeout: 24 * 3600 * 1000 });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const rmanError = /(RMAN-(?!00571)\d{5}): ?([^\n]*)/.exec(output);
  const ora = findOraError(output);
  if (result.exitCode !== 0 || rmanError || ora) {
    if (ora) throw oracleError('RMAN recovery', ora.code, ora.message);
    throw new SnaplogError(`RMAN recovery failed (exit ${result.exitCode ?? 'signal'}): ${rmanError ? `${rmanError[1]}: ${rmanError[2]}` : output.trim().split('\n').slice(-3).join(' / ')}`, {
      hint: `the script is ${scriptPath}; the database must be mounted (STARTUP MOUNT) and the files restored from the snapshot`,
    });
  }
  input.say(`recovered with ${fetched.length} archived log(s); RMAN script ${scriptPath}`);
}
