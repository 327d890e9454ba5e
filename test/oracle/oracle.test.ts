import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, chown, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { freezeDeadlines, readEvents, waitFor } from '../support/observe.js';
import { parseOratab } from '../../src/engines/oracle/oratab.js';
import { parseSequenceTarget, planOracleRecovery, planStorageSnapshotRecovery } from '../../src/engines/oracle/restore/plan.js';
import { rmanRecoveryScript, sqlplusSnapshotRecoveryScript } from '../../src/engines/oracle/restore/script.js';
import { callBudgetMs, clientInvocation, parseSqlplusRows, sqlplusQueryScript, sqlplusStatement, ThinSession } from '../../src/engines/oracle/session.js';
import { armGuardBlock, createGuardJobBlock, dropGuardJobsBlock, guardJobName } from '../../src/engines/oracle/backup-guard.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import { parseRedoHeader, redoProblems } from '../../src/engines/oracle/redo-header.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';

const at = (iso: string) => Date.parse(iso) / 1000;

function meta(thread: number, sequence: number, firstScn: number, nextScn: number, firstTime: string, nextTime: string, resetlogs = '99'): LogMetadata {
  const name = `${thread}_${sequence}_${resetlogs}.arc`;
  return {
    formatVersion: 1,
    name,
    engine: 'oracle',
    sequence,
    stream: `t${thread}-r${resetlogs}`,
    size: 100,
    sha256: 'x',
    headSha256: 'x',
    compression: 'none',
    storedName: name,
    storedSize: 100,
    firstCommitTime: firstTime,
    lastCommitTime: nextTime,
    details: { thread, sequence, resetlogsId: resetlogs, firstScn: String(firstScn), nextScn: String(nextScn) },
    shippedAt: nextTime,
    shippedBy: 'h',
  };
}
const snapshot = (id: string, time: string, scn: number, after = 'scn'): SnapshotRecord =>
  ({
    formatVersion: 1,
    id,
    systemId: 's',
    engine: 'oracle',
    time,
    status: 'thawed',
    position: { file: after, position: scn, gtid: String(scn) },
  }) as SnapshotRecord;

