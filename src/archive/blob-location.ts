import { SnaplogError } from '../errors.js';

/** Pure: where an Azure Blob archive lives, from `[archive] url` and the credential text. */
export interface BlobLocation {
  /** https://account.blob.core.windows.net/container (or http://127.0.0.1:10000/devstoreaccount1/container for Azurite). */
  containerUrl: string;
  /** Folder inside the container ('' for its root), without slashes at either end. */
  prefix: string;
}

const PATH_STYLE_HOST = /^(\d+\.\d+\.\d+\.\d+|localhost|\[[0-9a-f:]+\])(:\d+)?$/i;

/** Loopback only: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Splits the URL into container and prefix. Emulators (IP or localhost hosts) carry the account as the first
 * path segment. Plain http (no TLS: the SAS token and every log in clear) only for an emulator on loopback.
 */
export function parseBlobUrl(url: string): BlobLocation {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))) {
    throw new SnaplogError(`[archive] url ${parsed.protocol}//${parsed.host}/… is not https: refusing to send the credential and the logs without TLS`, {
      exitCode: 2,
      hint: 'use https://ACCOUNT.blob.core.windows.net/CONTAINER (http:// is accepted only for an emulator on 127.0.0.1 or localhost)',
    });
  }
  const segments = parsed.pathname.split('/').filter(Boolean);
  const accountInPath = PATH_STYLE_HOST.test(parsed.host);
  const containerIndex = accountInPath ? 1 : 0;
  const container = segments[containerIndex];
  if (!container) throw new Error(`${url} names no container`);
  return {
    containerUrl: `${parsed.protocol}//${parsed.host}/${segments.slice(0, containerIndex + 1).join('/')}`,
    prefix: segments.slice(containerIndex + 1).join('/'),
  };
}

/** Pure: the parts of an Azure Storage connection string snaplog uses. */
export function parseConnectionString(text: string): { accountName?: string; accountKey?: string; sas?: string } {
  const fields = new Map<string, string>();
  for (const part of text.trim().split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const result: { accountName?: string; accountKey?: string; sas?: string } = {};
  if (fields.get('accountname')) result.accountName = fields.get('accountname');
  if (fields.get('accountkey')) result.accountKey = fields.get('accountkey');
  if (fields.get('sharedaccesssignature')) result.sas = fields.get('sharedaccesssignature')!.replace(/^\?/, '');
  return result;
}

/** Removes query strings (SAS tokens) and signatures from text that may end up in an error or a log. */
export function scrubSecrets(text: string): string {
  return text.replace(/\?[^\s"']*(sig|se|sv|sp)=[^\s"']*/gi, '?[redacted]').replace(/(AccountKey|SharedAccessSignature|sig)=[^;&\s"']+/gi, '$1=[redacted]');
}
