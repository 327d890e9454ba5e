import type { SnaplogConfig } from '../config/index.js';
import { readSecretFile } from '../config/index.js';
import { SnaplogError } from '../errors.js';
import { Archive } from './archive.js';
import { PosixDriver } from './posix-driver.js';
import type { StorageDriver } from './storage.js';
import { parseBlobUrl, parseConnectionString } from './blob-location.js';

/** Where the config's archive is, for messages: the folder, or the container URL (never a credential). */
export function archiveLocation(config: SnaplogConfig): string {
  return config.archive.path ?? config.archive.url ?? '(no archive configured)';
}

/** The storage driver the config names: a folder, or an Azure Blob container with its credential file. */
async function configuredDriver(config: SnaplogConfig): Promise<StorageDriver> {
  const { path, url, connectionStringFile, sasTokenFile } = config.archive;
  if (path !== undefined) return new PosixDriver(path);
  if (url === undefined) throw new SnaplogError('no archive configured', { exitCode: 2, hint: 'set [archive] path or url' });
  const [{ ContainerClient, StorageSharedKeyCredential, AnonymousCredential }, { BlobDriver }] = await Promise.all([
    import('@azure/storage-blob'),
    import('./blob-driver.js'),
  ]);
  const { containerUrl, prefix } = parseBlobUrl(url);
  let client;
  if (connectionStringFile !== undefined) {
    const parsed = parseConnectionString(await readSecretFile(connectionStringFile, config.locate('archive', 'connection_string_file')));
    if (parsed.accountName && parsed.accountKey)
      client = new ContainerClient(containerUrl, new StorageSharedKeyCredential(parsed.accountName, parsed.accountKey));
    else if (parsed.sas) client = new ContainerClient(`${containerUrl}?${parsed.sas}`, new AnonymousCredential());
    else {
      throw new SnaplogError(`${connectionStringFile} holds no AccountName + AccountKey and no SharedAccessSignature`, {
        exitCode: 2,
        hint: 'copy the connection string from the portal (Storage account > Access keys) into the file, one line',
      });
    }
  } else {
    const sas = (await readSecretFile(sasTokenFile!, config.locate('archive', 'sas_token_file'))).trim().replace(/^\?/, '');
    client = new ContainerClient(`${containerUrl}?${sas}`, new AnonymousCredential());
  }
  return new BlobDriver(client, prefix, url);
}

/** Opens the configured archive; fails (writing nothing) when its marker is missing. */
export async function openConfiguredArchive(config: SnaplogConfig): Promise<Archive> {
  return Archive.openWith(await configuredDriver(config));
}

/** `snaplog archive init` for the configured archive. */
export async function initConfiguredArchive(config: SnaplogConfig): Promise<{ archive: Archive; created: boolean }> {
  return Archive.initWith(await configuredDriver(config));
}
