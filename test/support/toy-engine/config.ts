/**
 * The toy engine's part of the config, as the other engines have theirs: the `[toy]` keys, checked by the config
 * loader through TOY_SECTION (which learns it from the toy's registerEngine call).
 *
 * [toy]
 * log_dir = /var/lib/toy/logs    ; where the toy writes toy.NNNNNN
 * data_dir = /var/lib/toy/data   ; its state folder
 */
import { pathKey, typedSection } from '../../../src/config/index.js';

export interface ToyConfig {
  logDir: string;
  dataDir: string;
}

declare module '../../../src/config/types.js' {
  interface EngineSectionValues {
    toy: ToyConfig;
  }
}

export const TOY_SECTION = typedSection({
  name: 'toy',
  keys: { log_dir: pathKey('/var/lib/toy/logs', { mandatory: true }), data_dir: pathKey('/var/lib/toy/data', { mandatory: true }) },
  workloads: ['toy'],
  resolve: (toy): ToyConfig => ({ logDir: toy.log_dir, dataDir: toy.data_dir }),
});
