/** Builds the IRIS/Caché engine and terminal client from the config. */
import type { SnaplogConfig } from '../../config/index.js';
import { irisConfig } from './config.js';
import { IrisClient } from './client.js';
import { readIrisCredentials } from './credentials.js';
import type { IrisCredentials } from './credentials.js';
import { IrisEngine } from './engine.js';

export function isIrisFamily(config: SnaplogConfig): boolean {
  return config.workload.name === 'iris' || config.workload.name === 'cache';
}

/** The terminal client for this config; the credentials file is read (and checked: 0600, owner) on first use. */
export function irisClient(config: SnaplogConfig): IrisClient {
  const iris = irisConfig(config);
  let credentials: Promise<IrisCredentials | undefined> | undefined;
  return new IrisClient(iris, () => (credentials ??= iris.credentialsFile ? readIrisCredentials(iris.credentialsFile, config.locate('iris', 'credentials_file')) : Promise.resolve(undefined)));
}

export async function createIrisEngine(config: SnaplogConfig): Promise<IrisEngine> {
  const iris = irisConfig(config);
  // Fail at startup, naming file/line/key, rather than in the middle of a freeze.
  if (iris.credentialsFile) await readIrisCredentials(iris.credentialsFile, config.locate('iris', 'credentials_file'));
  return new IrisEngine(iris, irisClient(config));
}
