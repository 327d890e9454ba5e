import type { Command } from 'commander';
import { parseTarget } from '../restore/target.js';
import type { RestoreTarget, TargetFlags } from '../restore/target.js';

export function withTargetOptions(command: Command): Command {
  return command
    .option('--to <time>', 'apply every transaction committed at or before TIME (ISO-8601; local time without a zone)')
    .option('--to-gtid <gtid>', 'apply up to and including this transaction')
    .option('--to-position <file:pos>', 'apply up to this transaction boundary')
    .option('--before-gtid <gtid>', 'apply everything before this transaction (undo an accidental DROP)')
    .option('--latest', 'apply every archived transaction')
    .option('--snapshot <id>', 'start from this snapshot (default: the newest one before the target)')
    .option('--system <id>', 'system id in the archive (default: [archive] system_id, or the only one)');
}

export function targetFrom(options: TargetFlags): RestoreTarget {
  return parseTarget(options);
}
