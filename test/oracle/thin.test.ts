import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { OracleEngine } from '../../src/engines/oracle/engine.js';
import type { OracleConfig } from '../../src/engines/oracle/config.js';
import { ThinSession } from '../../src/engines/oracle/session.js';
import type { ThinConnection } from '../../src/engines/oracle/session.js';

/** A scripted Oracle model behind a fake node-oracledb Thin connection: answers by statement, records every one. */
class FakeThinConnection implements ThinConnection {
  readonly sql: string[] = [];
  backupActive = false;
  logMode = 'ARCHIVELOG';
  scn = 9000;
  /** statement fragment → ORA- error message thrown for it */
  failures = new Map<string, string>();
  archived = [
    {
      NAME: '/u01/arch/1_41_1093456789.arc',
      THREAD: '1',
      SEQ: '41',
      RESETLOGS: '1093456789',
      FIRST_SCN: '8000',
      NEXT_SCN: '8400',
      FIRST_TIME: '2026-11-22T10:00:00Z',
      NEXT_TIME: '2026-11-22T10:10:00Z',
    },
    {
      NAME: '/u01/arch/2_17_1093456789.arc',
      THREAD: '2',
      SEQ: '17',
      RESETLOGS: '1093456789',
      FIRST_SCN: '8100',
      NEXT_SCN: '8500',
      FIRST_TIME: '2026-11-22T10:01:00Z',
      NEXT_TIME: '2026-11-22T10:12:00Z',
    },
  ];

  /** The next call finds the connection broken (idle timeout, listener restart). */
  breakNext = false;
  /** This statement runs, then the connection drops before the reply. */
  loseReplyOn?: string;

  /** Set by the session before each call (node-oracledb's per-call limit); recorded with each statement. */
  callTimeout?: number;
  readonly limits: [string, number | undefined][] = [];

  async execute(sql: string): Promise<{ rows?: unknown[] }> {
    this.limits.push([sql, this.callTimeout]);
    if (this.breakNext) {
      this.breakNext = false;
      throw new Error('NJS-500: connection to the Oracle Database was broken');
    }
    this.sql.push(sql);
    for (const [fragment, message] of this.failures) if (sql.includes(fragment)) throw new Error(message);
    if (this.loseReplyOn && sql.includes(this.loseReplyOn)) {
      this.loseReplyOn = undefined;
      await this.answer(sql);
      throw new Error('DPI-1080: connection was closed by ORA-03113: end-of-file on communication channel');
    }
    return this.answer(sql);
  }

  private async answer(sql: string): Promise<{ rows?: unknown[] }> {
    if (sql.includes('BEGIN BACKUP')) {
      if (this.logMode !== 'ARCHIVELOG') throw new Error('ORA-01123: cannot start online backup; media recovery not enabled');
      if (this.backupActive) throw new Error('ORA-01146: cannot start online backup - file 1 is already in backup');
      this.backupActive = true;
      return {};
    }
    if (sql.includes('END BACKUP') && !sql.includes('CREATE_JOB')) {
      if (!this.backupActive) throw new Error('ORA-01142: cannot end online backup - none of the files are in backup');
      this.backupActive = false;
      return {};
    }
    if (sql.includes('v$archived_log')) return { rows: this.archived };
    if (sql.includes('current_scn')) return { rows: [{ SCN: String((this.scn += 11)) }] };
    if (sql.includes('log_mode')) return { rows: [{ NAME: 'ORCL', DBID: '1234567890', LOG_MODE: this.logMode }] };
    if (sql.includes('v$instance')) return { rows: [{ VERSION: '19.21.0.0.0' }] };
    if (sql.includes('v$backup')) return { rows: [{ N: this.backupActive ? '4' : '0' }] };
    return {};
  }

  async close(): Promise<void> {}
}