describe('Oracle planning, scripts and parsing (pure)', () => {
  const logs = [
    meta(1, 10, 1000, 1100, '2026-11-22T10:00:00Z', '2026-11-22T11:00:00Z'),
    meta(1, 11, 1100, 1300, '2026-11-22T11:00:00Z', '2026-11-22T13:00:00Z'),
    meta(1, 12, 1300, 1500, '2026-11-22T13:00:00Z', '2026-11-22T15:00:00Z'),
    meta(2, 7, 1000, 1200, '2026-11-22T10:00:00Z', '2026-11-22T12:00:00Z'),
    meta(2, 8, 1200, 1450, '2026-11-22T12:00:00Z', '2026-11-22T14:30:00Z'),
  ];
  const snapshots = [snapshot('s1', '2026-11-22T10:30:00Z', 1050), snapshot('s2', '2026-11-22T12:30:00Z', 1250)];

  it("a call during the freeze gets call_timeout or what is left before the pre-step's deadline, whichever is less; none left is an error", () => {
    const now = 1_000_000;
    expect(callBudgetMs(120, undefined, now)).toBe(120_000);
    expect(callBudgetMs(120, now + 87_000, now)).toBe(87_000);
    expect(callBudgetMs(5, now + 87_000, now)).toBe(5_000);
    expect(() => callBudgetMs(120, now + 400, now)).toThrow(/no time left before the freeze deadline/);
  });

  it('oratab: SIDs with their homes; comments, ASM and blank lines skipped', () => {
    expect(parseOratab('# comment\n+ASM:/u01/grid:N\nORCL:/u01/app/oracle/product/19c:Y\n\nTEST:/u01/test:N # trailing\n')).toEqual([
      { sid: 'ORCL', oracleHome: '/u01/app/oracle/product/19c', line: 3 },
      { sid: 'TEST', oracleHome: '/u01/test', line: 5 },
    ]);
  });

  it('a RAC plan: the newest snapshot before the target, and per thread the logs from its SCN to the target', () => {
    const plan = planOracleRecovery({ snapshots, logs, target: { kind: 'time', time: at('2026-11-22T13:30:00Z'), text: '' } });
    expect(plan.snapshot.id).toBe('s2');
    expect(plan.logs.map((log) => log.name)).toEqual(['1_11_99.arc', '1_12_99.arc', '2_8_99.arc']);
    const byScn = planOracleRecovery({ snapshots, logs, target: { kind: 'scn', scn: 1120n } });
    expect(byScn.snapshot.id).toBe('s1');
    expect(byScn.logs.map((log) => log.name)).toEqual(['1_10_99.arc', '1_11_99.arc', '2_7_99.arc']);
  });

  it('a sequence target includes that log and, on the other threads, the redo up to its end; --latest stops where every thread has redo', () => {
    expect(parseSequenceTarget('2:8')).toEqual({ kind: 'sequence', thread: 2, sequence: 8 });
    expect(parseSequenceTarget('11')).toEqual({ kind: 'sequence', thread: 1, sequence: 11 });
    expect(parseSequenceTarget('x:1')).toBeUndefined();
    expect(parseSequenceTarget('0')).toBeUndefined();
    const plan = planOracleRecovery({ snapshots, logs, target: { kind: 'sequence', thread: 1, sequence: 11 } });
    expect(plan.snapshot.id).toBe('s2');
    expect(plan.logs.map((log) => log.name)).toEqual(['1_11_99.arc', '2_8_99.arc']);
    expect(plan.target).toEqual({ kind: 'sequence', thread: 1, sequence: 11 });
    expect(() => planOracleRecovery({ snapshots, logs, target: { kind: 'sequence', thread: 2, sequence: 9 } })).toThrow(
      /thread 2 sequence 9 is not in the archive/,
    );
    const latest = planOracleRecovery({ snapshots, logs, target: { kind: 'latest' } });
    expect(latest.target).toEqual({ kind: 'scn', scn: 1449n });
    expect(latest.logs.map((log) => log.name)).toEqual(['1_11_99.arc', '1_12_99.arc', '2_8_99.arc']);
    expect(rmanRecoveryScript({ stagingDir: '/r', target: plan.target, open: true })).toBe(
      "CATALOG START WITH '/r/' NOPROMPT;\nRUN {\n  SET UNTIL SEQUENCE 12 THREAD 1;\n  RECOVER DATABASE;\n}\nALTER DATABASE OPEN RESETLOGS;\nEXIT;\n",
    );
  });

  it('after OPEN RESETLOGS: the plan keeps to the incarnation of the log the snapshot record names', () => {
    // Incarnation 99 went on to SCN 1500; a restore to SCN 1150 opened incarnation 77 there (sequences restart).
    const next = [
      meta(1, 1, 1150, 1400, '2026-11-22T18:00:00Z', '2026-11-22T19:00:00Z', '77'),
      meta(1, 2, 1400, 1600, '2026-11-22T19:00:00Z', '2026-11-22T20:00:00Z', '77'),
      meta(2, 1, 1150, 1650, '2026-11-22T18:00:00Z', '2026-11-22T20:30:00Z', '77'),
    ];
    const after = snapshot('s3', '2026-11-22T18:30:00Z', 1300, '1_1_77.arc');
    const plan = planOracleRecovery({ snapshots: [...snapshots, after], logs: [...logs, ...next], target: { kind: 'scn', scn: 1450n } });
    expect(plan.snapshot.id).toBe('s3');
    expect(plan.logs.map((log) => log.name)).toEqual(['1_1_77.arc', '1_2_77.arc', '2_1_77.arc']);
    const old = planOracleRecovery({ snapshots: [...snapshots, after], logs: [...logs, ...next], target: { kind: 'scn', scn: 1450n }, snapshotId: 's2' });
    expect(old.logs.map((log) => log.name)).toEqual(['1_11_99.arc', '1_12_99.arc', '2_8_99.arc']);
  });

  it('a storage snapshot without backup mode: per thread, the logs from the one being written at the snapshot time to the target', () => {
    const plan = planStorageSnapshotRecovery({ logs, snapshotTime: at('2026-11-22T11:30:00Z'), targetTime: at('2026-11-22T12:15:00Z') });
    expect(plan.logs.map((log) => log.name)).toEqual(['1_11_99.arc', '2_7_99.arc', '2_8_99.arc']);
    expect(plan.threads).toEqual([1, 2]);
    expect(() =>
      planStorageSnapshotRecovery({
        logs: logs.filter((log) => log.name !== '2_7_99.arc'),
        snapshotTime: at('2026-11-22T11:30:00Z'),
        targetTime: at('2026-11-22T12:15:00Z'),
      }),
    ).toThrow(/thread 2 has no archived redo from the snapshot time 2026-11-22T11:30:00\.000Z: its first log after it, 2_8_99\.arc/);
    expect(() => planStorageSnapshotRecovery({ logs, snapshotTime: at('2026-11-22T11:30:00Z'), targetTime: at('2026-11-22T11:00:00Z') })).toThrow(
      /before the snapshot time/,
    );
  });

  it('a missing sequence in one thread, or a target past the archive, is a plan error with the window', () => {
    const withGap = logs.filter((log) => log.name !== '1_11_99.arc');
    expect(() => planOracleRecovery({ snapshots, logs: withGap, target: { kind: 'time', time: at('2026-11-22T14:00:00Z'), text: '' } })).toThrow(
      /thread 1 has no archived redo from the snapshot's SCN 1250: its first log after it, 1_12_99\.arc, starts at SCN 1300/,
    );
    const middleGap = [
      ...logs,
      meta(1, 14, 1600, 1700, '2026-11-22T15:30:00Z', '2026-11-22T16:00:00Z'),
      meta(2, 9, 1450, 1750, '2026-11-22T14:30:00Z', '2026-11-22T16:30:00Z'),
    ];
    expect(() => planOracleRecovery({ snapshots, logs: middleGap, target: { kind: 'time', time: at('2026-11-22T15:45:00Z'), text: '' } })).toThrow(
      /thread 1 misses sequence 13 between 1_12_99\.arc and 1_14_99\.arc/,
    );
    expect(() => planOracleRecovery({ snapshots, logs, target: { kind: 'time', time: at('2026-11-22T16:00:00Z'), text: '' } })).toThrow(
      /after the last archived redo/,
    );
    expect(() => planOracleRecovery({ snapshots, logs, target: { kind: 'time', time: at('2026-11-22T09:00:00Z'), text: '' } })).toThrow(
      /no snapshot before the target/,
    );
  });

  it('RMAN scripts: catalog the staging folder, SET UNTIL (exclusive: +1 s / +1 SCN), recover, open resetlogs', () => {
    expect(rmanRecoveryScript({ stagingDir: '/restore/arch', target: { kind: 'scn', scn: 1234567n }, open: true })).toBe(
      "CATALOG START WITH '/restore/arch/' NOPROMPT;\nRUN {\n  SET UNTIL SCN 1234568;\n  RECOVER DATABASE;\n}\nALTER DATABASE OPEN RESETLOGS;\nEXIT;\n",
    );
    expect(rmanRecoveryScript({ stagingDir: '/r', target: { kind: 'time', time: at('2026-11-22T14:05:00Z'), text: '' }, open: false })).toBe(
      "CATALOG START WITH '/r/' NOPROMPT;\nRUN {\n  SET UNTIL TIME \"CAST(FROM_TZ(TIMESTAMP '2026-11-22 14:05:01', '+00:00') AT TIME ZONE TO_CHAR(SYSTIMESTAMP, 'TZR') AS DATE)\";\n  RECOVER DATABASE;\n}\nEXIT;\n",
    );
    expect(
      sqlplusSnapshotRecoveryScript({ stagingDir: "/r/o'k", targetTime: at('2026-11-22T14:05:00Z'), snapshotTime: at('2026-11-22T02:00:00Z'), open: true }),
    ).toBe(
      [
        'WHENEVER SQLERROR EXIT FAILURE',
        'SET VERIFY OFF',
        "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS';",
        'COLUMN until_time NEW_VALUE until_time NOPRINT',
        'COLUMN snapshot_time NEW_VALUE snapshot_time NOPRINT',
        "SELECT CAST(FROM_TZ(TIMESTAMP '2026-11-22 14:05:01', '+00:00') AT TIME ZONE TO_CHAR(SYSTIMESTAMP, 'TZR') AS DATE) AS until_time, CAST(FROM_TZ(TIMESTAMP '2026-11-22 02:00:00', '+00:00') AT TIME ZONE TO_CHAR(SYSTIMESTAMP, 'TZR') AS DATE) AS snapshot_time FROM dual;",
        "RECOVER AUTOMATIC FROM '/r/o''k' DATABASE UNTIL TIME '&until_time' SNAPSHOT TIME '&snapshot_time';",
        'ALTER DATABASE OPEN RESETLOGS;',
        'EXIT',
        '',
      ].join('\n'),
    );
  });

  it('sqlplus rows come back from ROW| lines; sqlplus and rman run as linux_user without a credential', () => {
    const columns = { A: 'name', B: 'dbid' };
    expect(sqlplusQueryScript(columns, 'v$database')).toBe("SELECT 'ROW|' || NVL(TO_CHAR(name), '') || '|' || NVL(TO_CHAR(dbid), '') FROM v$database;");
    expect(parseSqlplusRows('\nROW|ORCL|123\nnoise\n', columns)).toEqual([{ A: 'ORCL', B: '123' }]);
    // A batch tags each query's rows: ROW0|, ROW1|, …
    expect(sqlplusQueryScript(columns, 'v$database', 'ROW1')).toMatch(/^SELECT 'ROW1\|' \|\| /);
    expect(parseSqlplusRows('ROW0|x|1\nROW1|ORCL|9\nROW|no|0\n', columns, 'ROW1')).toEqual([{ A: 'ORCL', B: '9' }]);
    expect(clientInvocation({ binDir: '/u01/bin', linuxUser: 'oracle' }, 'sqlplus', ['-S', '/nolog'], 'root')).toEqual({
      file: 'runuser',
      args: ['-u', 'oracle', '--', '/u01/bin/sqlplus', '-S', '/nolog'],
    });
  });

  it('redo file header: type 0x22, block size and count, magic in either byte order; anything else is named', () => {
    const head = Buffer.alloc(32);
    head[1] = 0x22;
    head.writeUInt32BE(1024, 20);
    head.writeUInt32BE(77, 24);
    head.writeUInt32BE(0x7a7b7c7d, 28);
    expect(parseRedoHeader(head)).toEqual({ blockSize: 1024, blocks: 77, littleEndian: false });
    expect(redoProblems(parseRedoHeader(head), 78 * 1024)).toEqual([]);
    expect(redoProblems(parseRedoHeader(head), 78 * 1024 - 1)).toEqual(['size 79871 is not a whole number of 1024-byte blocks (cut short?)']);
    const datafile = Buffer.from(head);
    datafile[1] = 0xa2;
    expect(parseRedoHeader(datafile)).toEqual({ problem: 'file type 0xa2 is not a redo log (0x22)' });
    expect(parseRedoHeader(Buffer.alloc(10))).toEqual({ problem: 'only 10 bytes: shorter than a redo log header' });
  });

  it('the backup-mode guard job: a name under 30 characters, END BACKUP tolerating ORA-01142, started timeout + grace from now; sqlplus gets a / after PL/SQL', () => {
    const name = guardJobName(new Date('2026-11-22T14:05:09.123Z'));
    expect(name).toBe('SNAPLOG_EB_20261122140509');
    expect(name.length).toBeLessThanOrEqual(30);
    const block = createGuardJobBlock(name, 360);
    expect(block).toBe(
      "BEGIN DBMS_SCHEDULER.CREATE_JOB(job_name => 'SNAPLOG_EB_20261122140509', job_type => 'PLSQL_BLOCK', " +
        "job_action => 'BEGIN EXECUTE IMMEDIATE ''ALTER DATABASE END BACKUP''; EXCEPTION WHEN OTHERS THEN IF SQLCODE <> -1142 THEN RAISE; END IF; END;', " +
        "start_date => SYSTIMESTAMP + NUMTODSINTERVAL(360, 'SECOND'), enabled => TRUE, auto_drop => TRUE, comments => 'snaplog: ends backup mode if no thaw and no watchdog did'); END;",
    );
    expect(dropGuardJobsBlock()).toContain("WHERE job_name LIKE 'SNAPLOG\\_EB\\_%' ESCAPE '\\'");
    expect(sqlplusStatement(block)).toBe(`${block}\n/`);
    const armed = armGuardBlock(name, 360);
    expect(armed).toBe(`BEGIN ${dropGuardJobsBlock().slice(6, -5)} ${block.slice(6, -5)} END;`);
    expect(armed.indexOf('DROP_JOB')).toBeLessThan(armed.indexOf('CREATE_JOB'));
    expect(sqlplusStatement('ALTER DATABASE BEGIN BACKUP')).toBe('ALTER DATABASE BEGIN BACKUP;');
  });

  it('Thin mode against a fake oracledb connection: rows by alias; ORA-01017 becomes a config error (exit 2) naming password_file', async () => {
    const sql: string[] = [];
    const fake = {
      execute: async (text: string) => {
        sql.push(text);
        if (text.includes('BEGIN BACKUP')) throw new Error('ORA-01017: invalid username/password; logon denied');
        return { rows: [{ NAME: 'ORCL', DBID: 42 }] };
      },
      close: async () => undefined,
    };
    const session = new ThinSession(fake, 4002);
    expect(await session.query({ NAME: 'name', DBID: 'dbid' }, 'v$database', 'reading')).toEqual([{ NAME: 'ORCL', DBID: '42' }]);
    expect(sql[0]).toBe('SELECT TO_CHAR(name) AS "NAME", TO_CHAR(dbid) AS "DBID" FROM v$database');
    const error = await session.execute('ALTER DATABASE BEGIN BACKUP', 'BEGIN BACKUP').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ exitCode: 2, oraCode: 'ORA-01017' });
    expect((error as { hint: string }).hint).toMatch(/password_file/);
  });
});

