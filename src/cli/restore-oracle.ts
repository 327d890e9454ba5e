import type { Command } from 'commander';
import { SnaplogError } from '../errors.js';
import type { EngineRestoreCli } from './engine-restore.js';

export const oracleRestoreCli: EngineRestoreCli = {
  addOptions: (command: Command) => command,
  run: () => Promise.reject(new SnaplogError('restore for Oracle is not in this snaplog version yet', { exitCode: 2 })),
};
