/** The INI reading the hooks module needs for other products' files (Azure's workload.conf, the GCP agent's config). Pure. */

/** The value of `key` in `[section]` of an INI text (case-insensitive names, `;`/`#` comments), or undefined. */
export function iniValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  let found: string | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]*)\]/.exec(line);
    if (header) {
      current = (header[1] ?? '').trim().toLowerCase();
      continue;
    }
    if (current !== section.toLowerCase()) continue;
    const match = /^([^=:]+)[=:](.*)$/.exec(line);
    if (!match) continue;
    if ((match[1] ?? '').trim().toLowerCase() !== key.toLowerCase()) continue;
    found = (match[2] ?? '').replace(/\s[;#].*$/, '').trim();
  }
  return found;
}
