import { tmpdir } from 'node:os';
import type { RestoreOptionSpec } from '../../types.js';

/** IRIS/Caché's own `snaplog restore` options and help paragraph. */
export const irisRestoreOptions: readonly RestoreOptionSpec[] = [
  { engine: 'IRIS/Caché', flags: '--iris-instance <name>', help: 'IRIS/Caché: run the journal restore on this instance (default: [workload] instance)' },
  {
    engine: 'IRIS/Caché',
    flags: '--iris-script <file>',
    help: 'IRIS/Caché: fetch and verify the journals, write the ObjectScript to FILE and stop (run it by hand)',
  },
];

export const irisRestoreHelp = `
IRIS/Caché (workload_name = iris | cache): only --to TIME or --latest. The journals are fetched into
--staging (a new folder: it must not exist yet; default: a new random folder under ${tmpdir()}), handed to
[workload] linux_user (files first, then the folder; never through a link), then the
restored instance (started, databases mounted, users kept out) runs Journal.Restore from the file
ExternalFreeze switched to, with a ^ZJRNFILT filter that drops records stamped after TIME; the filter
is removed afterwards. --dry-run prints the ObjectScript and changes nothing.`;
