/** Pure: the RMAN (and SQL*Plus) recovery scripts for a restored Oracle database. */
import type { OracleTarget } from './plan.js';

/** Pure: 'YYYY-MM-DD HH24:MI:SS' in UTC. */
function utcLiteral(unixSeconds: number): string {
  return new Date(unixSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/**
 * Pure: a UTC time as the server-local DATE the redo timestamps are kept in. The server's own offset
 * (SYSTIMESTAMP's, as when snaplog recorded the log times), not the client session's time zone.
 */
function serverLocalDate(unixSeconds: number): string {
  return `CAST(FROM_TZ(TIMESTAMP '${utcLiteral(unixSeconds)}', '+00:00') AT TIME ZONE TO_CHAR(SYSTIMESTAMP, 'TZR') AS DATE)`;
}

const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * RMAN: catalog the fetched logs, recover until the target, open with RESETLOGS. SET UNTIL is exclusive:
 * a time target applies everything committed at or before TIME (until TIME + 1 s), an SCN target
 * everything through that SCN (until SCN + 1), a sequence target that log included (until SEQUENCE + 1).
 * No RESTORE DATABASE: the datafiles come from the snapshot.
 */
export function rmanRecoveryScript(input: { stagingDir: string; target: OracleTarget; open: boolean }): string {
  const until =
    input.target.kind === 'time'
      ? `  SET UNTIL TIME "${serverLocalDate(input.target.time + 1)}";\n`
      : input.target.kind === 'scn'
        ? `  SET UNTIL SCN ${input.target.scn + 1n};\n`
        : input.target.kind === 'sequence'
          ? `  SET UNTIL SEQUENCE ${input.target.sequence + 1} THREAD ${input.target.thread};\n`
          : '';
  return [
    `CATALOG START WITH ${quoted(`${input.stagingDir}/`)} NOPROMPT;`,
    'RUN {',
    `${until}  RECOVER DATABASE;`,
    '}',
    ...(input.open ? ['ALTER DATABASE OPEN RESETLOGS;'] : []),
    'EXIT;',
    '',
  ].join('\n');
}

/**
 * SQL*Plus form for a storage snapshot taken without backup mode (Oracle 18c+ RECOVER … SNAPSHOT TIME).
 * RECOVER takes literals, so the server first turns the UTC times into its local ones (substitution
 * variables). The fetched logs are read from the staging folder.
 */
export function sqlplusSnapshotRecoveryScript(input: { stagingDir: string; targetTime: number; snapshotTime: number; open: boolean }): string {
  return [
    'WHENEVER SQLERROR EXIT FAILURE',
    'SET VERIFY OFF',
    "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS';",
    'COLUMN until_time NEW_VALUE until_time NOPRINT',
    'COLUMN snapshot_time NEW_VALUE snapshot_time NOPRINT',
    `SELECT ${serverLocalDate(input.targetTime + 1)} AS until_time, ${serverLocalDate(input.snapshotTime)} AS snapshot_time FROM dual;`,
    `RECOVER AUTOMATIC FROM ${quoted(input.stagingDir)} DATABASE UNTIL TIME '&until_time' SNAPSHOT TIME '&snapshot_time';`,
    ...(input.open ? ['ALTER DATABASE OPEN RESETLOGS;'] : []),
    'EXIT',
    '',
  ].join('\n');
}
