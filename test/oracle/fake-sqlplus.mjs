// A scripted Oracle model behind a fake `sqlplus -S /nolog` (no Oracle server can run here). State: the JSON
// file named by $FAKE_ORACLE_STATE; every call is appended to calls.jsonl beside it. It answers the
// statements snaplog sends (V$ARCHIVED_LOG, V$DATABASE, ARCHIVE LOG CURRENT, BEGIN/END BACKUP) from the model.
// state.beginBackupHangMs: BEGIN BACKUP turns backup mode on, then the session hangs that long.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const statePath = process.env.FAKE_ORACLE_STATE;
const state = JSON.parse(readFileSync(statePath, 'utf8'));
// `sqlplus -S -L '/ as sysdba' @script.sql` reads the script file; otherwise the script comes on stdin.
const scriptArg = process.argv.slice(2).find((arg) => arg.startsWith('@'));
const input = scriptArg ? `CONNECT ${process.argv.slice(2).find((arg) => /as sysdba/i.test(arg)) ?? ''}\n${readFileSync(scriptArg.slice(1), 'utf8')}` : readFileSync(0, 'utf8');
const lines = input.split('\n').map((line) => line.trim()).filter(Boolean);
const statements = lines.filter((line) => !/^(WHENEVER|SET |CONNECT|EXIT|\/$)/i.test(line));
const record = (extra) => appendFileSync(join(dirname(statePath), 'calls.jsonl'), `${JSON.stringify({ tool: 'sqlplus', argv: process.argv.slice(2), sid: process.env.ORACLE_SID, home: process.env.ORACLE_HOME, connect: lines.find((line) => /^CONNECT/i.test(line)), statements, ...extra })}\n`);
// Written whole (rename), so a session reading at the same time never sees half a model.
const save = () => {
  writeFileSync(`${statePath}.${process.pid}`, JSON.stringify(state, null, 2));
  renameSync(`${statePath}.${process.pid}`, statePath);
};
const fail = (error) => {
  record({ error });
  save();
  process.stdout.write(`\n${error}\n`);
  process.exit(1);
};
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

// An archived log as the archiver writes it: a redo file header (type 0x22, 512-byte blocks, the
// count, the magic number) and whole blocks; the rest is opaque filler.
function redoFile(blocks, fill) {
  const file = Buffer.alloc((blocks + 1) * 512, fill);
  file.fill(0, 0, 32);
  file[1] = 0x22;
  file.writeUInt32LE(512, 20);
  file.writeUInt32LE(blocks, 24);
  file.writeUInt32LE(0x7a7b7c7d, 28);
  return file;
}

function archiveCurrent() {
  for (const thread of state.threads ?? [1]) {
    const own = state.archived.filter((log) => log.thread === thread);
    const last = own[own.length - 1];
    const sequence = (last?.sequence ?? 0) + 1;
    const path = join(state.archDir, `${thread}_${sequence}_${state.resetlogs}.arc`);
    writeFileSync(path, redoFile(30 + sequence, thread * 16 + (sequence % 16)));
    state.scn += 100;
    state.archived.push({ path, thread, sequence, resetlogs: state.resetlogs, firstScn: last?.nextScn ?? state.scn - 100, nextScn: state.scn, firstTime: last?.nextTime ?? iso(Date.now() - 1000), nextTime: iso(Date.now()) });
  }
}

// The model's scheduler: a job whose start time has come runs before this session's statements.
// The test moves the database clock with clockSkewMs (timings never decide a test).
const now = () => Date.now() + (state.clockSkewMs ?? 0);
state.jobs ??= [];
for (const job of state.jobs.filter((candidate) => candidate.runAtMs <= now())) {
  if (/ALTER DATABASE END BACKUP/.test(job.action) && state.backupActive) state.backupActive = false;
  (state.jobRuns ??= []).push({ name: job.name, atMs: now() });
  state.jobs = state.jobs.filter((candidate) => candidate !== job);
}

const out = [];
for (const statement of statements) {
  if (state.fail && statement.includes(state.fail.match)) fail(state.fail.error);
  const tag = /^SELECT '(ROW\d*)\|'/.exec(statement)?.[1] ?? 'ROW';
  const row = (text) => out.push(text.replace(/^ROW\|/, `${tag}|`));
  if (/DBMS_SCHEDULER/i.test(statement)) {
    // One block may drop the earlier guard jobs and create the new one, in that order.
    if (/DBMS_SCHEDULER\.DROP_JOB/i.test(statement)) state.jobs = state.jobs.filter((job) => !job.name.startsWith('SNAPLOG_EB_'));
    if (/DBMS_SCHEDULER\.CREATE_JOB/i.test(statement)) {
      if (state.noCreateJob) fail('ORA-27486: insufficient privileges');
      const name = /job_name => '([^']+)'/.exec(statement)[1];
      const seconds = Number(/NUMTODSINTERVAL\((\d+), 'SECOND'\)/.exec(statement)[1]);
      const action = /job_action => '((?:[^']|'')*)'/.exec(statement)[1].replace(/''/g, "'");
      state.jobs.push({ name, runAtMs: now() + seconds * 1000, afterSeconds: seconds, action });
    }
  } else if (/^RECOVER /i.test(statement)) {
    out.push('Media recovery complete.');
  } else if (/ARCHIVE LOG CURRENT/i.test(statement)) {
    if (state.logMode !== 'ARCHIVELOG') fail('ORA-00258: manual archiving in NOARCHIVELOG mode must identify log');
    archiveCurrent();
  } else if (/BEGIN BACKUP/i.test(statement)) {
    if (state.logMode !== 'ARCHIVELOG') fail('ORA-01123: cannot start online backup; media recovery not enabled');
    if (state.backupActive) fail('ORA-01146: cannot start online backup - file 1 is already in backup');
    state.backupActive = true;
    if (state.beginBackupHangMs) {
      // Backup mode is on, but the session never answers (a hung instance): the caller must give up and end it.
      save();
      record({ hung: true });
      const until = Date.now() + state.beginBackupHangMs;
      while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  } else if (/END BACKUP/i.test(statement)) {
    if (!state.backupActive) fail('ORA-01142: cannot end online backup - none of the files are in backup');
    state.backupActive = false;
  } else if (/v\$archived_log/i.test(statement)) {
    for (const log of [...state.archived].filter((log) => !log.deleted).sort((a, b) => a.thread - b.thread || a.sequence - b.sequence)) {
      row(`ROW|${log.path}|${log.thread}|${log.sequence}|${log.resetlogs}|${log.firstScn}|${log.nextScn}|${log.firstTime}|${log.nextTime}`);
    }
  } else if (/current_scn/i.test(statement)) {
    state.scn += 7;
    row(`ROW|${state.scn}`);
  } else if (/log_mode/i.test(statement)) {
    row(`ROW|${state.dbName}|${state.dbid}|${state.logMode}`);
  } else if (/v\$instance/i.test(statement)) {
    row('ROW|19.21.0.0.0');
  } else if (/v\$backup/i.test(statement)) {
    row(`ROW|${state.backupActive ? 4 : 0}`);
  }
}
save();
record({});
process.stdout.write(`${out.join('\n')}\n`);
