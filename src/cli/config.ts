import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { withConfigOption, withJsonOption, configPathOf, printJson } from './common.js';

export function configCommand(): Command {
  const config = new Command('config').description('inspect the configuration');
  config.addCommand(
    withJsonOption(withConfigOption(new Command('check')))
      .description('read and validate the config; print the files read, the effective values and every warning')
      .action(async (options: { json?: boolean }, command: Command) => {
        const { config: loaded, warnings } = await loadConfig({ configPath: configPathOf(command) });
        const { locate: _locate, ...values } = loaded;
        if (options.json) return printJson({ ok: true, warnings, config: values });
        process.stdout.write(`config OK (${loaded.sources.join(', ')})\n`);
        for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
        process.stdout.write(`${JSON.stringify(values, null, 2)}\n`);
      }),
  );
  return config;
}
