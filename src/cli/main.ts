import { Command, CommanderError } from 'commander';
import { describeError, SnaplogError } from '../errors.js';
import { withConfigOption } from './common.js';
import { archiveCommand } from './archive.js';
import { attachCommand, detachCommand } from './attach.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { eventsCommand } from './events.js';
import { drillCommand } from './drill.js';
import { findCommand } from './find.js';
import { freezeCommand, holderCommand, thawCommand } from './freeze.js';
import { hooksCommand } from './hooks.js';
import { planCommand } from './plan.js';
import { pruneCommand } from './prune.js';
import { serviceCommand } from './service.js';
import { restoreCommand } from './restore.js';
import { listCommand } from './list.js';
import { shipCommand } from './ship.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

export function buildProgram(): Command {
  const program = withConfigOption(new Command('snaplog'))
    .description('point-in-time recovery for databases backed up by VM snapshots: ship logs, hook snapshots, replay to a target')
    .version('0.1.0')
    .showHelpAfterError()
    .enablePositionalOptions(false);
  for (const command of [archiveCommand(), shipCommand(), statusCommand(), listCommand(), verifyCommand(), eventsCommand(), configCommand(), demoCommand(run), freezeCommand(), thawCommand(), hooksCommand(), planCommand(), restoreCommand(), attachCommand(), detachCommand(), findCommand(), drillCommand(), pruneCommand(), serviceCommand()]) {
    program.addCommand(command);
  }
  program.addCommand(holderCommand(), { hidden: true });
  program.addHelpText(
    'after',
    `
Exit codes: 0 success, 1 failure, 2 bad usage or bad config.
Config: --config FILE, else $SNAPLOG_CONFIG, else /etc/snaplog/snaplog.conf (+ /etc/azure/workload.conf).`,
  );
  return program;
}

function exitOverrideAll(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideAll(sub);
}

/** Runs the CLI and returns the exit code; never throws. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  exitOverrideAll(program);
  const outerExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    process.stderr.write(`snaplog: ${describeError(error)}\n`);
    if (error instanceof SnaplogError) return error.exitCode;
    return 1;
  } finally {
    process.exitCode = outerExitCode;
  }
}
