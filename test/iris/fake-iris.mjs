// A scripted stand-in for `iris terminal <INSTANCE> -U%SYS` (and `csession`): no IRIS can run here.
// State lives in the JSON file named by $FAKE_IRIS_STATE; every call is appended to calls.jsonl next to it.
// The model: a journal directory whose newest file is current; ExternalFreeze switches the journal and
// exits 5 (or state.freezeExit), ExternalThaw exits 5 (or state.thawExit); ObjectScript fed on stdin is
// answered line by line (journal directory, current file, SwitchFile, Journal.Restore).
// Data: `set ^data("k")="v"` appends a record stamped with state.clock (unix seconds) to the current
// journal; a closed journal's mtime is set to the clock. Journal.Restore replays the staged journals
// from FirstFile to LastFile into state.restored, applying the ^ZJRNFILT the script installed (its stop
// evaluated as the instance would, in a UTC time zone). state.compress: a closed journal becomes <name>z.
// IsWDSuspended answers 1 while frozen. state.freezeDelayMs: ExternalFreeze freezes, then hangs that long.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const statePath = process.env.FAKE_IRIS_STATE;
// One call at a time (the freeze's pre-step, shipping child, holder and watchdog may call at once, as
// sessions of one instance would): a lock folder, taken over when a killed call left it behind.
const lockPath = `${statePath}.lock`;
for (;;) {
  try {
    mkdirSync(lockPath);
    break;
  } catch {
    try {
      if (Date.now() - statSync(lockPath).mtimeMs > 10_000) rmSync(lockPath, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
process.on('exit', () => rmSync(lockPath, { recursive: true, force: true }));
process.on('SIGTERM', () => process.exit(143));
const state = JSON.parse(readFileSync(statePath, 'utf8'));
const save = () => {
  writeFileSync(`${statePath}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${statePath}.tmp`, statePath);
};
const args = process.argv.slice(2);
let input = '';
try {
  input = readFileSync(0, 'utf8');
} catch {
  input = '';
}
const lines = input.split('\n').filter((line) => line !== '');
const call = { argv: args, at: Date.now(), stdinLines: lines.length, uid: process.getuid() };

// While this client runs, no process on the machine may show the password on its command line.
if (state.login) {
  call.passwordInSomeCmdline = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(state.login.password);
      } catch {
        return false;
      }
    });
}

if (state.login) {
  const [user, password] = lines;
  call.loginOk = user === state.login.username && password === state.login.password;
  lines.splice(0, 2);
  if (!call.loginOk) {
    appendFileSync(join(dirname(statePath), 'calls.jsonl'), `${JSON.stringify(call)}\n`);
    process.stdout.write('Access Denied\n');
    process.exit(1);
  }
}

function switchJournal() {
  const closed = join(state.journalDir, state.current);
  appendFileSync(closed, Buffer.alloc(4096, 0x4a));
  if (state.clock) utimesSync(closed, state.clock, state.clock);
  if (state.compress) {
    writeFileSync(`${closed}z`, Buffer.concat([Buffer.from('COMPRESSED\n'), readFileSync(closed)]));
    if (state.clock) utimesSync(`${closed}z`, state.clock, state.clock);
    rmSync(closed); // IRIS deletes the original once the compressed copy is complete
  }
  const [day, number] = state.current.split('.');
  state.current = `${day}.${String(Number(number) + 1).padStart(3, '0')}`;
  writeFileSync(join(state.journalDir, state.current), Buffer.alloc(512, 0x48));
}

function setData(key, value) {
  appendFileSync(join(state.journalDir, state.current), `\n${JSON.stringify({ t: state.clock ?? Math.floor(Date.now() / 1000), k: key, v: value })}\n`);
  state.data = { ...state.data, [key]: value };
}

/** Journal.Restore as the script configured it: the filter's stop is read back from the routine lines. */
function journalRestore(lines) {
  const literal = (name) => {
    const line = lines.find((candidate) => candidate.startsWith(`set r.${name}=`));
    return line && JSON.parse(line.slice(`set r.${name}=`.length).replace(/""/g, '\\"'));
  };
  const first = literal('FirstFile');
  const last = literal('LastFile');
  let stop = Number.POSITIVE_INFINITY;
  if (literal('Filter') === '^ZJRNFILT') {
    const horolog = /\$zdatetimeh\("(\d+),(\d+)",-3\)/.exec(lines.join('\n'));
    const routine = lines.filter((line) => line.startsWith('do rtn.WriteLine(')).join('\n');
    if (!horolog || !routine.includes('>"_stopsecs_"') || !routine.includes('set restmode=0')) throw new Error('the ^ZJRNFILT routine is not the one the fake understands');
    // $HOROLOG seconds → unix seconds (the fake instance runs in UTC: local = UTC).
    stop = (Number(horolog[1]) - 47117) * 86400 + Number(horolog[2]);
  }
  const dir = dirname(first);
  const key = (name) => name.replace(/z$/, '');
  const names = readdirSync(dir).filter((name) => /^\d{8}\.\d{3}z?$/.test(name)).sort((a, b) => key(a).localeCompare(key(b)));
  const files = names.filter((name) => key(name) >= key(first.split('/').pop()) && key(name) <= key(last.split('/').pop()));
  const restored = { ...(state.dataAtSnapshot ?? {}) };
  let applied = 0;
  for (const name of files) {
    for (const text of readFileSync(join(dir, name), 'latin1').split('\n')) {
      if (!text.startsWith('{')) continue;
      const record = JSON.parse(text);
      if (record.t > stop) continue;
      restored[record.k] = record.v;
      applied++;
    }
  }
  state.restored = restored;
  state.restoredFiles = files;
  return applied;
}

const entry = args.find((arg) => arg.startsWith('##Class('));
call.entry = entry;
let exitCode = 0;
if (entry?.includes('ExternalFreeze')) {
  if (state.freezeExit) exitCode = state.freezeExit;
  else {
    if (!state.freezeNoSwitch) switchJournal();
    state.frozen = true;
    state.dataAtSnapshot = state.data ?? {};
    exitCode = 5;
    if (state.freezeDelayMs) {
      // Frozen, but the answer is slow (the session hangs): the caller may give up first.
      save();
      appendFileSync(join(dirname(statePath), 'calls.jsonl'), `${JSON.stringify({ ...call, slow: true })}\n`);
      const until = Date.now() + state.freezeDelayMs;
      while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
} else if (entry?.includes('ExternalThaw')) {
  if (state.thawExit) exitCode = state.thawExit;
  else {
    state.frozen = false;
    exitCode = 5;
  }
} else {
  const answers = [];
  for (const line of lines) {
    if (line.includes('SwitchFile()')) switchJournal();
    const data = /^set \^data\("([^"]+)"\)="([^"]*)"$/.exec(line);
    if (data) setData(data[1], data[2]);
    if (line.includes('Journal.Restore')) call.restore = true;
    if (line === 'set sc=r.Run()') call.applied = journalRestore(lines);
    if (line.startsWith('if ')) continue;
    const match = /"LOG:([A-Z_]+)=",(.*),!$/.exec(line);
    if (!match) continue;
    const key = match[1];
    const value = {
      DIR: state.journalDir + '/',
      CUR: join(state.journalDir, state.current),
      VER: 'IRIS for UNIX (fake for tests) 2024.1',
      OK: '1',
      STOP_LOCAL: '2026-11-22 14:05:00',
      FILTER: 'installed',
      RESTORE: state.restoreAnswer ?? 'OK',
      WDS: state.frozen ? '1' : '0',
    }[key];
    if (value !== undefined) answers.push(`SNAPLOG:${key}=${value}`);
  }
  if (call.restore) writeFileSync(join(dirname(statePath), 'restore-script.txt'), lines.join('\n'));
  process.stdout.write(`\nNode: fake, Instance: ${args[1]}\n\n%SYS>${answers.join('\n')}\n`);
}
save();
appendFileSync(join(dirname(statePath), 'calls.jsonl'), `${JSON.stringify(call)}\n`);
process.exit(exitCode);
