/**
 * Pure: the database-side backstop for backup mode. BEGIN BACKUP is global and outlives every client
 * process; the watchdog process ends it if the holder dies, but a kill of every snaplog process (or of
 * the VM agent's process tree) would leave it on. Before BEGIN BACKUP snaplog therefore creates a
 * one-off DBMS_SCHEDULER job that runs END BACKUP a little after the freeze timeout; thaw (or the
 * watchdog) drops it. Only the database has to survive for backup mode to end.
 */

/** Every guard job's name starts with this (≤ 30 characters in all, for pre-12.2 databases). */
export const GUARD_JOB_PREFIX = 'SNAPLOG_EB_';

/** Seconds past the freeze timeout the job waits: the holder releases at the timeout, the watchdog soon after. */
export const GUARD_GRACE_SECONDS = 60;

export function guardJobName(now: Date): string {
  return `${GUARD_JOB_PREFIX}${now.toISOString().replace(/\D/g, '').slice(0, 14)}`;
}

/** END BACKUP; "no file in backup mode" (ORA-01142) is success. */
const END_BACKUP_ACTION = "BEGIN EXECUTE IMMEDIATE 'ALTER DATABASE END BACKUP'; EXCEPTION WHEN OTHERS THEN IF SQLCODE <> -1142 THEN RAISE; END IF; END;";

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** A PL/SQL block (one line) creating the job that ends backup mode `afterSeconds` from now. */
export function createGuardJobBlock(name: string, afterSeconds: number): string {
  return (
    `BEGIN DBMS_SCHEDULER.CREATE_JOB(job_name => ${quote(name)}, job_type => 'PLSQL_BLOCK', ` +
    `job_action => ${quote(END_BACKUP_ACTION)}, ` +
    `start_date => SYSTIMESTAMP + NUMTODSINTERVAL(${Math.ceil(afterSeconds)}, 'SECOND'), enabled => TRUE, auto_drop => TRUE, ` +
    `comments => 'snaplog: ends backup mode if no thaw and no watchdog did'); END;`
  );
}

/** A PL/SQL block (one line) dropping every guard job of this user: this freeze's and any left by an earlier one. */
export function dropGuardJobsBlock(): string {
  return `BEGIN FOR j IN (SELECT job_name FROM user_scheduler_jobs WHERE job_name LIKE '${GUARD_JOB_PREFIX.replace(/_/g, '\\_')}%' ESCAPE '\\') LOOP DBMS_SCHEDULER.DROP_JOB(j.job_name, force => TRUE); END LOOP; END;`;
}

/** One round trip before BEGIN BACKUP: drop any guard left by an earlier freeze, then create this one. */
export function armGuardBlock(name: string, afterSeconds: number): string {
  const inner = (block: string): string => block.replace(/^BEGIN /, '').replace(/ END;$/, '');
  return `BEGIN ${inner(dropGuardJobsBlock())} ${inner(createGuardJobBlock(name, afterSeconds))} END;`;
}
