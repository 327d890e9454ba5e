import { Temporal } from 'temporal-polyfill';
import { UsageError } from '../errors.js';

/**
 * Times as the DBA types and reads them. Pure apart from the default time zone (the process's, i.e. TZ),
 * which every function takes as a parameter for tests.
 *
 * Accepted: ISO-8601 with a zone (`2026-11-22T13:05:00Z`, `…13:05:00.000Z`, `…14:05:00+01:00`, also with a
 * `[Area/City]` annotation), or a local wall-clock time without a zone (`2026-11-22T14:05:00`,
 * `2026-11-22 14:05`, `2026-11-22` = local midnight). A local time the clock skips (spring forward) or shows
 * twice (fall back) is refused: the DBA must say which instant by adding the offset.
 */

export function localTimeZone(): string {
  return Temporal.Now.timeZoneId();
}

const EXAMPLES = 'write it like 2026-11-22T14:05:00 (local time), 2026-11-22T13:05:00Z (UTC) or 2026-11-22T14:05:00+01:00';

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Milliseconds since the epoch of the instant the text names (exact; callers round as their stamps need). */
export function parseInstant(text: string, flag = '--to', timeZone = localTimeZone()): number {
  const trimmed = text.trim();
  if (!/^\d{4}-?\d{2}-?\d{2}/.test(trimmed)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not an ISO-8601 date and time`, EXAMPLES);
  }
  try {
    return Temporal.Instant.from(trimmed).epochMilliseconds;
  } catch {
    // No offset: a zone annotation or local wall-clock time, below.
  }
  let wall: Temporal.PlainDateTime;
  let zone = timeZone;
  try {
    if (/\[[^\]]+\]$/.test(trimmed)) {
      const zoned = Temporal.ZonedDateTime.from(trimmed, { disambiguation: 'compatible', offset: 'reject' });
      wall = zoned.toPlainDateTime();
      zone = zoned.timeZoneId;
    } else {
      wall = Temporal.PlainDateTime.from(trimmed, { overflow: 'reject' });
    }
  } catch (error) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a valid ISO-8601 date and time (${reason(error)})`, EXAMPLES);
  }
  const earlier = wall.toZonedDateTime(zone, { disambiguation: 'earlier' });
  const later = wall.toZonedDateTime(zone, { disambiguation: 'later' });
  if (!earlier.toPlainDateTime().equals(wall)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} does not exist in time zone ${zone}: ` +
        `the clocks skip from ${earlier.toPlainDateTime().toString()} to ${later.toPlainDateTime().toString()} (daylight saving time starts)`,
      `give the instant with its offset or in UTC, e.g. ${earlier.toInstant().toString()} or ${later.toInstant().toString()}`,
    );
  }
  if (earlier.epochMilliseconds !== later.epochMilliseconds) {
    const a = earlier.toString({ timeZoneName: 'never' });
    const b = later.toString({ timeZoneName: 'never' });
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} happens twice in time zone ${zone} (daylight saving time ends): ` +
        `${a} (${earlier.toInstant().toString()}) and ${b} (${later.toInstant().toString()})`,
      `add the offset to say which one, e.g. --to ${a} or --to ${b}`,
    );
  }
  return earlier.epochMilliseconds;
}

/** Unix seconds of a target time, rounded down: binlog commit stamps are whole seconds, so `--to 13:05:00.700` includes commits stamped 13:05:00. */
export function parseTargetTime(text: string, flag = '--to', timeZone = localTimeZone()): number {
  return Math.floor(parseInstant(text, flag, timeZone) / 1000);
}

/** An instant in the zone's local time with its offset, e.g. `2026-11-22T08:05:00.000-05:00`: pasting it back into --to means the same instant. */
export function localIso(epochMilliseconds: number, timeZone = localTimeZone()): string {
  const zoned = Temporal.Instant.fromEpochMilliseconds(epochMilliseconds).toZonedDateTimeISO(timeZone);
  return zoned.toString({ timeZoneName: 'never', smallestUnit: 'millisecond' });
}

/** `2026-11-22T13:05:00.000Z (local 2026-11-22T08:05:00.000-05:00 America/New_York)`; UTC alone when the local zone is UTC. */
export function showInstant(iso: string, timeZone = localTimeZone()): string {
  const ms = Temporal.Instant.from(iso).epochMilliseconds;
  const utc = new Date(ms).toISOString();
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return utc;
  return `${utc} (local ${localIso(ms, timeZone)} ${timeZone})`;
}
