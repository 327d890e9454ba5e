/** Durations and ages in the words a DBA reads at a glance. Pure. */

/** 3 s, 4 min 20 s, 25 min, 2 h 10 min, 3 d 4 h. */
export function durationInWords(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 10) return s % 60 ? `${minutes} min ${s % 60} s` : `${minutes} min`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A freeze duration: 850 ms, 3.9 s, 1 min 30 s. */
export function freezeInWords(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return durationInWords(ms / 1000);
}

/** 2026-11-30 01:05:07 UTC: an ISO time without the T, the milliseconds and the Z, for people. */
export function utcInWords(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
