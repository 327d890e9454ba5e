const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']);

/** The zone this process shows local times in ($TZ, else the system's). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Pure: an instant as ISO-8601 in `timeZone` with its numeric offset, e.g. 2026-11-29T20:23:08-05:00 (milliseconds only when not zero). */
export function isoInZone(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((entry) => entry.type === type)?.value ?? '';
  const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00';
  const millis = instant.getUTCMilliseconds();
  const fraction = millis ? `.${String(millis).padStart(3, '0')}` : '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${fraction}${offset}`;
}

/**
 * Pure: how snaplog shows an instant to a person: UTC, then local time with its offset (left out where
 * local time is UTC). Both are ISO-8601 with a zone, so either one pasted into `--to` names the same instant.
 */
export function showInstant(iso: string, timeZone = localTimeZone()): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const utc = instant.toISOString().replace(/\.000Z$/, 'Z');
  if (UTC_ZONES.has(timeZone)) return utc;
  return `${utc} (local ${isoInZone(instant, timeZone)})`;
}

/** Pure: seconds as a person reads them: "42 s", "75 s (1 min 15 s)", "7260 s (2 h 1 min)". */
export function showSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 120) return `${whole} s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const human = hours ? `${hours} h ${minutes} min` : `${minutes} min${rest ? ` ${rest} s` : ''}`;
  return `${whole} s (${human})`;
}