interface OracleModel {
  logMode: string;
  backupActive?: boolean;
  archived: { path: string; thread: number; sequence: number; deleted?: boolean }[];
  threads?: number[];
  fail?: { match: string; error: string };
  rmanFail?: boolean;
  noCreateJob?: boolean;
  clockSkewMs?: number;
  beginBackupHangMs?: number;
  jobs?: { name: string; afterSeconds: number; action: string }[];
  jobRuns?: { name: string }[];
}

describe('Oracle end to end against a scripted Oracle model (fake sqlplus and rman on command_path; no Oracle server here)', () => {
  let dir: string;
  let statePath: string;
  let configPath: string;
  let ipcFolder: string;
  let archivePath: string;
  const env = () => ({ FAKE_ORACLE_STATE: statePath });
  const cli = (args: string[]) => snaplog([...args, '--config', configPath], { env: env() });
  const model = async (): Promise<OracleModel> => JSON.parse(await readFile(statePath, 'utf8')) as OracleModel;
  const setModel = async (patch: Partial<OracleModel>): Promise<void> => writeFile(statePath, JSON.stringify({ ...(await model()), ...patch }));
  const calls = async (): Promise<{ statements: string[]; connect?: string; argv: string[] }[]> =>
    (await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  const systemDir = async () => join(archivePath, (await readdir(archivePath)).filter((entry) => !entry.startsWith('.'))[0]!);
  /** Live processes started for this test's fake database (their command line names its fake `sqlplus`). */
  const fakeProcessesLeft = async (): Promise<number[]> => {
    const left: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      const status = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      if (cmdline.split('\0').includes(join(dir, 'bin', 'sqlplus')) && !/\) Z /.test(status)) left.push(Number(entry));
    }
    return left;
  };

  async function writeConfig(workload = 'timeout = 30', oracle = ''): Promise<void> {
    await writeFile(
      configPath,
      [
        '[workload]',
        'workload_name = oracle',
        `configuration_path = ${join(dir, 'oratab')}`,
        `command_path = ${join(dir, 'bin')}`,
        `ipc_folder = ${ipcFolder}`,
        `linux_user = ${userInfo().username}`,
        workload,
        '',
        '[archive]',
        `path = ${archivePath}`,
        '',
        '[oracle]',
        oracle,
        '',
      ].join('\n'),
    );
  }

  beforeEach(async () => {
    dir = await makeTempDir('oracle');
    statePath = join(dir, 'model.json');
    configPath = join(dir, 'snaplog.conf');
    ipcFolder = join(dir, 'ipc');
    archivePath = join(dir, 'archive');
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'arch'));
    for (const tool of ['sqlplus', 'rman']) {
      await writeFile(join(dir, 'bin', tool), `#!${process.execPath}\nimport(${JSON.stringify(resolve(import.meta.dirname, `fake-${tool}.mjs`))});\n`);
      await chmod(join(dir, 'bin', tool), 0o755);
    }
    await writeFile(join(dir, 'oratab'), `# oratab\n+ASM:/u01/grid:N\nORCL:/u01/app/oracle/19c:Y\n`);
    await writeFile(
      statePath,
      JSON.stringify({
        logMode: 'ARCHIVELOG',
        dbName: 'ORCL',
        dbid: '1234567890',
        scn: 5000,
        resetlogs: '1093456789',
        archDir: join(dir, 'arch'),
        archived: [],
        threads: [1, 2],
      }),
    );
    await writeConfig();
    expect((await cli(['archive', 'init', '--force'])).code).toBe(0);
    // Three log switches on a two-thread (RAC) database.
    for (let i = 0; i < 3; i++) {
      const switched = await import('node:child_process').then(({ spawnSync }) =>
        spawnSync(join(dir, 'bin', 'sqlplus'), ['-S', '/nolog'], {
          input: 'CONNECT / AS SYSDBA\nALTER SYSTEM ARCHIVE LOG CURRENT;\n',
          env: { ...process.env, ...env() },
        }),
      );
      expect(switched.status).toBe(0);
    }
  });
  afterEach(async () => {
    await cli(['thaw']).catch(() => undefined);
    await removeDirs(dir);
  });

  it('ship --once: every archived log of both threads, byte-identical, with thread/sequence/SCN metadata; a missing sequence is a gap', async () => {
    const ship = await cli(['ship', '--once']);
    expect(ship.code, ship.stderr).toBe(0);
    const names = (await readdir(join(await systemDir(), 'logs'))).filter((name) => name.endsWith('.arc')).sort();
    expect(names).toEqual(['1_1_1093456789.arc', '1_2_1093456789.arc', '1_3_1093456789.arc', '2_1_1093456789.arc', '2_2_1093456789.arc', '2_3_1093456789.arc']);
    expect(await readFile(join(await systemDir(), 'logs', names[4]!))).toEqual(await readFile(join(dir, 'arch', names[4]!)));
    const metadata = JSON.parse(await readFile(join(await systemDir(), 'logs', '2_2_1093456789.arc.json'), 'utf8'));
    expect(metadata).toMatchObject({ engine: 'oracle', stream: 't2-r1093456789', details: { thread: 2, sequence: 2, resetlogsId: '1093456789' } });
    expect(BigInt(metadata.details.nextScn)).toBeGreaterThan(BigInt(metadata.details.firstScn));
    expect((await calls()).every((call) => call.connect === 'CONNECT / AS SYSDBA')).toBe(true);

    // Thread 2's next log is deleted from disk and V$ before snaplog saw it; the one after exists.
    const { spawnSync } = await import('node:child_process');
    spawnSync(join(dir, 'bin', 'sqlplus'), ['-S', '/nolog'], {
      input: 'CONNECT / AS SYSDBA\nALTER SYSTEM ARCHIVE LOG CURRENT;\n',
      env: { ...process.env, ...env() },
    });
    spawnSync(join(dir, 'bin', 'sqlplus'), ['-S', '/nolog'], {
      input: 'CONNECT / AS SYSDBA\nALTER SYSTEM ARCHIVE LOG CURRENT;\n',
      env: { ...process.env, ...env() },
    });
    const current = await model();
    await setModel({ archived: current.archived.map((log) => (log.thread === 2 && log.sequence === 4 ? { ...log, deleted: true } : log)) });
    const gap = await cli(['ship', '--once']);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toMatch(/gap/);
    expect((await readEvents(ipcFolder)).some((event) => event.type === 'gap')).toBe(true);
  });

  it("verify re-reads each archived log's redo header and size: a log that was never a redo file, or cut short, is named", async () => {
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const clean = await cli(['verify']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/verified 6 logs/);
    // The archiver handed over garbage for thread 1's next log, and a cut copy of thread 2's.
    const current = await model();
    const bad = join(dir, 'arch', '1_4_1093456789.arc');
    const cut = join(dir, 'arch', '2_4_1093456789.arc');
    await writeFile(bad, Buffer.alloc(2048, 7));
    const whole = await readFile(join(dir, 'arch', '2_3_1093456789.arc'));
    await writeFile(cut, whole.subarray(0, whole.length - 100));
    const times = { firstTime: '2026-11-22T10:00:00Z', nextTime: '2026-11-22T10:05:00Z' };
    await setModel({
      archived: [
        ...current.archived,
        { path: bad, thread: 1, sequence: 4, resetlogs: '1093456789', firstScn: 9000, nextScn: 9100, ...times },
        { path: cut, thread: 2, sequence: 4, resetlogs: '1093456789', firstScn: 9000, nextScn: 9100, ...times },
      ] as OracleModel['archived'],
    });
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const flagged = await cli(['verify']);
    expect(flagged.code).toBe(1);
    expect(flagged.stdout).toContain('PROBLEM 1_4_1093456789.arc: not an Oracle redo log: no redo log magic number at byte 28');
    expect(flagged.stdout).toMatch(/PROBLEM 2_4_1093456789\.arc: size \d+ is not a whole number of 512-byte blocks \(cut short\?\)/);
  });

  it('freeze: ARCHIVE LOG CURRENT, the new logs shipped, BEGIN BACKUP, SCN recorded; thaw: END BACKUP and ARCHIVE LOG CURRENT', async () => {
    const freeze = await cli(['freeze', '--json']);
    expect(freeze.code, freeze.stderr).toBe(0);
    const result = JSON.parse(freeze.stdout);
    expect((await model()).backupActive).toBe(true);
    expect(result.method).toBe('begin-backup');
    expect(result.position.gtid).toMatch(/^\d+$/);
    // The snapshot stands after the newest archived log (the highest NEXT_CHANGE#), which `list` finds in the archive.
    expect(result.position.file).toBe('2_4_1093456789.arc');
    const list = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(list.snapshots[0].problem ?? null).toBeNull();
    const shipped = await readdir(join(await systemDir(), 'logs'));
    expect(shipped).toContain('1_4_1093456789.arc.json');
    expect(shipped).toContain('2_4_1093456789.arc.json');
    const sequenceOfStatements = (await calls()).flatMap((call) => call.statements).filter((text) => /ARCHIVE LOG CURRENT|BACKUP;/.test(text));
    expect(sequenceOfStatements.slice(-2)).toEqual(['ALTER SYSTEM ARCHIVE LOG CURRENT;', 'ALTER DATABASE BEGIN BACKUP;']);
    const guard = (await model()).jobs ?? [];
    expect(guard).toHaveLength(1);
    expect(guard[0]).toMatchObject({ afterSeconds: 30 + 60 });
    expect(guard[0]!.name).toMatch(/^SNAPLOG_EB_\d{14}$/);
    expect(guard[0]!.action).toContain("EXECUTE IMMEDIATE 'ALTER DATABASE END BACKUP'");
    const thaw = await cli(['thaw']);
    expect(thaw.code, thaw.stderr).toBe(0);
    expect((await model()).backupActive).toBe(false);
    expect((await model()).jobs).toEqual([]);
    const thawStatements = (await calls()).flatMap((call) => call.statements).slice(-3);
    expect(thawStatements[0]).toBe('ALTER DATABASE END BACKUP;');
    expect(thawStatements[1]).toMatch(/^BEGIN FOR j IN \(SELECT job_name FROM user_scheduler_jobs .*DBMS_SCHEDULER\.DROP_JOB/);
    expect(thawStatements[2]).toBe('ALTER SYSTEM ARCHIVE LOG CURRENT;');
  });

  it('default timeouts (timeout 90, call_timeout 120), BEGIN BACKUP that turns backup mode on and hangs: the watchdog runs before it, the pre-step gives up at its own 90 s deadline, the hung sqlplus is killed, END BACKUP runs, thaw reports the failure', async () => {
    await writeConfig('');
    expect((await cli(['config', 'check'])).stdout).toMatch(/"timeoutSeconds": 90\b/);
    await setModel({ beginBackupHangMs: 600_000 });
    const freezing = snaplog(['freeze', '--config', configPath], { env: env(), timeoutMs: 200_000 });
    await waitFor('BEGIN BACKUP to hang', async () => (await calls()).some((call) => (call as { hung?: boolean }).hung), 60_000);
    const during = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { state: string; watchdogPid?: number };
    expect(during.state).toBe('freezing');
    expect((await readFile(`/proc/${during.watchdogPid}/cmdline`, 'utf8')).split('\0')).toContain('__freeze-watchdog');
    expect((await model()).backupActive).toBe(true);
    // The holder's freeze call and the watchdog run to the pre-step's own deadline: its start + timeout (90 s).
    const deadlines = await freezeDeadlines(ipcFolder);
    expect(deadlines.holder).toBe(deadlines.startedAt + 90_000);
    expect(deadlines.watchdog).toBe(deadlines.startedAt + 90_000);

    const freeze = await freezing;
    expect(freeze.code).toBe(1);
    expect(freeze.stderr).toMatch(/did not finish within the freeze timeout \(90 s\)/);
    expect(await fakeProcessesLeft()).toEqual([]);
    expect((await model()).backupActive).toBe(false);
    expect((await calls()).flatMap((call) => call.statements)).toContain('ALTER DATABASE END BACKUP;');

    await setModel({ beginBackupHangMs: undefined });
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(
      /the freeze of snapshot \S+ failed \(taking the lock did not finish within the freeze timeout \(90 s\)\)\. The database is not frozen now/,
    );
  }, 300_000);

  it('thaw reads V$BACKUP before "nothing frozen": backup mode left on after a failed snaplog freeze is ended and reported', async () => {
    await setModel({ fail: { match: 'BEGIN BACKUP', error: 'ORA-01031: insufficient privileges' } });
    expect((await cli(['freeze'])).code).toBe(1);
    await setModel({ fail: undefined, backupActive: true });
    const thaw = await cli(['thaw']);
    expect(thaw.code).toBe(1);
    expect(thaw.stderr).toMatch(
      /still frozen with no snaplog holder \(4 datafile\(s\) are in backup mode \(V\$BACKUP status ACTIVE\)\).*snaplog thaw ended the freeze/,
    );
    expect((await model()).backupActive).toBe(false);
    const again = await cli(['thaw']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('holder and watchdog both killed -9: the guard job in the (fake) database ends backup mode once its time comes', async () => {
    expect((await cli(['freeze'])).code).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number; watchdogPid: number };
    process.kill(frozen.watchdogPid, 'SIGKILL');
    process.kill(frozen.holderPid, 'SIGKILL');
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await waitFor('both processes to be gone', async () => gone(frozen.watchdogPid) && gone(frozen.holderPid), 15_000);
    // Nothing on the client can end backup mode now; the database's clock has not reached the job yet.
    expect((await cli(['ship', '--once'])).code).toBe(0);
    expect((await model()).backupActive).toBe(true);
    // The database clock passes timeout + 60 s: its scheduler runs the job at the next session.
    await setModel({ clockSkewMs: (30 + 61) * 1000 });
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const after = await model();
    expect(after.backupActive).toBe(false);
    expect(after.jobRuns).toHaveLength(1);
    expect(after.jobs).toEqual([]);
  });

  it('no CREATE JOB privilege: freeze still works on the watchdog alone and says so in holder.log', async () => {
    await setModel({ noCreateJob: true });
    const freeze = await cli(['freeze']);
    expect(freeze.code, freeze.stderr).toBe(0);
    expect((await model()).backupActive).toBe(true);
    expect(await readFile(join(ipcFolder, 'holder.log'), 'utf8')).toMatch(
      /no database-side guard for backup mode \(creating the backup-mode guard job \(DBMS_SCHEDULER\) failed: ORA-27486/,
    );
    expect((await cli(['thaw'])).code).toBe(0);
    expect((await model()).backupActive).toBe(false);
  });

  it('the holder killed -9 in backup mode: the watchdog runs END BACKUP; no thaw at all: the holder ends it at the timeout', async () => {
    expect((await cli(['freeze'])).code).toBe(0);
    const frozen = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { holderPid: number; watchdogPid: number };
    expect(frozen.watchdogPid).toBeGreaterThan(0);
    process.kill(frozen.holderPid, 'SIGKILL');
    await waitFor('the watchdog to end backup mode', async () => (await model()).backupActive === false, 15_000);
    await waitFor(
      'the watchdog to record what it did',
      async () => JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')).releasedBy === 'watchdog',
      15_000,
    );
    expect((await cli(['thaw'])).code).toBe(1);

    await writeConfig('timeout = 15');
    const second = await cli(['freeze']);
    expect(second.code, second.stderr).toBe(0);
    expect((await model()).backupActive).toBe(true);
    await waitFor('the timeout to end backup mode', async () => (await model()).backupActive === false, 60_000);
  }, 150_000);

  it('the ship service watches the archive destination: a newly archived log ships without waiting for the rescan', async () => {
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('[archive]', '[ship]\nrescan_interval = 300s\n\n[archive]'));
    const { spawn, spawnSync } = await import('node:child_process');
    const service = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/snaplog'), 'ship', '--config', configPath], {
      env: { ...process.env, ...env() },
      stdio: 'ignore',
    });
    try {
      await waitFor('the first round', async () => (await readdir(join(await systemDir(), 'logs'))).includes('2_3_1093456789.arc.json'), 30_000);
      spawnSync(join(dir, 'bin', 'sqlplus'), ['-S', '/nolog'], {
        input: 'CONNECT / AS SYSDBA\nALTER SYSTEM ARCHIVE LOG CURRENT;\n',
        env: { ...process.env, ...env() },
      });
      await waitFor(
        'the new logs, long before the 300 s rescan',
        async () => (await readdir(join(await systemDir(), 'logs'))).includes('2_4_1093456789.arc.json'),
        60_000,
      );
    } finally {
      service.kill('SIGTERM');
      await new Promise((done) => service.once('exit', done));
    }
  });

  it('datafiles left in backup mode with no freeze running: ship raises a database-warning event', async () => {
    await setModel({ backupActive: true });
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const warning = (await readEvents(ipcFolder)).find((event) => event.type === 'database-warning');
    expect(String(warning?.message)).toMatch(/4 datafile\(s\) are in backup mode .* no snaplog freeze is running/);
  });

  it('clear errors: NOARCHIVELOG, missing privilege at BEGIN BACKUP, an SID not in oratab', async () => {
    await setModel({ logMode: 'NOARCHIVELOG' });
    const check = await cli(['config', 'check', '--database']);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/runs in NOARCHIVELOG mode/);
    const noarchive = await cli(['ship', '--once']);
    expect(noarchive.code).toBe(2);
    expect(noarchive.stderr).toMatch(/runs in NOARCHIVELOG mode/);
    expect(noarchive.stderr).toMatch(/ALTER DATABASE ARCHIVELOG/);
    await setModel({ logMode: 'ARCHIVELOG', fail: { match: 'BEGIN BACKUP', error: 'ORA-01031: insufficient privileges' } });
    const denied = await cli(['freeze']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/ALTER DATABASE BEGIN BACKUP failed: ORA-01031: insufficient privileges/);
    expect((await model()).backupActive).toBeFalsy();
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace(/^linux_user = .*\n/m, ''));
    const noUser = await cli(['ship', '--once']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/key 'linux_user': linux_user is not set \(default root\), but sqlplus and rman connect with OS authentication/);
    expect(noUser.stderr).toMatch(/set \[workload\] linux_user = oracle/);
    await writeConfig('timeout = 30', 'sid = PROD');
    const unknown = await cli(['ship', '--once']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/instance PROD is not in .*oratab \(it lists ORCL\)/);
  });

  it('two databases in oratab: [oracle] sid picks one, and sqlplus runs with its ORACLE_SID and ORACLE_HOME', async () => {
    await writeFile(join(dir, 'oratab'), `# oratab\n+ASM:/u01/grid:N\nORCL:/u01/app/oracle/19c:Y\nTEST:/u02/app/oracle/21c:N\n`);
    const ambiguous = await cli(['ship', '--once']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/oratab lists ORCL, TEST: say which with \[oracle\] sid/);
    expect(ambiguous.stderr).toMatch(/line \d+, key 'configuration_path'/);
    await writeConfig('timeout = 30', 'sid = TEST');
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const last = (await calls()).pop() as { sid?: string; home?: string };
    expect(last.sid).toBe('TEST');
    expect(last.home).toBe('/u02/app/oracle/21c');
  });

  it('restore --snapshot-time: a snapshot taken without backup mode is recovered by SQL*Plus RECOVER … SNAPSHOT TIME (dry run, then through the fake sqlplus)', async () => {
    const arch = join(dir, 'arch2');
    await mkdir(arch);
    const spec = [
      [1, 1, 100, 200, '10:00', '11:00'],
      [1, 2, 200, 300, '11:00', '12:00'],
      [1, 3, 300, 400, '12:00', '13:00'],
      [2, 1, 100, 250, '10:00', '11:30'],
      [2, 2, 250, 420, '11:30', '13:00'],
    ] as const;
    const archived = [];
    for (const [thread, sequence, firstScn, nextScn, first, next] of spec) {
      const path = join(arch, `${thread}_${sequence}_1093456789.arc`);
      await writeFile(path, Buffer.alloc(4096 + sequence * 10 + thread, thread * 16 + sequence));
      archived.push({
        path,
        thread,
        sequence,
        resetlogs: '1093456789',
        firstScn,
        nextScn,
        firstTime: `2026-11-22T${first}:00Z`,
        nextTime: `2026-11-22T${next}:00Z`,
      });
    }
    await setModel({ archived });
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const staging = join(dir, 'staging-storage');
    const target = ['--snapshot-time', '2026-11-22T11:15:00Z', '--to', '2026-11-22T12:30:00Z', '--staging', staging];
    const dry = await cli(['restore', ...target, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('archived logs: 1_2_1093456789.arc 1_3_1093456789.arc 2_1_1093456789.arc 2_2_1093456789.arc');
    expect(dry.stdout).toContain("sqlplus '/ as sysdba' would run:");
    expect(dry.stdout).toContain(`RECOVER AUTOMATIC FROM '${staging}' DATABASE UNTIL TIME '&until_time' SNAPSHOT TIME '&snapshot_time';`);
    expect(dry.stdout).toContain("TIMESTAMP '2026-11-22 12:30:01'");
    expect(dry.stdout).toContain("TIMESTAMP '2026-11-22 11:15:00'");

    const run = await cli(['restore', ...target, '--json']);
    expect(run.code, run.stderr).toBe(0);
    // --json: one JSON document on stdout naming the recovery the restore ran.
    expect(JSON.parse(run.stdout)).toMatchObject({
      restored: true,
      tool: 'sqlplus',
      staging,
      logs: ['1_2_1093456789.arc', '1_3_1093456789.arc', '2_1_1093456789.arc', '2_2_1093456789.arc'],
    });
    const last = (await calls()).pop()!;
    expect(last.argv).toEqual(['-S', '-L', '/ as sysdba', `@${join(staging, 'recover.sql')}`]);
    expect(last.statements).toContain(`RECOVER AUTOMATIC FROM '${staging}' DATABASE UNTIL TIME '&until_time' SNAPSHOT TIME '&snapshot_time';`);
    for (const name of ['1_2_1093456789.arc', '1_3_1093456789.arc', '2_1_1093456789.arc', '2_2_1093456789.arc'])
      expect(await readFile(join(staging, name))).toEqual(await readFile(join(arch, name)));

    await setModel({ fail: { match: 'RECOVER AUTOMATIC', error: "ORA-00308: cannot open archived log '/x/1_4.arc'" } });
    const failed = await cli(['restore', ...target.slice(0, -1), `${staging}-again`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/SQL\*Plus recovery failed: ORA-00308: cannot open archived log/);
    const noTime = await cli(['restore', '--snapshot-time', '2026-11-22T11:15:00Z', '--latest', '--dry-run']);
    expect(noTime.code).toBe(2);
    expect(noTime.stderr).toMatch(/give --to TIME/);
  });

  it('restore: plan and RMAN scripts for SCN and time targets from the archive; the real run fetches, verifies and runs rman', async () => {
    expect((await cli(['freeze', '--json'])).code).toBe(0);
    expect((await cli(['thaw'])).code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    spawnSync(join(dir, 'bin', 'sqlplus'), ['-S', '/nolog'], {
      input: 'CONNECT / AS SYSDBA\nALTER SYSTEM ARCHIVE LOG CURRENT;\n',
      env: { ...process.env, ...env() },
    });
    expect((await cli(['ship', '--once'])).code).toBe(0);
    const record = JSON.parse(await readFile(join(await systemDir(), 'snapshots', (await readdir(join(await systemDir(), 'snapshots')))[0]!), 'utf8'));
    const targetScn = BigInt(record.position.gtid) + 50n;
    const staging = join(dir, 'staging');
    const dry = await cli(['restore', '--to-scn', String(targetScn), '--dry-run', '--staging', staging]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`CATALOG START WITH '${staging}/' NOPROMPT;`);
    expect(dry.stdout).toContain(`SET UNTIL SCN ${targetScn + 1n};`);
    expect(dry.stdout).toContain('ALTER DATABASE OPEN RESETLOGS;');
    // The freeze archived sequence 4 of each thread before BEGIN BACKUP; thaw archived 5.
    const tooEarly = await cli(['restore', '--to-sequence', '2:4', '--dry-run', '--staging', staging]);
    expect(tooEarly.code).toBe(1);
    expect(tooEarly.stderr).toMatch(/no snapshot before the target/);
    const bySequence = await cli(['restore', '--to-sequence', '2:5', '--dry-run', '--staging', staging]);
    expect(bySequence.code, bySequence.stderr).toBe(0);
    expect(bySequence.stdout).toContain('SET UNTIL SEQUENCE 6 THREAD 2;');
    const sequenceLogs = /archived logs: (.*)/.exec(bySequence.stdout)![1]!.split(' ');
    expect(sequenceLogs).toContain('2_5_1093456789.arc');
    expect(sequenceLogs).toContain('1_5_1093456789.arc');
    expect(sequenceLogs).not.toContain('2_6_1093456789.arc');
    const latest = await cli(['restore', '--latest', '--dry-run', '--staging', staging]);
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toMatch(/SET UNTIL SCN \d+;/);
    const both = await cli(['restore', '--to-scn', '1', '--to-sequence', '3', '--dry-run']);
    expect(both.code).toBe(2);
    // find reads binlog statements: Oracle redo has none for it, so the registry refuses it (a usage error with a HINT).
    const find = await cli(['find', '--query', 'DROP']);
    expect(find.code).toBe(2);
    expect(find.stderr).toMatch(/snaplog find is not available for workload_name = oracle \(Oracle\)\nHINT: find works with MySQL\/MariaDB/);
    expect(both.stderr).toMatch(/give one target/);
    const plan = await cli(['plan', '--latest', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).threads).toEqual([1, 2]);

    const run = await cli(['restore', '--to-scn', String(targetScn), '--staging', staging]);
    expect(run.code, run.stderr).toBe(0);
    const rman = (await readFile(join(dir, 'rman.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rman[0].argv).toEqual(['target', '/', `cmdfile=${join(staging, 'recover.rman')}`]);
    expect(rman[0].script).toContain(`SET UNTIL SCN ${targetScn + 1n};`);
    expect(rman[0].sid).toBe('ORCL');
    const fetched = (await readdir(staging)).filter((name) => name.endsWith('.arc'));
    expect(fetched.length).toBeGreaterThan(0);
    for (const name of fetched) expect(await readFile(join(staging, name))).toEqual(await readFile(join(dir, 'arch', name)));

    // A staging folder someone else made first, with links inside to a file outside: refused, nothing touched.
    const planted = join(dir, 'planted');
    await mkdir(planted);
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'untouched\n');
    await symlink(victim, join(planted, 'recover.rman'));
    await symlink(victim, join(planted, fetched[0]!));
    await chown(planted, 65534, 65534);
    const refused = await cli(['restore', '--to-scn', String(targetScn), '--staging', planted]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--staging \S+planted already exists: the staging folder is always created new/);
    expect(refused.stderr).toMatch(/HINT: give a path that does not exist yet/);
    expect(await readFile(victim, 'utf8')).toBe('untouched\n');
    expect((await readdir(planted)).sort()).toEqual([fetched[0]!, 'recover.rman'].sort());
    // A new folder inside one another user can change (and so swap under snaplog): refused before anything is made.
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await chown(foreign, 65534, 65534);
    const inForeign = await cli(['restore', '--to-scn', String(targetScn), '--staging', join(foreign, 'new')]);
    expect(inForeign.code).toBe(1);
    expect(inForeign.stderr).toMatch(/which another user can change \(owner uid 65534/);
    expect(await readdir(foreign)).toEqual([]);
    // No --staging: a new folder with a random name under the temp folder, private to snaplog, files not writable by others.
    const fresh = [await cli(['restore', '--to-scn', String(targetScn)]), await cli(['restore', '--to-scn', String(targetScn)])];
    const freshDirs = fresh.map((result) => {
      expect(result.code, result.stderr).toBe(0);
      return /staging folder (\S+)/.exec(result.stdout)![1]!;
    });
    try {
      expect(freshDirs[0]).not.toBe(freshDirs[1]);
      for (const folder of freshDirs) {
        expect(folder.startsWith(join(tmpdir(), 'snaplog-oracle-restore-'))).toBe(true);
        const info = await lstat(folder);
        expect([info.isDirectory(), info.uid, info.mode & 0o777]).toEqual([true, process.getuid!(), 0o750]);
        for (const name of await readdir(folder)) expect((await lstat(join(folder, name))).mode & 0o777).toBe(0o640);
      }
    } finally {
      for (const folder of freshDirs) await rm(folder, { recursive: true, force: true });
    }

    await setModel({ rmanFail: true });
    const failed = await cli(['restore', '--latest', '--staging', `${staging}-failed`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/RMAN recovery failed .*RMAN-03002/);
    // The conductor's restore events: each restore-start ends in restore-done or restore-failed; dry runs emit none for Oracle.
    const restoreEvents = (await readEvents(ipcFolder)).filter((event) => event.type.startsWith('restore-'));
    const [done, refusal] = [
      ['restore-start', 'restore-done'],
      ['restore-start', 'restore-failed'],
    ];
    expect(restoreEvents.map((event) => event.type)).toEqual([...done, ...refusal, ...refusal, ...done, ...done, ...refusal]);
    const common = { engine: 'oracle', systemId: expect.any(String), snapshot: expect.any(String) };
    expect(restoreEvents[0]).toMatchObject({ ...common, level: 'info', logs: fetched.length });
    expect(restoreEvents[1]).toMatchObject({ ...common, level: 'info', elapsedMs: expect.any(Number) });
    expect(restoreEvents[3]).toMatchObject({ ...common, level: 'alert', message: expect.stringMatching(/already exists/) });
    expect(restoreEvents[11]).toMatchObject({ ...common, level: 'alert', message: expect.stringMatching(/RMAN-03002/), elapsedMs: expect.any(Number) });
    const gtid = await cli(['restore', '--to-gtid', '0-1-1', '--dry-run']);
    expect(gtid.code).toBe(2);
  });
});
