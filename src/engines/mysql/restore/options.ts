import type { RestoreOptionSpec } from '../../types.js';

const engine = 'MySQL/MariaDB';

/** MySQL/MariaDB's own `snaplog restore` options and help paragraph. */
export const mysqlRestoreOptions: readonly RestoreOptionSpec[] = [
  { engine, flags: '--datadir <dir>', help: 'the restored data directory (server stopped): a private server is started on it' },
  { engine, flags: '--target-socket <path>', help: "replay into a running server (the DBA's) with the [mysql] credentials" },
  {
    engine,
    flags: '--method <method>',
    help: 'relay: through the SQL thread (fast, default with --datadir); pipe: mariadb-binlog | mariadb',
    choices: ['relay', 'pipe'],
  },
  { engine, flags: '--resume', help: 'finish an interrupted or failed restore from where the data directory stands (@@gtid_slave_pos)' },
  { engine, flags: '--tables <list>', help: 'partial restore: only these DB.TABLE (with --datadir and --export); the data directory is not changed' },
  { engine, flags: '--export <file>', help: 'partial restore: write the tables as SQL here' },
  { engine, flags: '--server-arg <option...>', help: 'extra mariadbd options for the private server (e.g. --innodb-log-file-size=512M)' },
];

export const mysqlRestoreHelp = `
With --datadir, restore starts from the snapshot the data directory is (the marker freeze leaves in it,
its newest binlog, InnoDB's recorded position); a --snapshot that disagrees is refused. It checks the data
directory before fetching anything, keeps a record in it (the same restore again does nothing, a later
target goes on from there), and on Ctrl-C stops between two transactions: --resume finishes.

Examples:
  snaplog restore --to 2026-11-22T14:05:00 --datadir /mnt/restore/var/lib/mysql
  snaplog restore --before-gtid 0-1-4711 --datadir /mnt/restore/var/lib/mysql     (undo a DROP)
  snaplog restore --to 2026-11-22T14:05:00 --datadir DIR --tables shop.orders --export orders.sql`;
