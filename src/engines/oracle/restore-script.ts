/** Pure: the RMAN (and SQL*Plus) recovery scripts for a restored Oracle database. */
import type { OracleTarget } from './restore-plan.js';

/** Pure: ISO time → the literal RMAN's SET UNTIL TIME takes (UTC turned into the server's local time by the server). */
function untilTimeExpression(unixSeconds: number): string {
  const utc = new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  return `CAST(FROM_TZ(TIMESTAMP '${utc}', '+00:00') AT LOCAL AS DATE)`;
}

/**
 * RMAN: catalog the fetched logs, recover until the target, open with RESETLOGS. SET UNTIL is exclusive:
 * a time target applies everything committed at or before TIME (until TIME + 1 s), an SCN target
 * everything through that SCN (until SCN + 1), a sequence target that log included (until SEQUENCE + 1).
 */
export function rmanRecoveryScript(input: { stagingDir: string; target: OracleTarget; open: boolean }): string {
  const until =
    input.target.kind === 'time'
      ? `  SET UNTIL TIME "${untilTimeExpression(input.target.time + 1)}";\n`
      : input.target.kind === 'scn'
        ? `  SET UNTIL SCN ${input.target.scn + 1n};\n`
        : input.target.kind === 'sequence'
          ? `  SET UNTIL SEQUENCE ${input.target.sequence + 1} THREAD ${input.target.thread};\n`
          : '';
  return [
    `CATALOG START WITH '${input.stagingDir.replace(/'/g, "''")}/' NOPROMPT;`,
    'RUN {',
    `${until}  RECOVER DATABASE;`,
    '}',
    ...(input.open ? ['ALTER DATABASE OPEN RESETLOGS;'] : []),
    'EXIT;',
    '',
  ].join('\n');
}

/** SQL*Plus form for a snapshot taken without backup mode (storage snapshot, Oracle 18c+ SNAPSHOT TIME). */
export function sqlplusSnapshotRecoveryScript(input: { stagingDir: string; targetTime: number; snapshotTime: number }): string {
  const literal = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  return [
    `ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS';`,
    `ALTER SESSION SET TIME_ZONE = '+00:00';`,
    `RECOVER AUTOMATIC FROM '${input.stagingDir.replace(/'/g, "''")}' DATABASE UNTIL TIME '${literal(input.targetTime + 1)}' SNAPSHOT TIME '${literal(input.snapshotTime)}';`,
    'ALTER DATABASE OPEN RESETLOGS;',
    'EXIT;',
    '',
  ].join('\n');
}
