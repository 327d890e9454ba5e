import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import type { SnaplogConfig } from '../config/index.js';
import { withConfigOption, withJsonOption, configPathOf, printJson } from './common.js';

export function configCommand(): Command {
  const config = new Command('config').description('inspect the configuration');
  config.addCommand(
    withJsonOption(withConfigOption(new Command('check')))
      .description('read and validate the config; print the files read, the effective values and every warning')
      .option('--database', 'also connect to the database and check what snaplog needs (Oracle: ARCHIVELOG mode, V$ access)')
      .action(async (options: { json?: boolean; database?: boolean }, command: Command) => {
        const { config: loaded, warnings } = await loadConfig({ configPath: configPathOf(command) });
        if (options.database) await checkDatabase(loaded);
        const { locate: _locate, ...values } = loaded;
        if (options.json) return printJson({ ok: true, warnings, config: values });
        process.stdout.write(`config OK (${loaded.sources.join(', ')})\n`);
        for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
        process.stdout.write(`${JSON.stringify(values, null, 2)}\n`);
      }),
  );
  return config;
}

/** Connects with the config's engine and lists its logs: wrong credentials, NOARCHIVELOG or missing grants show now, not at 3 a.m. */
async function checkDatabase(config: SnaplogConfig): Promise<void> {
  const { createEngine } = await import('../engines/create.js');
  const engine = await createEngine(config);
  try {
    await engine.systemId();
    await engine.listSourceLogs();
  } finally {
    await engine.close();
  }
}
