/** The toy engine registers itself: one folder, one registry line. */
import type { SnaplogConfig } from '../../../src/config/index.js';
import { registerEngine } from '../../../src/engines/registry.js';
import { ToyDatabase, ToyEngine } from './engine.js';

/** The toy's own config section (as the other engines have theirs). */
export type ToyConfig = SnaplogConfig & { toy?: { logDir: string; dataDir: string } };

registerEngine({
  workloadNames: ['toy'],
  archiveName: 'toy',
  label: 'Toy',
  capabilities: { find: false, drill: false, partialRestore: false, globalFreeze: false, sourceCompare: false },
  restoreOptions: [{ engine: 'Toy', flags: '--toy-dir <dir>', help: 'Toy: the restored state folder' }],
  createEngine: async (config: ToyConfig) => new ToyEngine(new ToyDatabase(config.toy!.logDir, config.toy!.dataDir)),
  restore: async () => (await import('./restore.js')).toyRestore,
});
