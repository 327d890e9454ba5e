import { tmpdir } from 'node:os';
import type { RestoreOptionSpec } from '../../types.js';

/** Oracle's own `snaplog restore` options and help paragraph (data: the command is built before the config is read). */
export const oracleRestoreOptions: readonly RestoreOptionSpec[] = [
  { engine: 'Oracle', flags: '--to-scn <scn>', help: 'Oracle: recover through this SCN (inclusive)' },
  {
    engine: 'Oracle',
    flags: '--to-sequence <[thread:]sequence>',
    help: 'Oracle: recover through this archived log of this redo thread (default thread 1), inclusive',
  },
  { engine: 'Oracle', flags: '--no-open', help: 'Oracle: leave the database mounted after recovery (no OPEN RESETLOGS)' },
  {
    engine: 'Oracle',
    flags: '--snapshot-time <time>',
    help: 'Oracle: the restored VM/disk snapshot was taken WITHOUT backup mode at this time (crash-consistent, Oracle 18c+): recover with SQL*Plus RECOVER … SNAPSHOT TIME; needs --to TIME',
  },
];

export const oracleRestoreHelp = `
Oracle (workload_name = oracle): --to TIME, --to-scn SCN, --to-sequence [THREAD:]SEQ or --latest (the last
SCN every redo thread's archived logs reach). The restored database must be MOUNTED
(not open). The archived logs are fetched into --staging (a new folder: it must not exist yet; default: a new random
folder under ${tmpdir()}), verified, handed to [workload] linux_user (files first, then the folder), then RMAN runs: CATALOG START WITH '<staging>/' NOPROMPT;
RUN { SET UNTIL …; RECOVER DATABASE; } ALTER DATABASE OPEN RESETLOGS. --dry-run prints the script.
For a snapshot not taken by snaplog's freeze (no backup mode), give --snapshot-time and --to: SQL*Plus runs
RECOVER AUTOMATIC FROM '<staging>' DATABASE UNTIL TIME … SNAPSHOT TIME … instead.`;
