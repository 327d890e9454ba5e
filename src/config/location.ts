/** Locations and warning lines: the same `file, line N, key 'k'` form ConfigError uses. Pure. */
import type { ConfigLocation } from '../errors.js';
import type { IniEntry } from './ini.js';

/** `file, line 7, key 'timeout'`: the same form ConfigError uses, for warnings. */
export function formatLocation(location: ConfigLocation): string {
  const parts = [location.file];
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.key !== undefined) parts.push(`key '${location.key}'`);
  return parts.join(', ');
}

export function warning(location: ConfigLocation, message: string): string {
  return `${formatLocation(location)}: ${message}`;
}

export function locationOf(entry: IniEntry): ConfigLocation {
  return { file: entry.file, line: entry.line, key: entry.key };
}
