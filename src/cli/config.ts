import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { createEngine, ENGINE_CONFIG } from '../engines/registry.js';
import type { SnaplogConfig } from '../config/index.js';
import { SnaplogError } from '../errors.js';
import type { PrivilegeReport } from '../engines/types.js';
import { withConfigOption, withJsonOption, configPathOf, printJson } from './common.js';

export function configCommand(): Command {
  const config = new Command('config').description('inspect the configuration');
  config.addCommand(
    withJsonOption(withConfigOption(new Command('check')))
      .description('read and validate the config; print the files read, the effective values and every warning')
      .option('--database', 'also connect to the database and check what snaplog needs: each privilege ship and freeze use (Oracle: ARCHIVELOG, V$ access)')
      .addHelpText(
        'after',
        `
With --database, each privilege the configured commands need is tried without changing anything (MySQL/
MariaDB: RELOAD for FLUSH BINARY LOGS and the freeze lock, BINLOG MONITOR or REPLICATION CLIENT for the
binlog position); every missing one is listed at once with the GRANT that fixes them (exit 1).`,
      )
      .action(async (options: { json?: boolean; database?: boolean }, command: Command) => {
        const { config: loaded, warnings } = await loadConfig(ENGINE_CONFIG, { configPath: configPathOf(command) });
        const privileges = options.database ? await checkDatabase(loaded) : undefined;
        const missing = privileges?.checks.filter((check) => !check.ok) ?? [];
        const { locate: _locate, ...values } = loaded;
        if (options.json) {
          printJson({ ok: missing.length === 0, warnings, ...(privileges ? { privileges } : {}), config: values });
          if (missing.length) process.exitCode = 1;
          return;
        }
        if (privileges) process.stdout.write(privilegeText(privileges));
        if (missing.length)
          throw missingPrivilegesError(
            privileges!,
            missing.map((check) => check.grant),
          );
        process.stdout.write(`config OK (${loaded.sources.join(', ')})\n`);
        for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
        process.stdout.write(`${JSON.stringify(values, null, 2)}\n`);
      }),
  );
  return config;
}

/** Connects with the config's engine, lists its logs and tries its privileges: wrong credentials, NOARCHIVELOG or missing grants show now, not at 3 a.m. */
async function checkDatabase(config: SnaplogConfig): Promise<PrivilegeReport | undefined> {
  const engine = await createEngine(config);
  try {
    await engine.systemId();
    await engine.listSourceLogs();
    return await engine.checkPrivileges?.({ shipSwitchesLogs: config.ship.maxLogAgeSeconds !== undefined });
  } finally {
    await engine.close();
  }
}

function privilegeText(report: PrivilegeReport): string {
  const lines = [`database: ${report.server}, connected as ${report.account}`];
  for (const check of report.checks) {
    const state = check.ok ? 'ok     ' : check.detail === 'missing' ? 'MISSING' : 'FAILED ';
    lines.push(`  ${state} ${check.grant}: ${check.neededBy.join('; ')}${check.ok || check.detail === 'missing' ? '' : ` (${check.detail})`}`);
  }
  return `${lines.join('\n')}\n`;
}

function missingPrivilegesError(report: PrivilegeReport, grants: string[]): SnaplogError {
  const count = grants.length === 1 ? 'a privilege' : `${grants.length} privileges`;
  return new SnaplogError(`${report.account} lacks ${count} snaplog needs: ${grants.join(', ')} (listed above)`, {
    hint: report.fix
      ? `as a database administrator run: ${report.fix} — then snaplog config check --database again`
      : 'read the FAILED lines above; the README lists the privileges per command',
  });
}
