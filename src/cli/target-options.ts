import type { Command } from 'commander';
import { timeTarget } from '../engines/restore-target.js';

const TARGET_HELP = `
Targets (MySQL/MariaDB):
  --to TIME        Replays the logs in order and stops before the first transaction whose binlog commit stamp is
                   after TIME: everything before it is applied, nothing from it on. The stamp is the time the
                   COMMIT statement was issued, in whole seconds (TIME is rounded down to its second:
                   …13:05:00.700 includes commits stamped 13:05:00). A COMMIT held behind a lock (FTWRL, a
                   metadata lock, a slow disk) is stamped before it really committed; if such a transaction is
                   written after one stamped later than TIME, it is left out with everything after it. The archive
                   must hold a transaction stamped after TIME (else some up to TIME may not be shipped yet).
                   TIME is ISO-8601: with a zone (2026-11-22T13:05:00Z, 2026-11-22T14:05:00+01:00) or local
                   wall-clock time without one (2026-11-22T14:05:00, in TZ). A local time that daylight saving
                   time skips or repeats is refused: add the offset. Any time snaplog prints (UTC, or the local
                   form with its offset) can be pasted back and means the same instant.
  --to-gtid GTID   One transaction (MariaDB 0-1-4711, MySQL uuid:42): replay stops right after it in log order
                   (transactions of other domains before it are applied too).
  --to-gtid POS    A GTID position, as @@gtid_binlog_pos or snaplog list prints it (0-1-3712,7-1-97; MySQL:
                   uuid:1-3712): exactly the transactions in it, none after it in any domain. Replay is linear in
                   log order, so the position must be a point of that order; if a transaction outside it comes
                   first, the plan is refused and names the nearest exact positions.
  --before-gtid G  Everything before that transaction (of any domain), in log order: undo an accidental DROP.`;

export function withTargetOptions(command: Command): Command {
  return command
    .option('--to <time>', 'apply the transactions, in log order, up to the first one stamped after TIME (ISO-8601; local without a zone; see Targets)')
    .option('--to-gtid <gtid>', 'apply up to and including this transaction, or exactly a GTID position list 0-1-3712,7-1-97')
    .option('--to-position <file:pos>', 'apply up to this transaction boundary')
    .option('--before-gtid <gtid>', 'apply everything before this transaction (undo an accidental DROP)')
    .option('--latest', 'apply every archived transaction')
    .option('--snapshot <id>', 'start from this snapshot (default: the newest one before the target)')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)')
    .addHelpText('after', TARGET_HELP);
}

/** The --to time is checked before the config is read (every engine takes it; its meaning is the same). */
export function checkTargetTime(options: Record<string, unknown>): void {
  if (typeof options['to'] === 'string') timeTarget(options['to']);
}
