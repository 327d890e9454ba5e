/** Runs a planned Oracle recovery: fetch + verify the archived logs, then RMAN (or SQL*Plus) as linux_user with OS auth. */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Archive } from '../../archive/archive.js';
import type { LogMetadata } from '../../archive/metadata.js';
import type { SnaplogConfig } from '../../config/index.js';
import { SnaplogError } from '../../errors.js';
import { currentUserName } from '../../processes.js';
import { fetchLogs } from '../../restore/fetch.js';
import { oracleConfig } from './config.js';
import { findOraError, oracleError } from './errors.js';
import { clientInvocation } from './session.js';

export type RecoveryTool = 'rman' | 'sqlplus';

/** Pure: how the tool is started on the script file (never a credential: OS authentication). */
export function recoveryArguments(tool: RecoveryTool, scriptPath: string): string[] {
  return tool === 'rman' ? ['target', '/', `cmdfile=${scriptPath}`] : ['-S', '-L', '/ as sysdba', `@${scriptPath}`];
}

export async function runOracleRecovery(input: { config: SnaplogConfig; archive: Archive; systemId: string; logs: LogMetadata[]; stagingDir: string; script: string; tool: RecoveryTool; say: (line: string) => void }): Promise<void> {
  const oracle = await oracleConfig(input.config);
  const planned = input.logs.map((log) => ({ name: log.name, sequence: log.sequence, size: log.size, sha256: log.sha256, storedName: log.storedName, compression: log.compression, from: 0 }));
  const fetched = await fetchLogs(input.archive, input.systemId, planned, input.stagingDir, (log) => input.say(`fetched and verified ${log.name}`));
  // The oracle user reads the staging folder; nothing in it is secret.
  await chmod(input.stagingDir, 0o755);
  for (const log of fetched) await chmod(log.path, 0o644);
  const scriptPath = join(input.stagingDir, input.tool === 'rman' ? 'recover.rman' : 'recover.sql');
  await writeFile(scriptPath, input.script, { mode: 0o644 });
  const { file, args: argv } = clientInvocation(oracle, input.tool, recoveryArguments(input.tool, scriptPath), currentUserName());
  const result = await execa(file, argv, { reject: false, input: '', env: { ORACLE_SID: oracle.sid, ORACLE_HOME: oracle.oracleHome }, timeout: 24 * 3600 * 1000 });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const rmanError = /(RMAN-(?!00571)\d{5}): ?([^\n]*)/.exec(output);
  const ora = findOraError(output);
  const what = input.tool === 'rman' ? 'RMAN recovery' : 'SQL*Plus recovery';
  if (result.exitCode !== 0 || rmanError || ora) {
    if (ora) throw oracleError(what, ora.code, ora.message);
    throw new SnaplogError(`${what} failed (exit ${result.exitCode ?? 'signal'}): ${rmanError ? `${rmanError[1]}: ${rmanError[2]}` : output.trim().split('\n').slice(-3).join(' / ')}`, {
      hint: `the script is ${scriptPath}; the database must be mounted (STARTUP MOUNT) and the files restored from the snapshot`,
    });
  }
  input.say(`recovered with ${fetched.length} archived log(s); ${input.tool} script ${scriptPath}`);
}
