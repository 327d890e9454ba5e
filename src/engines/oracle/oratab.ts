/** Pure: `/etc/oratab` (Azure's configuration_path): `SID:ORACLE_HOME:Y|N` per line. */
export interface OratabEntry {
  sid: string;
  oracleHome: string;
  line: number;
}

/** Comments, blank lines and ASM / management instances (`+ASM`, `-MGMTDB`) are skipped. */
export function parseOratab(text: string): OratabEntry[] {
  const entries: OratabEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [sid, oracleHome] = line.split(':');
    if (!sid || !oracleHome || sid.startsWith('+') || sid.startsWith('-') || sid === '*') return;
    entries.push({ sid, oracleHome, line: index + 1 });
  });
  return entries;
}
