/**
 * Credentials for instances that ask for a login on `iris terminal` (password authentication). They
 * answer the Username:/Password: prompts on the client's stdin — never on its command line.
 */
import { ConfigError } from '../../errors.js';
import type { ConfigLocation } from '../../errors.js';
import { readSecretFile } from '../../config/secrets.js';

export interface IrisCredentials {
  username: string;
  password: string;
}

/** Pure: `username = X` / `password = Y` lines (also `key: value`); `#`/`;` comments. */
export function parseCredentials(text: string, file: string, location: ConfigLocation): IrisCredentials {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const match = /^(\w+)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!match)
      throw new ConfigError(location, `${file}: a line is not "key = value" (its content is not shown)`, 'write two lines: username = … and password = …');
    values.set(match[1]!.toLowerCase(), match[2]!);
  }
  const username = values.get('username');
  const password = values.get('password');
  if (!username || password === undefined) {
    throw new ConfigError(
      location,
      `${file} must hold a "username = …" and a "password = …" line`,
      'the user needs the %Admin_Operate privileges ExternalFreeze requires',
    );
  }
  if (/[\r\n]/.test(username + password)) throw new ConfigError(location, `${file}: username and password must be one line each`);
  return { username, password };
}

/** Reads and checks (0600, owner) the credentials file. */
export async function readIrisCredentials(path: string, location: ConfigLocation): Promise<IrisCredentials> {
  return parseCredentials(await readSecretFile(path, location), path, location);
}
