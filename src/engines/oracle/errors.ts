import { SnaplogError } from '../../errors.js';

/** An ORA- error with what a DBA should do about it. */
export class OracleError extends SnaplogError {
  constructor(
    readonly oraCode: string,
    message: string,
    hint: string,
    exitCode: 1 | 2 = 1,
  ) {
    super(message, { hint, exitCode });
  }
}

/** A call whose effect on the database is unknown (connection lost, client timed out): it may have run. */
export class OutcomeUnknownError extends SnaplogError {}

/** Pure: node-oracledb / Oracle Net messages that mean the connection is gone, not that the statement failed. */
export function isConnectionLost(text: string): boolean {
  return /\b(NJS-500|NJS-501|NJS-003|DPI-1080|ORA-03113|ORA-03114|ORA-03135|ORA-03156)\b/.test(text);
}

const HINTS: Record<string, string> = {
  'ORA-01017': 'wrong user name or password: check [oracle] password_file (0600, the password only) and user',
  'ORA-01031': 'the user lacks a privilege: SYSDBA or SYSBACKUP is needed (OS auth: linux_user must be in the dba/backupdba group)',
  'ORA-00942': 'the user cannot read the V$ views: connect AS SYSDBA/SYSBACKUP, or GRANT SELECT ANY DICTIONARY',
  'ORA-01123':
    'the database runs in NOARCHIVELOG mode: online backup and log shipping need ARCHIVELOG (SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN)',
  'ORA-00258': 'the database runs in NOARCHIVELOG mode: switch it to ARCHIVELOG to ship logs',
  'ORA-01034': 'the instance is not running (check ORACLE_SID / [oracle] sid and that the database is up)',
  'ORA-01146': 'a datafile is already in backup mode: another backup is running, or an earlier freeze was never ended (ALTER DATABASE END BACKUP)',
  'ORA-01142': 'no datafile is in backup mode',
};

/** Pure: the first ORA- error in sqlplus/rman output or an oracledb message. */
export function findOraError(text: string): { code: string; message: string } | undefined {
  const match = /(ORA-\d{5}): ?([^\n]*)/.exec(text);
  return match ? { code: match[1]!, message: match[2]!.trim() } : undefined;
}

/** The SnaplogError for an ORA- error met while doing `what`. */
export function oracleError(what: string, code: string, message: string): OracleError {
  return new OracleError(code, `${what} failed: ${code}: ${message}`, HINTS[code] ?? 'see the alert log of the instance', code === 'ORA-01017' ? 2 : 1);
}
