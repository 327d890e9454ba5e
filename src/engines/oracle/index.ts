/** Oracle engine: what the rest of snaplog uses from this folder. */
import type { SnaplogConfig } from '../../config/index.js';
import { readSecretFile } from '../../config/index.js';
import { oracleConfig } from './config.js';
import { OracleEngine } from './engine.js';
import { openSession } from './session.js';

export async function createOracleEngine(config: SnaplogConfig): Promise<OracleEngine> {
  const oracle = await oracleConfig(config);
  const session = await openSession(oracle, () =>
    readSecretFile(oracle.auth.kind === 'password' ? oracle.auth.passwordFile : '', config.locate('oracle', 'password_file')).then((text) => text.trim()),
  );
  return new OracleEngine(oracle, session);
}