const config: OracleConfig = {
  sid: 'ORCL',
  oracleHome: '/u01/app/oracle/19c',
  binDir: '/u01/app/oracle/19c/bin',
  linuxUser: 'oracle',
  auth: { kind: 'password', user: 'sys', privilege: 'sysbackup', passwordFile: '/etc/snaplog/oracle.pw', connectString: 'db:1521/ORCL' },
  destId: 2,
  callTimeoutSeconds: 120,
  backupGuard: true,
  freezeTimeoutSeconds: 300,
};

describe('Oracle engine against a scripted Oracle model behind a fake oracledb Thin connection', () => {
  it("lists the current incarnation's archived logs at the configured destination, one stream per thread", async () => {
    const fake = new FakeThinConnection();
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    const logs = await engine.listSourceLogs();
    expect(logs).toEqual([
      { name: '1_41_1093456789.arc', path: '/u01/arch/1_41_1093456789.arc', sequence: 41, stream: 't1-r1093456789', closed: true },
      { name: '2_17_1093456789.arc', path: '/u01/arch/2_17_1093456789.arc', sequence: 17, stream: 't2-r1093456789', closed: true },
    ]);
    const listing = fake.sql.find((sql) => sql.includes('v$archived_log'))!;
    expect(listing).toContain("WHERE dest_id = 2 AND name IS NOT NULL AND deleted = 'NO' AND status = 'A'");
    expect(listing).toContain("resetlogs_id = (SELECT resetlogs_id FROM v$database_incarnation WHERE status = 'CURRENT')");
    expect(await engine.systemId()).toBe('oracle-orcl-1234567890');
    const observer = engine.observeLog(logs[1]!);
    observer.push(Buffer.alloc(512));
    expect(observer.finish()).toMatchObject({
      endPosition: 512,
      firstCommitTime: '2026-11-22T10:01:00Z',
      details: { thread: 2, sequence: 17, firstScn: '8100', nextScn: '8500' },
    });
  });

  it('quiesce arms the guard job before BEGIN BACKUP and reads the SCN; release ends backup mode, drops the guard, archives', async () => {
    const fake = new FakeThinConnection();
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    const quiesced = await engine.quiesce();
    expect(quiesced).toMatchObject({ method: 'begin-backup', global: true, position: { file: '2_17_1093456789.arc', gtid: '9011' } });
    const writes = () => fake.sql.filter((sql) => !sql.startsWith('SELECT'));
    expect(writes()).toHaveLength(2);
    expect(writes()[0]).toMatch(
      /^BEGIN FOR j IN .*DBMS_SCHEDULER\.DROP_JOB.* DBMS_SCHEDULER\.CREATE_JOB\(job_name => 'SNAPLOG_EB_\d{14}'.*NUMTODSINTERVAL\(360, 'SECOND'\).* END;$/,
    );
    expect(writes()[1]).toBe('ALTER DATABASE BEGIN BACKUP');
    expect(fake.backupActive).toBe(true);
    await quiesced.release();
    expect(fake.backupActive).toBe(false);
    expect(writes().slice(2)).toEqual(['ALTER DATABASE END BACKUP', expect.stringMatching(/DROP_JOB/), 'ALTER SYSTEM ARCHIVE LOG CURRENT']);
  });

  it("during quiesce every call is limited by the pre-step's deadline (call_timeout when that is further); release afterwards is not", async () => {
    const fake = new FakeThinConnection();
    const engine = new OracleEngine(config, new ThinSession(fake, 4002, undefined, 120));
    const deadlineMs = Date.now() + 40_000;
    const quiesced = await engine.quiesce({ deadlineMs });
    const begin = fake.limits.find(([sql]) => sql === 'ALTER DATABASE BEGIN BACKUP')!;
    expect(begin[1]).toBeGreaterThan(0);
    expect(begin[1]).toBeLessThanOrEqual(40_000);
    expect(fake.limits.every(([, limit]) => limit !== undefined && limit > 0 && limit <= 40_000)).toBe(true);
    await quiesced.release();
    expect(fake.limits.find(([sql]) => sql === 'ALTER DATABASE END BACKUP')![1]).toBe(0);

    // No time left at all: nothing is sent, and backup mode was never asked for.
    const late = new FakeThinConnection();
    const error = await new OracleEngine(config, new ThinSession(late, 4002))
      .quiesce({ deadlineMs: Date.now() + 100 })
      .catch((caught: unknown) => caught as Error);
    expect(error.message).toMatch(/no time left before the freeze deadline/);
    expect(late.sql.some((sql) => sql.includes('BACKUP'))).toBe(false);
  });

  it('BEGIN BACKUP refused (ORA-01146, already in backup): the guard is dropped again and the error says what to do', async () => {
    const fake = new FakeThinConnection();
    fake.backupActive = true;
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    const error = await engine.quiesce().catch((caught: unknown) => caught as { message: string; hint: string });
    expect(error.message).toBe('ALTER DATABASE BEGIN BACKUP failed: ORA-01146: cannot start online backup - file 1 is already in backup');
    expect(error.hint).toMatch(/ALTER DATABASE END BACKUP/);
    expect(fake.sql[fake.sql.length - 1]).toMatch(/DROP_JOB/);
    expect(await engine.warningsWhenNotFrozen()).toEqual([expect.stringMatching(/^4 datafile\(s\) are in backup mode/)]);
  });

  it('the watchdog\'s forceRelease: END BACKUP, and "none in backup" (ORA-01142) is not an error', async () => {
    const fake = new FakeThinConnection();
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    await engine.forceRelease();
    fake.backupActive = true;
    await engine.forceRelease();
    expect(fake.backupActive).toBe(false);
    expect(fake.sql.filter((sql) => sql.includes('DROP_JOB'))).toHaveLength(2);
  });

  it("the watchdog's connection broke while it waited: it reconnects and END BACKUP still runs", async () => {
    const fake = new FakeThinConnection();
    let reconnects = 0;
    const engine = new OracleEngine(config, new ThinSession(fake, 4002, async () => (reconnects++, fake)));
    fake.backupActive = true;
    fake.breakNext = true;
    await engine.forceRelease();
    expect(reconnects).toBe(1);
    expect(fake.backupActive).toBe(false);
  });

  it('connection lost after BEGIN BACKUP ran: not repeated; backup mode is ended on a new connection and the freeze fails', async () => {
    const fake = new FakeThinConnection();
    fake.loseReplyOn = 'BEGIN BACKUP';
    const engine = new OracleEngine(config, new ThinSession(fake, 4002, async () => fake));
    const error = await engine.quiesce().catch((caught: unknown) => caught as Error);
    expect(error.message).toMatch(/ALTER DATABASE BEGIN BACKUP: the connection was lost \(DPI-1080.*\); it may or may not have run/);
    expect(fake.sql.filter((sql) => sql === 'ALTER DATABASE BEGIN BACKUP')).toHaveLength(1);
    expect(fake.backupActive).toBe(false);
    expect(fake.sql.slice(-2)).toEqual(['ALTER DATABASE END BACKUP', expect.stringMatching(/DROP_JOB/)]);
  });

  it('ARCHIVE LOG CURRENT refused (ORA-16014, no destination available): falls back to SWITCH LOGFILE', async () => {
    const fake = new FakeThinConnection();
    fake.failures.set('ARCHIVE LOG CURRENT', 'ORA-16014: log 2 sequence# 18 not archived, no available destinations');
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    expect(await engine.switchLog()).toBe('2_17_1093456789.arc');
    expect(fake.sql).toContain('ALTER SYSTEM SWITCH LOGFILE');
  });

  it('archived logs in ASM (+FRA/…) cannot be read as files: a config-level error that says which destination to add', async () => {
    const fake = new FakeThinConnection();
    fake.archived[1]!.NAME = '+FRA/ORCL/ARCHIVELOG/2026_11_22/thread_2_seq_17.301.1093456789';
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    const error = await engine.listSourceLogs().catch((caught: unknown) => caught as { message: string; hint: string; exitCode: number });
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      'archive destination 2 is in ASM (+FRA/ORCL/ARCHIVELOG/2026_11_22/thread_2_seq_17.301.1093456789): snaplog reads archived logs from a file system',
    );
    expect(error.hint).toMatch(/LOG_ARCHIVE_DEST_2 = 'LOCATION=/);
  });

  it('missing V$ privileges (ORA-00942) and NOARCHIVELOG are errors that say what to grant or change', async () => {
    const fake = new FakeThinConnection();
    fake.failures.set('v$archived_log', 'ORA-00942: table or view does not exist');
    const engine = new OracleEngine(config, new ThinSession(fake, 4002));
    const denied = await engine.listSourceLogs().catch((caught: unknown) => caught as { message: string; hint: string; exitCode: number });
    expect(denied.message).toBe('listing archived logs (V$ARCHIVED_LOG) failed: ORA-00942: table or view does not exist');
    expect(denied.hint).toMatch(/GRANT SELECT ANY DICTIONARY/);

    const noarchive = new FakeThinConnection();
    noarchive.logMode = 'NOARCHIVELOG';
    const engine2 = new OracleEngine(config, new ThinSession(noarchive, 4002));
    const refused = await engine2.quiesce().catch((caught: unknown) => caught as { message: string; exitCode: number });
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toMatch(/runs in NOARCHIVELOG mode/);
    expect(noarchive.sql.some((sql) => sql.includes('BEGIN BACKUP') || sql.includes('CREATE_JOB'))).toBe(false);
  });
});

describe('Oracle password_file with the real node-oracledb Thin driver (no Oracle listener here)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('oracle-thin');
    await mkdir(join(dir, 'ipc'));
    await writeFile(join(dir, 'oratab'), 'ORCL:/u01/app/oracle/19c:Y\n');
  });
  afterEach(async () => removeDirs(dir));

  async function configure(port: number): Promise<string> {
    const path = join(dir, 'snaplog.conf');
    await writeFile(
      path,
      [
        '[workload]',
        'workload_name = oracle',
        `configuration_path = ${join(dir, 'oratab')}`,
        `ipc_folder = ${join(dir, 'ipc')}`,
        '',
        '[archive]',
        `path = ${join(dir, 'archive')}`,
        '',
        '[oracle]',
        `password_file = ${join(dir, 'oracle.pw')}`,
        `connect_string = 127.0.0.1:${port}/ORCL`,
        'privilege = sysbackup',
        '',
      ].join('\n'),
    );
    return path;
  }

  it('a password file readable by others is refused (naming the file); a listener that is not there is a clear error that never shows the password', async () => {
    const secret = 'Tiger-Secret-4711';
    await writeFile(join(dir, 'oracle.pw'), `${secret}\n`, { mode: 0o644 });
    await chmod(join(dir, 'oracle.pw'), 0o644);
    // A port nothing listens on: bound, then closed.
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: bound } = server.address() as AddressInfo;
        server.close(() => done(bound));
      });
    });
    const configPath = await configure(port);
    const loose = await snaplog(['config', 'check', '--database', '--config', configPath]);
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain(join(dir, 'oracle.pw'));
    expect(loose.stderr).toMatch(/0600|permission|mode/i);

    await chmod(join(dir, 'oracle.pw'), 0o600);
    const unreachable = await snaplog(['config', 'check', '--database', '--config', configPath]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(new RegExp(`connecting to 127\\.0\\.0\\.1:${port}/ORCL as sys \\(sysbackup\\) failed`));
    expect(unreachable.stderr).toMatch(/connect_string/);
    const events = await readFile(join(dir, 'ipc', 'events.jsonl'), 'utf8').catch(() => '');
    for (const text of [loose.stdout, loose.stderr, unreachable.stdout, unreachable.stderr, events]) expect(text).not.toContain(secret);
  });
});
