/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at `maxMs`. Pure given `random`. */
export function backoffDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.25));
}
