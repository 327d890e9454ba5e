import { type Command, Option } from 'commander';

/** Options every command accepts, after the command name as well as before it. */
export interface CommonOptions {
  config?: string;
  json?: boolean;
}

export function withConfigOption(command: Command): Command {
  return command.addOption(new Option('--config <file>', 'snaplog config file (default: $SNAPLOG_CONFIG or /etc/snaplog/snaplog.conf)'));
}

export function withJsonOption(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON');
}

/** The --config given before or after the command name; the one after wins. */
export function configPathOf(command: Command): string | undefined {
  for (let current: Command | null = command; current; current = current.parent) {
    const value = current.opts<CommonOptions>().config;
    if (value) return value;
  }
  return undefined;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
