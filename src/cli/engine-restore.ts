import type { Command } from 'commander';
import type { RestoreTarget } from '../engines/restore-target.js';
import type { CliContext } from './context.js';

/** How `snaplog restore` runs for an engine other than MySQL/MariaDB: its own options and its own flow. */
export interface EngineRestoreCli {
  /** Adds this engine's options to `snaplog restore`; their help says which engine they are for. */
  addOptions(command: Command): Command;
  /** `target` parses the shared target flags (--to, --latest, …) when the engine wants them. */
  run(target: () => RestoreTarget, options: Record<string, unknown>, context: CliContext): Promise<void>;
}
