/** Runs a planned Oracle recovery on the fetched and verified archived logs: RMAN (or SQL*Plus) as linux_user with OS auth. */
import { execa } from 'execa';
import type { FetchedLog } from '../../../archive/fetch.js';
import type { SnaplogConfig } from '../../../config/index.js';
import { SnaplogError } from '../../../errors.js';
import { currentUserName } from '../../../processes.js';
import { createStaging, databaseUserIds, sealStaging, writeStagingFile } from '../../staging.js';
import type { Staging } from '../../staging.js';
import { oracleConfig } from '../config.js';
import { findOraError, oracleError } from '../errors.js';
import { clientInvocation } from '../session.js';

export type RecoveryTool = 'rman' | 'sqlplus';

/** Pure: how the tool is started on the script file (never a credential: OS authentication). */
export function recoveryArguments(tool: RecoveryTool, scriptPath: string): string[] {
  return tool === 'rman' ? ['target', '/', `cmdfile=${scriptPath}`] : ['-S', '-L', '/ as sysdba', `@${scriptPath}`];
}

/** A new private staging folder for the archived logs (--staging, or a random one under the temp folder), for linux_user. */
export async function createOracleStaging(config: SnaplogConfig, requested: string | undefined): Promise<Staging> {
  const oracle = await oracleConfig(config);
  return createStaging(requested, 'oracle-restore', await databaseUserIds(oracle.linuxUser));
}

/**
 * With the archived logs fetched and verified into the staging folder: writes the script there, hands the
 * folder to linux_user (the files were handed over as they were written), then runs the tool.
 */
export async function runOracleRecovery(input: {
  config: SnaplogConfig;
  staging: Staging;
  fetched: FetchedLog[];
  script: (stagingDir: string) => string;
  tool: RecoveryTool;
  say: (line: string) => void;
}): Promise<void> {
  const oracle = await oracleConfig(input.config);
  const { staging, fetched } = input;
  const scriptPath = await writeStagingFile(staging, input.tool === 'rman' ? 'recover.rman' : 'recover.sql', input.script(staging.path));
  await sealStaging(staging);
  const { file, args: argv } = clientInvocation(oracle, input.tool, recoveryArguments(input.tool, scriptPath), currentUserName());
  const result = await execa(file, argv, {
    reject: false,
    input: '',
    env: { ORACLE_SID: oracle.sid, ORACLE_HOME: oracle.oracleHome },
    timeout: 24 * 3600 * 1000,
  });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const rmanError = /(RMAN-(?!00571)\d{5}): ?([^\n]*)/.exec(output);
  const ora = findOraError(output);
  const what = input.tool === 'rman' ? 'RMAN recovery' : 'SQL*Plus recovery';
  if (result.exitCode !== 0 || rmanError || ora) {
    if (ora) throw oracleError(what, ora.code, ora.message);
    throw new SnaplogError(
      `${what} failed (exit ${result.exitCode ?? 'signal'}): ${rmanError ? `${rmanError[1]}: ${rmanError[2]}` : output.trim().split('\n').slice(-3).join(' / ')}`,
      {
        hint: `the script is ${scriptPath}; the database must be mounted (STARTUP MOUNT) and the files restored from the snapshot`,
      },
    );
  }
  input.say(`recovered with ${fetched.length} archived log(s); ${input.tool} script ${scriptPath}`);
}
