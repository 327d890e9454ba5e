/** Oracle: archived redo logs from V$ARCHIVED_LOG, ARCHIVE LOG CURRENT, BEGIN/END BACKUP. */
import { basename } from 'node:path';
import { SnaplogError } from '../../errors.js';
import type { LogFacts, LogObserver } from '../../archive/metadata.js';
import type { Engine, QuiesceContext, Quiesced, SourceLog } from '../types.js';
import type { OracleConfig } from './config.js';
import type { OracleSession, Row } from './session.js';
import { utcText } from './session.js';
import { OracleError } from './errors.js';
import { armGuardBlock, dropGuardJobsBlock, GUARD_GRACE_SECONDS, guardJobName } from './backup-guard.js';

export interface ArchivedRedo {
  path: string;
  thread: number;
  sequence: number;
  resetlogsId: string;
  firstScn: string;
  nextScn: string;
  firstTime: string;
  nextTime: string;
}

/** Pure: the stream of an archived log — its redo thread within one incarnation (`t1-r1093456789`). */
export function redoStream(log: Pick<ArchivedRedo, 'thread' | 'resetlogsId'>): string {
  return `t${log.thread}-r${log.resetlogsId}`;
}

/** Pure: what the archive records about an archived log (the bytes are opaque to snaplog). */
export function redoFacts(log: ArchivedRedo, size: number): LogFacts {
  return {
    firstEventTime: log.firstTime,
    lastEventTime: log.nextTime,
    firstCommitTime: log.firstTime,
    lastCommitTime: log.nextTime,
    startPosition: 0,
    endPosition: size,
    details: { thread: log.thread, sequence: log.sequence, resetlogsId: log.resetlogsId, firstScn: log.firstScn, nextScn: log.nextScn },
  };
}

const DATABASE_QUERY = { columns: { NAME: 'name', DBID: 'dbid', LOG_MODE: 'log_mode' }, rest: 'v$database' };

const ARCHIVED_COLUMNS = {
  NAME: 'name',
  THREAD: 'thread#',
  SEQ: 'sequence#',
  RESETLOGS: 'resetlogs_id',
  FIRST_SCN: 'first_change#',
  NEXT_SCN: 'next_change#',
  FIRST_TIME: utcText('first_time'),
  NEXT_TIME: utcText('next_time'),
};

function toRedo(row: Row): ArchivedRedo {
  return {
    path: row.NAME!,
    thread: Number(row.THREAD),
    sequence: Number(row.SEQ),
    resetlogsId: row.RESETLOGS!,
    firstScn: row.FIRST_SCN!,
    nextScn: row.NEXT_SCN!,
    firstTime: row.FIRST_TIME!,
    nextTime: row.NEXT_TIME!,
  };
}

