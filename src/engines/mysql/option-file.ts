/**
 * The password in a MySQL/MariaDB client option file (the `--defaults-extra-file` kind). Pure.
 *
 * Follows the client's own reading rules (mysys my_default): `#` outside quotes starts a comment
 * anywhere on a line, `;` only at the start of a line; a value may be wrapped in matching single or
 * double quotes; `\n \t \r \b \s \\ \' \"` are escapes; the last `password` in any group the client
 * reads wins. `!include` lines and options without a value are skipped (a bare `password` means
 * "prompt", i.e. no password from this file).
 */

/** Groups the mysql/mariadb command-line client reads. */
export const CLIENT_GROUPS: readonly string[] = ['client', 'client-server', 'client-mariadb', 'mysql', 'mariadb-client'];

function removeEndComment(line: string): string {
  let quote: string | undefined;
  let escaped = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if ((char === '"' || char === "'") && !escaped) {
      if (quote === undefined) quote = char;
      else if (quote === char) quote = undefined;
    }
    if (quote === undefined && char === '#') return line.slice(0, index);
    escaped = quote !== undefined && char === '\\' && !escaped;
  }
  return line;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', s: ' ', '\\': '\\', "'": "'", '"': '"' };

function unquote(value: string): string {
  let text = value;
  const first = text[0];
  if (text.length >= 2 && (first === '"' || first === "'") && text.endsWith(first)) text = text.slice(1, -1);
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (char === '\\' && index < text.length - 1) {
      const next = text[++index] ?? '';
      out += ESCAPES[next] ?? `\\${next}`;
    } else {
      out += char;
    }
  }
  return out;
}

/** The client password set in `text`, or undefined when none of the client groups sets one. */
export function passwordFromOptionFile(text: string): string | undefined {
  let group: string | undefined;
  let password: string | undefined;
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const trimmedStart = rawLine.trimStart();
    if (trimmedStart === '' || trimmedStart.startsWith('#') || trimmedStart.startsWith(';') || trimmedStart.startsWith('!')) continue;
    const line = removeEndComment(trimmedStart).trimEnd();
    if (line.startsWith('[')) {
      const close = line.indexOf(']');
      group = close === -1 ? undefined : line.slice(1, close).trim().toLowerCase();
      continue;
    }
    if (group === undefined || !CLIENT_GROUPS.includes(group)) continue;
    const equals = line.indexOf('=');
    const name = (equals === -1 ? line : line.slice(0, equals)).trim().toLowerCase().replace(/_/g, '-');
    if (name !== 'password' && name !== 'loose-password') continue;
    password = equals === -1 ? undefined : unquote(line.slice(equals + 1).trim());
  }
  return password;
}
