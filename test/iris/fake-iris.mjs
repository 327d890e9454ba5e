// A scripted stand-in for `iris terminal <INSTANCE> -U%SYS` (and `csession`): no IRIS can run here.
// State lives in the JSON file named by $FAKE_IRIS_STATE; every call is appended to calls.jsonl next to it.
// The model: a journal directory whose newest file is current; ExternalFreeze switches the journal and
// exits 5 (or state.freezeExit), ExternalThaw exits 5 (or state.thawExit); ObjectScript fed on stdin is
// answered line by line (journal directory, current file, SwitchFile, Journal.Restore).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const statePath = process.env.FAKE_IRIS_STATE;
const state = JSON.parse(readFileSync(statePath, 'utf8'));
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
const args = process.argv.slice(2);
let input = '';
try {
  input = readFileSync(0, 'utf8');
} catch {
  input = '';
}
const lines = input.split('\n').filter((line) => line !== '');
const call = { argv: args, at: Date.now(), stdinLines: lines.length };

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
  appendFileSync(join(state.journalDir, state.current), Buffer.alloc(4096, 0x4a));
  const [day, number] = state.current.split('.');
  state.current = `${day}.${String(Number(number) + 1).padStart(3, '0')}`;
  writeFileSync(join(state.journalDir, state.current), Buffer.alloc(512, 0x48));
}

const entry = args.find((arg) => arg.startsWith('##Class('));
call.entry = entry;
let exitCode = 0;
if (entry?.includes('ExternalFreeze')) {
  if (state.freezeExit) exitCode = state.freezeExit;
  else {
    switchJournal();
    state.frozen = true;
    exitCode = 5;
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
    if (line.includes('Journal.Restore')) call.restore = true;
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
    }[key];
    if (value !== undefined) answers.push(`SNAPLOG:${key}=${value}`);
  }
  if (call.restore) writeFileSync(join(dirname(statePath), 'restore-script.txt'), lines.join('\n'));
  process.stdout.write(`\nNode: fake, Instance: ${args[1]}\n\n%SYS>${answers.join('\n')}\n`);
}
save();
appendFileSync(join(dirname(statePath), 'calls.jsonl'), `${JSON.stringify(call)}\n`);
process.exit(exitCode);
