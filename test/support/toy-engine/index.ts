/** The toy engine registers itself: one folder, one registry line (with its own config section). */
import { registerEngine } from '../../../src/engines/registry.js';
import { TOY_SECTION } from './config.js';
import { ToyDatabase, ToyEngine } from './engine.js';

registerEngine({
  workloadNames: ['toy'],
  archiveName: 'toy',
  label: 'Toy',
  configSection: TOY_SECTION,
  capabilities: { find: false, drill: false, partialRestore: false, globalFreeze: false, sourceCompare: false },
  restoreOptions: [{ engine: 'Toy', flags: '--toy-dir <dir>', help: 'Toy: the restored state folder' }],
  createEngine: async (config) => {
    if (config.toy === undefined) throw new Error('the toy engine needs its [toy] section');
    return new ToyEngine(new ToyDatabase(config.toy.logDir, config.toy.dataDir));
  },
  restore: async () => (await import('./restore.js')).toyRestore,
});