/** The archived log with the highest NEXT_CHANGE# (the last redo archived on any thread). */
function newestLog(logs: SourceLog[], known: Map<string, ArchivedRedo>): string | undefined {
  let best: ArchivedRedo | undefined;
  for (const log of logs) {
    const redo = known.get(log.name);
    if (redo && (!best || BigInt(redo.nextScn) > BigInt(best.nextScn))) best = redo;
  }
  return best ? basename(best.path) : undefined;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class OracleEngine implements Engine {
  readonly kind = 'oracle';
  private readonly known = new Map<string, ArchivedRedo>();
  private database: { name: string; dbid: string; logMode: string } | undefined;

  constructor(
    private readonly config: OracleConfig,
    private readonly session: OracleSession,
  ) {}

  private async describeDatabase(): Promise<{ name: string; dbid: string; logMode: string }> {
    if (!this.database) this.remember((await this.session.query(DATABASE_QUERY.columns, DATABASE_QUERY.rest, 'reading V$DATABASE'))[0]);
    return this.database!;
  }

  private remember(row: Row | undefined): void {
    if (!row) throw new SnaplogError('V$DATABASE returned no row', { hint: 'is the database mounted?' });
    this.database = { name: row.NAME!, dbid: row.DBID!, logMode: row.LOG_MODE! };
  }

  /** NOARCHIVELOG databases produce no archived logs and cannot be put in backup mode: say so first. */
  async assertArchivelog(): Promise<void> {
    const { name, logMode } = await this.describeDatabase();
    if (logMode !== 'ARCHIVELOG') {
      throw new OracleError(
        'ORA-01123',
        `database ${name} runs in ${logMode} mode: snaplog needs ARCHIVELOG (no archived logs to ship, no online backup)`,
        'SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN',
        2,
      );
    }
  }

  async systemId(): Promise<string> {
    if (this.config.systemId) return this.config.systemId;
    const { name, dbid } = await this.describeDatabase();
    return `oracle-${name.toLowerCase()}-${dbid}`;
  }

  /** Archived logs of the current incarnation at the local destination, in thread and sequence order; all closed. */
  async listSourceLogs(): Promise<SourceLog[]> {
    const listing = {
      columns: ARCHIVED_COLUMNS,
      rest: `v$archived_log WHERE dest_id = ${this.config.destId} AND name IS NOT NULL AND deleted = 'NO' AND status = 'A' AND standby_dest = 'NO' AND resetlogs_id = (SELECT resetlogs_id FROM v$database_incarnation WHERE status = 'CURRENT') ORDER BY thread#, sequence#`,
    };
    const what = 'listing archived logs (V$ARCHIVED_LOG)';
    let rows: Row[];
    if (this.database) rows = await this.session.query(listing.columns, listing.rest, what);
    else {
      // The first call of a process also learns the database (one sqlplus run, not two).
      const [database, archived] = await this.session.batch(undefined, [DATABASE_QUERY, listing], what);
      this.remember(database![0]);
      rows = archived!;
    }
    await this.assertArchivelog();
    const inAsm = rows.find((row) => row.NAME?.startsWith('+'));
    if (inAsm) {
      throw new SnaplogError(`archive destination ${this.config.destId} is in ASM (${inAsm.NAME}): snaplog reads archived logs from a file system`, {
        exitCode: 2,
        hint: "add a file-system destination (ALTER SYSTEM SET LOG_ARCHIVE_DEST_2 = 'LOCATION=/u02/arch' SCOPE=BOTH) and set [oracle] dest_id = 2",
      });
    }
    return rows.map((row) => {
      const redo = toRedo(row);
      this.known.set(basename(redo.path), redo);
      return { name: basename(redo.path), path: redo.path, sequence: redo.sequence, stream: redoStream(redo), closed: true };
    });
  }

  observeLog(log: SourceLog): LogObserver {
    const redo = this.known.get(log.name);
    let size = 0;
    return {
      push: (chunk) => {
        size += chunk.length;
      },
      finish: () => (redo ? redoFacts(redo, size) : { startPosition: 0, endPosition: size }),
    };
  }

  /** ARCHIVE LOG CURRENT (all threads, waits for the archiver); SWITCH LOGFILE when that is refused. Returns the newest archived log. */
  async switchLog(): Promise<string | undefined> {
    await this.assertArchivelog();
    try {
      await this.session.execute('ALTER SYSTEM ARCHIVE LOG CURRENT', 'ALTER SYSTEM ARCHIVE LOG CURRENT');
    } catch (error) {
      if (!(error instanceof OracleError) || error.oraCode === 'ORA-01017' || error.oraCode === 'ORA-01034') throw error;
      await this.session.execute('ALTER SYSTEM SWITCH LOGFILE', 'ALTER SYSTEM SWITCH LOGFILE');
    }
    return newestLog(await this.listSourceLogs(), this.known);
  }

  /** Archived logs are closed by definition; the online log's age is Oracle's ARCHIVE_LAG_TARGET's business. */
  async firstTransactionAgeSeconds(): Promise<number | undefined> {
    return undefined;
  }

  /**
   * BEGIN BACKUP, then the SCN and time the snapshot stands at. Global: it outlives this session, so a
   * guard job in the database is armed first (see backup-guard.ts) and the holder's watchdog stands by
   * (it runs before this is called). Every call ends by the pre-step's deadline; a BEGIN BACKUP cut off
   * there may or may not have run, so it is followed by END BACKUP.
   */
  async quiesce(budget?: QuiesceContext): Promise<Quiesced> {
    this.session.limitTo(budget?.deadlineMs);
    let guarded = false;
    let backupAsked = false;
    let newest: string | undefined;
    let scn: string;
    let version: string;
    try {
      // The snapshot stands just after the newest archived log: the record names it, so the archive
      // catalog can tell its window and the planner its incarnation.
      newest = newestLog(await this.listSourceLogs(), this.known);
      guarded = await this.armGuard();
      try {
        // BEGIN BACKUP and the reads after it in one run: less time in backup mode before the snapshot.
        backupAsked = true;
        const [scnRows, versionRows] = await this.session.batch(
          'ALTER DATABASE BEGIN BACKUP',
          [
            { columns: { SCN: 'current_scn' }, rest: 'v$database' },
            { columns: { VERSION: 'version' }, rest: 'v$instance' },
          ],
          'ALTER DATABASE BEGIN BACKUP',
        );
        scn = scnRows?.[0]?.SCN ?? '';
        version = versionRows?.[0]?.VERSION || 'unknown';
        if (!/^\d+$/.test(scn)) throw new SnaplogError(`V$DATABASE gave no SCN (${JSON.stringify(scn)})`);
      } finally {
        this.session.limitTo(undefined);
      }
    } catch (error) {
      this.session.limitTo(undefined);
      // ORA-01146: backup mode was on before this freeze (another tool's): not ours to end. Any other
      // failure may have left ours on (a read failed, the connection dropped, the call was cut off at the
      // deadline): END BACKUP to be sure.
      if (backupAsked && !(error instanceof OracleError && error.oraCode === 'ORA-01146')) await this.forceRelease().catch(() => undefined);
      else if (guarded) await this.disarmGuard();
      throw error;
    }
    return {
      position: { file: newest ?? 'scn', position: Number(scn), gtid: scn },
      serverVersion: version,
      method: 'begin-backup',
      global: true,
      release: async () => {
        await this.session.execute('ALTER DATABASE END BACKUP', 'ALTER DATABASE END BACKUP');
        if (guarded) await this.disarmGuard();
        await this.session.execute('ALTER SYSTEM ARCHIVE LOG CURRENT', 'ALTER SYSTEM ARCHIVE LOG CURRENT after END BACKUP').catch(() => undefined);
      },
    };
  }

  /** The scheduler job that ends backup mode after timeout + grace; false (with a warning) when it cannot be made. */
  private async armGuard(): Promise<boolean> {
    if (!this.config.backupGuard) return false;
    try {
      await this.session.execute(
        armGuardBlock(guardJobName(new Date()), this.config.freezeTimeoutSeconds + GUARD_GRACE_SECONDS),
        'creating the backup-mode guard job (DBMS_SCHEDULER)',
      );
      return true;
    } catch (error) {
      this.warn(
        `no database-side guard for backup mode (${errorText(error)}): only the watchdog process will end it if the freeze holder dies. Grant CREATE JOB, or set [oracle] backup_guard = none`,
      );
      return false;
    }
  }

  /** Drops the guard job(s); a job left behind only runs END BACKUP, and the next freeze drops it first. */
  private async disarmGuard(): Promise<void> {
    await this.session
      .execute(dropGuardJobsBlock(), 'dropping the backup-mode guard job')
      .catch((error: unknown) => this.warn(`the backup-mode guard job stays (${errorText(error)}); it only runs END BACKUP and the next freeze drops it`));
  }

  private warn(message: string): void {
    process.stderr.write(`snaplog: warning: ${message}\n`);
  }

  /** END BACKUP from any process; "no file in backup mode" (ORA-01142) means there is nothing to end. */
  async forceRelease(): Promise<void> {
    try {
      await this.session.execute('ALTER DATABASE END BACKUP', 'ALTER DATABASE END BACKUP (watchdog)');
    } catch (error) {
      if (!(error instanceof OracleError && error.oraCode === 'ORA-01142')) throw error;
    }
    if (this.config.backupGuard) await this.disarmGuard();
  }

  /** Datafiles in backup mode right now (V$BACKUP ACTIVE): a freeze in force, or one nobody ended. */
  async filesInBackupMode(): Promise<number> {
    const [row] = await this.session.query({ N: 'COUNT(*)' }, "v$backup WHERE status = 'ACTIVE'", 'reading V$BACKUP');
    return Number(row?.N ?? 0);
  }

  async globalFreezeInForce(): Promise<string | undefined> {
    const active = await this.filesInBackupMode();
    return active > 0 ? `${active} datafile(s) are in backup mode (V$BACKUP status ACTIVE)` : undefined;
  }

  async warningsWhenNotFrozen(): Promise<string[]> {
    const active = await this.filesInBackupMode();
    return active > 0
      ? [
          `${active} datafile(s) are in backup mode (V$BACKUP ACTIVE) and no snaplog freeze is running: an earlier freeze or another tool never ended it; redo piles up and a crash would need media recovery. Run ALTER DATABASE END BACKUP if no backup is running`,
        ]
      : [];
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
