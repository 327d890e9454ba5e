import { Command } from 'commander';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnaplogError } from '../errors.js';
import { writeFileAtomic } from '../safe-files.js';
import { shipServiceUnit } from '../ship/unit.js';
import { shipServiceNeedsOf } from '../engines/registry.js';
import { withConfigOption, configPathOf } from './common.js';
import { loadContext } from './context.js';

export const UNIT_PATH = '/etc/systemd/system/snaplog-ship.service';

export function serviceCommand(): Command {
  const service = new Command('service').description('the systemd unit of the shipping service');
  service.addCommand(
    withConfigOption(new Command('install'))
      .description(`write ${UNIT_PATH} (hardened: ProtectSystem=strict, write access only to the archive and the ipc folder; see below for IRIS and Oracle)`)
      .addHelpText(
        'after',
        '\nThe service runs as root (as the freeze hooks do): the ipc folder stays root-owned 0700 and the credential files 0600.\n' +
          '[workload] linux_user is the user the database tools (sqlplus, rman, iris/csession) run as, through runuser.\n' +
          'When the service starts those tools (IRIS/Caché; Oracle without [oracle] password_file), the unit has no file-system sandbox\n' +
          "and no NoNewPrivileges: the processes they start write the database's own files and may be setuid.",
      )
      .option('--root <dir>', 'install under DIR (packaging, tests)')
      .option('--force', 'replace a unit that snaplog did not write')
      .action(async (options: { root?: string; force?: boolean }, command: Command) => {
        const { config } = await loadContext(command);
        const configPath = configPathOf(command) ?? process.env.SNAPLOG_CONFIG;
        const bin = realpathSync(fileURLToPath(new URL('../../bin/snaplog', import.meta.url)));
        const needs = shipServiceNeedsOf(config);
        const unit = shipServiceUnit({
          snaplogCommand: [process.execPath, bin],
          configPath: configPath ? resolve(configPath) : undefined,
          databaseUser: config.workload.linuxUser,
          writablePaths: [...(config.archive.path ? [config.archive.path] : []), config.workload.ipcFolder],
          readablePaths: needs.readablePaths.length ? needs.readablePaths : undefined,
          startsDatabaseTools: needs.startsDatabaseTools,
        });
        const target = join(options.root ?? '/', UNIT_PATH);
        if (existsSync(target) && !options.force && !(await readFile(target, 'utf8')).startsWith('# snaplog-managed unit')) {
          throw new SnaplogError(`${target} exists and was not written by snaplog`, { hint: 'move it aside or pass --force' });
        }
        await mkdir(dirname(target), { recursive: true });
        await writeFileAtomic(target, unit, { mode: 0o644 });
        process.stdout.write(`wrote ${target}\nthen: systemctl daemon-reload && systemctl enable --now snaplog-ship\n`);
      }),
  );
  return service;
}
