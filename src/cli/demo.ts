import { Command } from 'commander';
import { runDemo } from '../demo/scenario.js';

export function demoCommand(runCli: (args: string[]) => Promise<number>): Command {
  return new Command('demo')
    .description(
      'the whole cycle on a throwaway local MariaDB: ship, freeze → snapshot → thaw, an accidental DROP TABLE, restore to just before it, ' +
        'and how many transactions the snapshot alone would have lost',
    )
    .option('--dir <dir>', 'work folder for the throwaway server (removed afterwards unless --keep)', '.snaplog-demo')
    .option(
      '--archive <dir>',
      'archive folder, kept afterwards; each run is a new system (demo-<time>) in it, so the demo runs any number of times',
      'snaplog-archive',
    )
    .option('--keep', 'keep the throwaway server files')
    .action(async (options: { dir: string; archive: string; keep?: boolean }) => {
      await runDemo({
        workDir: options.dir,
        archivePath: options.archive,
        keep: options.keep ?? false,
        snaplog: runCli,
        say: (line) => process.stdout.write(`\n== ${line}\n`),
      });
    });
}
