/**
 * Converters from config text to typed values. Pure; each returns undefined when the text is not of
 * the expected form (range checks are the schema's job).
 */

/** `300`, `300s`, `5m`, `2h` (case-insensitive, optional space before the unit) → whole seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smh]?)$/i.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const seconds = amount * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** `1048576`, `512b`, `64k`, `10m`, `1g` (also `10MB`, `10MiB`; powers of 1024) → bytes. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)\s*(?:([kmg])(?:i?b)?|b)?$/i.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === 'g' ? 1024 ** 3 : unit === 'm' ? 1024 ** 2 : unit === 'k' ? 1024 : 1;
  const bytes = amount * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** true/false, yes/no, on/off, 1/0 (case-insensitive). */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** A whole number, optionally signed: `90`, `-1`, `+3`. */
export function parseInteger(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** An absolute POSIX path (kept as written). */
export function parseAbsolutePath(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed.startsWith('/') && !trimmed.includes('\0') ? trimmed : undefined;
}
