/**
 * IRIS/Caché journal file names (`[prefix]YYYYMMDD.NNN[z]`) and how they follow each other. Pure.
 *
 * The prefix is optional (mirror journals: `MIRROR-<name>-`). IRIS 2021.2+ compresses a journal once
 * it is closed: it writes `<name>z`, then deletes `<name>`. Both spellings are one journal (`key`).
 *
 * The instance numbers journal files apart per day: `.001` starts again every day. snaplog orders them
 * by `sequence = YYYYMMDD * 1000 + NNN` and reports each day as its own `stream` ("day 20260315"), so the
 * generic catalog and shipping loop check continuity inside a day (where the rule is exactly +1) and
 * never raise a false gap at midnight. Across days the IRIS rule is: the file after the last one of a
 * day is `.001` of a later day. `consecutiveNumbers` applies that rule and renumbers a list of journals
 * consecutively, so the generic planner (which wants +1) can walk a chain across midnight.
 */

export interface JournalName {
  name: string;
  /** The journal without the compression mark: `MIRROR-M-20260315.007` for `MIRROR-M-20260315.007z`. */
  key: string;
  compressed: boolean;
  /** YYYYMMDD as a number. */
  day: number;
  /** The NNN suffix. */
  number: number;
}

const JOURNAL_NAME = /^([A-Za-z0-9_-]*?)(\d{4})(\d{2})(\d{2})\.(\d{3,})(z?)$/;

/** `20260315.007` → { day: 20260315, number: 7 }; anything else (journal.log, temp files) → undefined. */
export function parseJournalName(name: string): JournalName | undefined {
  const match = JOURNAL_NAME.exec(name);
  if (!match) return undefined;
  const [, , year, month, dayOfMonth, number, z] = match;
  const m = Number(month);
  const d = Number(dayOfMonth);
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  const compressed = z === 'z';
  return { name, key: compressed ? name.slice(0, -1) : name, compressed, day: Number(`${year}${month}${dayOfMonth}`), number: Number(number) };
}

/** Orders journals: day first, then number. */
export function journalSequence(journal: JournalName): number {
  return journal.day * 1000 + journal.number;
}

/** The per-day stream the generic catalog checks on its own. */
export function journalStream(journal: JournalName): string {
  return `day ${journal.day}`;
}

/** Does `next` directly follow `previous` (same day +1, or `.001` of a later day)? */
export function follows(previous: JournalName, next: JournalName): boolean {
  if (next.day === previous.day) return next.number === previous.number + 1;
  return next.day > previous.day && next.number === 1;
}

export interface JournalGap {
  after: string;
  before: string;
  /** What is missing, in words: names when they can be named, else a description. */
  missing: string;
}

/**
 * Gaps in an ordered list of journal names by the IRIS rule. A missing tail of a day (the last files
 * before midnight) cannot be seen from names alone: the next day's `.001` looks like a direct successor.
 */
export function journalGaps(names: string[]): JournalGap[] {
  const journals = distinctJournals(sortJournals(names));
  const gaps: JournalGap[] = [];
  for (let i = 1; i < journals.length; i++) {
    const previous = journals[i - 1]!;
    const next = journals[i]!;
    if (follows(previous, next)) continue;
    const missing =
      next.day === previous.day
        ? range(previous.number + 1, next.number - 1)
            .map((n) => nameFor(next, next.day, n))
            .join(', ')
        : `${nameFor(next, next.day, 1)}${next.number > 2 ? ` .. ${nameFor(next, next.day, next.number - 1)}` : ''}`;
    gaps.push({ after: previous.name, before: next.name, missing });
  }
  return gaps;
}

/** The name of another journal with `like`'s prefix. */
function nameFor(like: JournalName, day: number, number: number): string {
  const prefix = like.key.slice(0, like.key.length - `${like.day}.`.length - String(like.number).padStart(3, '0').length);
  return `${prefix}${day}.${String(number).padStart(3, '0')}`;
}

/** One entry per journal: when both spellings are present the uncompressed one (complete) stands for it. */
export function distinctJournals(journals: JournalName[]): JournalName[] {
  const byKey = new Map<string, JournalName>();
  for (const journal of journals) {
    const seen = byKey.get(journal.key);
    if (!seen || (seen.compressed && !journal.compressed)) byKey.set(journal.key, journal);
  }
  return [...byKey.values()].sort((a, b) => journalSequence(a) - journalSequence(b));
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to && out.length < 50; n++) out.push(n);
  return out;
}

export function sortJournals(names: string[]): JournalName[] {
  return names
    .flatMap((name) => {
      const parsed = parseJournalName(name);
      return parsed ? [parsed] : [];
    })
    .sort((a, b) => journalSequence(a) - journalSequence(b));
}

/**
 * Consecutive numbers for journals by the IRIS rule: a direct successor gets +1, anything else +2 (a
 * gap), so a planner that checks `sequence === previous + 1` sees midnight as continuous and real gaps
 * as gaps. Both spellings of one journal count once (the uncompressed one). Returns name → number.
 */
export function consecutiveNumbers(names: string[]): Map<string, number> {
  const journals = distinctJournals(sortJournals(names));
  const numbers = new Map<string, number>();
  let current = 0;
  journals.forEach((journal, i) => {
    const previous = journals[i - 1];
    current = previous === undefined ? 1 : current + (follows(previous, journal) ? 1 : 2);
    numbers.set(journal.name, current);
  });
  return numbers;
}
