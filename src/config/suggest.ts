/** "Did you mean …?" for misspelt keys, sections and values. Pure. */

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word` (case-insensitive), if it is close enough to be a plausible typo:
 * a small edit distance, or one contains the other (`password` → `password_file`, `binlog` → `binlog_dir`).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const needle = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    let distance = editDistance(needle, lower);
    const allowed = Math.max(1, Math.floor(lower.length / 3));
    if (distance > allowed) {
      const contains = (needle.length >= 2 && lower.startsWith(needle)) || (needle.length >= 4 && (lower.includes(needle) || needle.includes(lower)));
      if (!contains) continue;
      distance = allowed; // plausible, but ranks behind real near-misses
    }
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best?.candidate;
}
