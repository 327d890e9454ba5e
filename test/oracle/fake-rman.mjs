// A fake `rman` (no Oracle here): records argv and the command file it was given, answers like RMAN.
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const statePath = process.env.FAKE_ORACLE_STATE;
const state = JSON.parse(readFileSync(statePath, 'utf8'));
const cmdfile = process.argv.slice(2).find((arg) => arg.startsWith('cmdfile='))?.slice('cmdfile='.length);
appendFileSync(join(dirname(statePath), 'rman.jsonl'), `${JSON.stringify({ argv: process.argv.slice(2), sid: process.env.ORACLE_SID, script: cmdfile ? readFileSync(cmdfile, 'utf8') : undefined })}\n`);
process.stdout.write('Recovery Manager: Release 19.0.0.0.0 - Production\nconnected to target database: ORCL (DBID=1234567890, not open)\n');
if (state.rmanFail) {
  process.stdout.write('RMAN-00571: ===========================================================\nRMAN-03002: failure of recover command at 11/22/2026 14:10:01\nRMAN-06054: media recovery requesting unknown archived log\n');
  process.exit(1);
}
process.stdout.write('starting media recovery\nmedia recovery complete, elapsed time: 00:00:02\nStatement processed\nRecovery Manager complete.\n');
