import type { SnapshotKind, SystemTimeline } from './model.js';
import { freezeInWords, utcInWords } from './words.js';

/** One character per time slot; what it shows, strongest first. */
export const GLYPHS = {
  snapshot: { consistent: '◆', 'crash-consistent': '◇', failed: '✗', 'timed-out': '⊘' } satisfies Record<SnapshotKind, string>,
  gap: '!',
  recoveryPoint: '┃',
  restorable: '█',
  archived: '▒',
  nothing: '·',
  outside: ' ',
};

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function dayLabel(dayStart: number): string {
  const date = new Date(dayStart);
  return `${WEEKDAYS[date.getUTCDay()]} ${String(date.getUTCDate()).padStart(2, '0')} ${MONTHS[date.getUTCMonth()]}`;
}

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

interface Span {
  from: number;
  to: number;
}

const spanOf = (from: string, to: string): Span => ({ from: Date.parse(from), to: Date.parse(to) });
const touches = (span: Span, from: number, to: number): boolean => span.from < to && span.to >= from;

/**
 * Pure: the timeline in the terminal, one line per UTC day (oldest first), `cellsPerDay` characters a day
 * (48: half an hour each), then the legend, the recovery point and the gaps with their missing logs.
 */
export function terminalTimeline(timeline: SystemTimeline, cellsPerDay = 48): string[] {
  const now = Date.parse(timeline.now);
  const viewFrom = Date.parse(timeline.view.from);
  const cellMs = DAY_MS / cellsPerDay;
  const windows = timeline.windows.map((window) => spanOf(window.from, window.to));
  const coverage = timeline.coverage.map((bar) => spanOf(bar.from, bar.to));
  const gaps = timeline.gaps.map((gap) => spanOf(gap.from, gap.to));
  const recoveryPoint = timeline.rpo.recoveryPoint ? Date.parse(timeline.rpo.recoveryPoint.time) : undefined;
  const snapshots = timeline.snapshots.map((snapshot) => ({ snapshot, at: Date.parse(snapshot.time) }));

  const glyphAt = (from: number, to: number): string => {
    if (to <= viewFrom || from > now) return GLYPHS.outside;
    const snapshot = snapshots.find(({ at }) => at >= from && at < to);
    if (snapshot) return GLYPHS.snapshot[snapshot.snapshot.kind];
    if (gaps.some((gap) => touches(gap, from, to))) return GLYPHS.gap;
    if (recoveryPoint !== undefined && recoveryPoint >= from && recoveryPoint < to) return GLYPHS.recoveryPoint;
    if (windows.some((window) => touches(window, from, to))) return GLYPHS.restorable;
    if (coverage.some((bar) => touches(bar, from, to))) return GLYPHS.archived;
    return GLYPHS.nothing;
  };

  const labelWidth = 'Mon 01 Jan'.length;
  const ruler = Array.from({ length: cellsPerDay }, (_, cell) => {
    const hour = (cell * 24) / cellsPerDay;
    return Number.isInteger(hour) && hour % 6 === 0 ? String(hour).padStart(2, '0') : '';
  });
  let rulerText = '';
  for (let cell = 0; cell < cellsPerDay; cell++) {
    if (rulerText.length > cell) continue;
    rulerText += ruler[cell] || ' ';
  }
  const lines = [
    `system ${timeline.systemId}: last ${timeline.view.days} day(s), UTC, one character = ${Math.round(cellMs / 60_000)} min`,
    '',
    `${' '.repeat(labelWidth)}  ${rulerText.slice(0, cellsPerDay)}`,
  ];
  const firstDay = Math.floor(viewFrom / DAY_MS) * DAY_MS;
  for (let day = firstDay; day <= now; day += DAY_MS) {
    let bar = '';
    for (let cell = 0; cell < cellsPerDay; cell++) bar += glyphAt(day + cell * cellMs, day + (cell + 1) * cellMs);
    const todays = snapshots.filter(({ at }) => at >= day && at < day + DAY_MS);
    const notes = todays.map(
      ({ snapshot, at }) =>
        `${hhmm(at)} ${GLYPHS.snapshot[snapshot.kind]} ${snapshot.kind}${snapshot.frozenMs === undefined ? '' : ` ${freezeInWords(snapshot.frozenMs)}`}`,
    );
    lines.push(`${dayLabel(day)}  ${bar}${notes.length ? `  ${notes.join(', ')}` : ''}`.trimEnd());
  }
  const legend = Object.entries(GLYPHS.snapshot).map(([kind, glyph]) => `${glyph} ${kind} snapshot`);
  lines.push(
    '',
    `${GLYPHS.restorable} restorable  ${GLYPHS.archived} logs archived, no usable snapshot before  ${GLYPHS.gap} gap  ${GLYPHS.recoveryPoint} recovery point  ${GLYPHS.nothing} nothing archived`,
    legend.join('  '),
    '',
    timeline.rpo.recoveryPoint
      ? `recovery point ${utcInWords(timeline.rpo.recoveryPoint.time)} (${timeline.rpo.recoveryPoint.log}): ${timeline.rpo.words}`
      : `recovery point: ${timeline.rpo.words}`,
  );
  for (const gap of timeline.gaps) {
    const names = gap.missingNames.length
      ? gap.missingNames.join(', ') + (gap.missingCount > gap.missingNames.length ? ', …' : '')
      : `sequences ${gap.missingSequences}`;
    lines.push(`GAP ${utcInWords(gap.from)} .. ${utcInWords(gap.to)}: ${gap.missingCount} log(s) missing (${names}) between ${gap.after} and ${gap.before}`);
  }
  for (const problem of timeline.problems.filter((problem) => !problem.startsWith('gap: '))) lines.push(`! ${problem}`);
  return lines.map(printable);
}

/** Names come from the archive (hostile): no control character reaches the terminal. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const printable = (line: string): string => line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
