/** Oracle engine: what the rest of snaplog uses from this folder. */
import type { SnaplogConfig } from '../../config/index.js';
import { SnaplogError } from '../../errors.js';
import type { Engine } from '../types.js';

export function createOracleEngine(_config: SnaplogConfig): Promise<Engine> {
  return Promise.reject(new SnaplogError('workload_name = oracle is not in this snaplog version yet', { exitCode: 2 }));
}
