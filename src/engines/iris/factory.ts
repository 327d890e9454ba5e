/** Builds the IRIS/Caché engine and terminal client from the config. */
import type { SnaplogConfig } from '../../config/index.js';
import { checkedInstanceName, irisConfig } from './config.js';
import { IrisClient } from './client.js';
import { readIrisCredentials } from './credentials.js';
import type { IrisCredentials } from './credentials.js';
import { IrisEngine } from './engine.js';
import { openConfiguredArchive } from '../../archive/open.js';
import type { Archive } from '../../archive/archive.js';

/**
 * The terminal client for this config (`instance` overrides the configured one: a restore may run on
 * another instance); the credentials file is read (and checked: 0600, owner) on first use.
 */
export function irisClient(config: SnaplogConfig, instance?: string): IrisClient {
  const iris = { ...irisConfig(config), ...(instance ? { instance: checkedInstanceName(instance) } : {}) };
  let credentials: Promise<IrisCredentials | undefined> | undefined;
  return new IrisClient(
    iris,
    () =>
      (credentials ??= iris.credentialsFile
        ? readIrisCredentials(iris.credentialsFile, config.locate('iris', 'credentials_file'))
        : Promise.resolve(undefined)),
  );
}

export async function createIrisEngine(config: SnaplogConfig): Promise<IrisEngine> {
  const iris = irisConfig(config);
  // Fail at startup, naming file/line/key, rather than in the middle of a freeze.
  if (iris.credentialsFile) await readIrisCredentials(iris.credentialsFile, config.locate('iris', 'credentials_file'));
  let archive: Promise<Archive> | undefined;
  const archivedNames = async (systemId: string): Promise<ReadonlySet<string>> => {
    archive ??= openConfiguredArchive(config);
    return new Set((await (await archive).listLogs(systemId)).filter((log) => log.metadata).map((log) => log.name));
  };
  return new IrisEngine(iris, irisClient(config), archivedNames);
}
