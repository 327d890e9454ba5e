/** Runs a planned Oracle recovery: fetch + verify the archived logs, then RMAN (or SQL*Plus) as linux_user with OS auth. */
import { execa } from 'execa';
import type { Archive } from '../../../archive/archive.js';
import type { LogMetadata } from '../../../archive/metadata.js';
import type { SnaplogConfig } from '../../../config/index.js';
import { SnaplogError } from '../../../errors.js';
import { currentUserName } from '../../../processes.js';
import { createStaging, databaseUserIds, fetchIntoStaging, sealStaging, writeStagingFile } from '../../staging.js';
import { oracleConfig } from '../config.js';
import { findOraError, oracleError } from '../errors.js';
import { clientInvocation } from '../session.js';

export type RecoveryTool = 'rman' | 'sqlplus';

/** Pure: how the tool is started on the script file (never a credential: OS authentication). */
export function recoveryArguments(tool: RecoveryTool, scriptPath: string): string[] {
  return tool === 'rman' ? ['target', '/', `cmdfile=${scriptPath}`] : ['-S', '-L', '/ as sysdba', `@${scriptPath}`];
}

/**
 * Fetches the planned logs into a new private staging folder (--staging, or a random one under the temp
 * folder), writes the script there, hands files then folder to linux_user, then runs the tool.
 */
export async function runOracleRecovery(input: {
  config: SnaplogConfig;
  archive: Archive;
  systemId: string;
  logs: LogMetadata[];
  /** --staging: a path that must not exist yet; default a new random folder. */
  stagingDir: string | undefined;
  script: (stagingDir: string) => string;
  tool: RecoveryTool;
  say: (line: string) => void;
}): Promise<void> {
  const oracle = await oracleConfig(input.config);
  const planned = input.logs.map((log) => ({ name: log.name, sequence: log.sequence, size: log.size, sha256: log.sha256, storedName: log.storedName, compression: log.compression, from: 0 }));
  const staging = await createStaging(input.stagingDir, 'oracle-restore', await databaseUserIds(oracle.linuxUser));
  input.say(`staging folder ${staging.path}`);
  const fetched = await fetchIntoStaging(input.archive, input.systemId, planned, staging, (log) => input.say(`fetched and verified ${log.name}`));
  const scriptPath = await writeStagingFile(staging, input.tool === 'rman' ? 'recover.rman' : 'recover.sql', input.script(staging.path));
  await sealStaging(staging);
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
