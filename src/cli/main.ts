import { Command, CommanderError } from 'commander';
import { cliErrorText, SnaplogError } from '../errors.js';
import { withConfigOption } from './common.js';
/**
 * Each command's module, loaded only when that command runs: hooks and the freeze holder are started as
 * fresh processes while a snapshot waits, so they must not pay for every other command's dependencies.
 */
const COMMAND_LOADERS: Record<string, () => Promise<Command[]>> = {
  archive: async () => [(await import('./archive.js')).archiveCommand()],
  ship: async () => [(await import('./ship.js')).shipCommand()],
  status: async () => [(await import('./status.js')).statusCommand()],
  list: async () => [(await import('./list.js')).listCommand()],
  verify: async () => [(await import('./verify.js')).verifyCommand()],
  events: async () => [(await import('./events.js')).eventsCommand()],
  config: async () => [(await import('./config.js')).configCommand()],
  demo: async () => [(await import('./demo.js')).demoCommand(run)],
  freeze: async () => [(await import('./freeze.js')).freezeCommand()],
  thaw: async () => [(await import('./freeze.js')).thawCommand()],
  hooks: async () => [(await import('./hooks.js')).hooksCommand()],
  plan: async () => [(await import('./plan.js')).planCommand()],
  restore: async () => [(await import('./restore.js')).restoreCommand()],
  attach: async () => [(await import('./attach.js')).attachCommand()],
  detach: async () => [(await import('./attach.js')).detachCommand()],
  find: async () => [(await import('./find.js')).findCommand()],
  drill: async () => [(await import('./drill.js')).drillCommand()],
  prune: async () => [(await import('./prune.js')).pruneCommand()],
  report: async () => [(await import('./report.js')).reportCommand()],
  service: async () => [(await import('./service.js')).serviceCommand()],
};
const ALIASES: Record<string, string> = { pre: 'freeze', post: 'thaw' };
const HOLDER_COMMAND = '__freeze-holder';
const WATCHDOG_COMMAND = '__freeze-watchdog';

/** The command named in argv (global options such as `--config FILE` may come first); undefined for none. */
export function commandNameIn(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--config') {
      index++;
      continue;
    }
    if (word.startsWith('-')) continue;
    return ALIASES[word] ?? word;
  }
  return undefined;
}

/** The program with the command `argv` names, or with every command (for help and for unknown names). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = withConfigOption(new Command('snaplog'))
    .description('point-in-time recovery for databases backed up by VM snapshots: ship logs, hook snapshots, replay to a target')
    .version('0.1.0')
    .enablePositionalOptions(false);
  const name = commandNameIn(argv);
  // `snaplog --version` needs no command: nothing is loaded.
  const asks = (...words: string[]) => argv.some((word) => words.includes(word));
  if (name === undefined && asks('--version', '-V') && !asks('--help', '-h')) return program;
  if (name === HOLDER_COMMAND || name === WATCHDOG_COMMAND) {
    const freeze = await import('./freeze.js');
    program.addCommand(name === HOLDER_COMMAND ? freeze.holderCommand() : freeze.watchdogCommand(), { hidden: true });
    return program;
  }
  const loaders = name !== undefined && COMMAND_LOADERS[name] ? [COMMAND_LOADERS[name]] : Object.values(COMMAND_LOADERS);
  for (const commands of await Promise.all(loaders.map((load) => load()))) for (const command of commands) program.addCommand(command);
  program.addHelpText(
    'after',
    `
Exit codes: 0 success, 1 failure, 2 bad usage or bad config.
Config: --config FILE, else $SNAPLOG_CONFIG, else /etc/snaplog/snaplog.conf (+ /etc/azure/workload.conf).`,
  );
  return program;
}

/** Commander's usage errors in snaplog's form: `snaplog: <what>` and a HINT naming the command's --help, instead of the whole help. */
function prepareCommands(command: Command): void {
  command.exitOverride();
  command.configureOutput({ outputError: (text, write) => write(`snaplog: ${text.replace(/^error: /, '')}`) });
  command.showHelpAfterError(`HINT: ${usageHint(command)}`);
  for (const sub of command.commands) prepareCommands(sub);
}

function usageHint(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.length ? `see 'snaplog ${names.join(' ')} --help' for its options` : "see 'snaplog --help' for the commands";
}

/** Runs the CLI and returns the exit code; never throws. */
export async function run(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  prepareCommands(program);
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
    process.stderr.write(cliErrorText(error, { debug: Boolean(process.env['SNAPLOG_DEBUG']) }));
    if (error instanceof SnaplogError) return error.exitCode;
    return 1;
  } finally {
    process.exitCode = outerExitCode;
  }
}
