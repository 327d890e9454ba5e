import { scaleUtc } from 'd3-scale';
import { utcFormat } from 'd3-time-format';
import type { SystemTimeline } from './model.js';
import { freezeInWords } from './words.js';
import { escapeHtml } from './escape.js';

/** Geometry of one timeline. */
const WIDTH = 1100;
const LEFT = 12;
const RIGHT = 70;
const ROW = { axis: 18, windows: 30, coverage: 62, snapshots: 100, freeze: 124 };
const HEIGHT = 140;
const MIN_MARK_WIDTH = 3;

const formatDay = utcFormat('%a %d %b');
const formatHour = utcFormat('%H:%M');

/** The mark a detail key names: every interactive element carries `data-detail`. */
export interface Marks {
  /** Detail key → what the panel shows; filled while drawing. */
  add(key: string, detail: Detail): void;
}

export interface Detail {
  title: string;
  rows: [string, string][];
  commands?: { plan: string; restore: string };
  /** For a restorable window: commands for the clicked time (TIME placeholder), valid in [fromMs, toMs). */
  at?: { plan: string; restore: string; fromMs: number; toMs: number };
}

function tickLabel(date: Date): string {
  return date.getUTCHours() === 0 && date.getUTCMinutes() === 0 ? formatDay(date) : formatHour(date);
}

/**
 * One system's timeline as plain SVG: restorable windows, archived log coverage, gaps, snapshots coloured
 * by kind with their freeze duration, the recovery point and now. Ticks are computed here, at generation
 * time (d3-scale, d3-time-format): the page needs no script to draw.
 */
export function timelineSvg(timeline: SystemTimeline, prefix: string, marks: Marks): string {
  const viewFrom = Date.parse(timeline.view.from);
  const viewTo = Date.parse(timeline.view.to);
  const x = scaleUtc()
    .domain([new Date(viewFrom), new Date(viewTo)])
    .range([LEFT, WIDTH - RIGHT])
    .clamp(true);
  const at = (iso: string): number => Math.round(x(new Date(iso)) * 10) / 10;
  const span = (from: string, to: string): { x: number; width: number } => {
    const left = at(from);
    const width = Math.max(MIN_MARK_WIDTH, at(to) - left);
    return { x: Math.min(left, WIDTH - RIGHT - width), width };
  };
  const parts: string[] = [];
  const ticks = x.ticks(timeline.view.days <= 2 ? 12 : Math.min(14, timeline.view.days * 2));
  for (const tick of ticks) {
    const tx = Math.round(x(tick) * 10) / 10;
    parts.push(
      `<line class="tick" x1="${tx}" x2="${tx}" y1="${ROW.axis + 4}" y2="${HEIGHT - 4}"/><text class="tick-label" x="${tx}" y="${ROW.axis}">${escapeHtml(tickLabel(tick))}</text>`,
    );
  }
  timeline.windows.forEach((window, i) => {
    const key = `${prefix}w${i}`;
    const full = window.whole;
    const { x: wx, width } = span(window.from, window.to);
    marks.add(key, {
      title: `restorable window from snapshot ${window.snapshotId}`,
      rows: [
        ['from', full.from],
        ['to', full.to],
        ...(window.logs ? ([['logs', `${window.logs.first} .. ${window.logs.last} (${window.logs.count})`]] as [string, string][]) : []),
        ['click', 'a moment inside the window gives the command that restores to it'],
      ],
      commands: window.commands,
      at: { ...window.commandsAt, fromMs: Date.parse(full.from), toMs: Date.parse(full.to) },
    });
    parts.push(`<rect class="window" tabindex="0" data-detail="${key}" x="${wx}" y="${ROW.windows}" width="${width}" height="22" rx="3"/>`);
  });
  timeline.coverage.forEach((bar, i) => {
    const key = `${prefix}c${i}`;
    const { x: bx, width } = span(bar.from, bar.to);
    marks.add(key, {
      title: `archived logs ${bar.first} .. ${bar.last}`,
      rows: [
        ['logs', `${bar.count}`],
        ['first commit', bar.from],
        ['last commit', bar.to],
        ...(bar.stream ? ([['stream', bar.stream]] as [string, string][]) : []),
      ],
    });
    parts.push(`<rect class="coverage" tabindex="0" data-detail="${key}" x="${bx}" y="${ROW.coverage}" width="${width}" height="16"/>`);
  });
  timeline.gaps.forEach((gap, i) => {
    const key = `${prefix}g${i}`;
    const { x: gx, width } = span(gap.from, gap.to);
    const names = gap.missingNames.length
      ? `${gap.missingNames.join(', ')}${gap.missingCount > gap.missingNames.length ? `, … (${gap.missingCount} in all)` : ''}`
      : `sequences ${gap.missingSequences}`;
    marks.add(key, {
      title: `GAP: ${gap.missingCount} log(s) missing`,
      rows: [
        ['missing', names],
        ['after', `${gap.after} (last commit ${gap.from})`],
        ['before', `${gap.before} (first commit ${gap.to})`],
        ['means', 'no restore can cross it: a snapshot taken after the gap is needed'],
      ],
    });
    parts.push(`<rect class="gap" tabindex="0" data-detail="${key}" x="${gx}" y="${ROW.coverage - 6}" width="${width}" height="28"/>`);
  });
  timeline.snapshots.forEach((snapshot, i) => {
    const key = `${prefix}s${i}`;
    const sx = at(snapshot.time);
    const position = snapshot.position ? `${snapshot.position.file}:${snapshot.position.position}` : 'none recorded';
    marks.add(key, {
      title: `snapshot ${snapshot.id} (${snapshot.kind})`,
      rows: [
        ['time', snapshot.time],
        ['status', snapshot.status],
        ['position', position],
        [snapshot.positionLabel, snapshot.position?.gtid ?? '-'],
        ['frozen for', snapshot.frozenMs === undefined ? '-' : freezeInWords(snapshot.frozenMs)],
        ...(snapshot.product ? ([['product', snapshot.product]] as [string, string][]) : []),
        ...(snapshot.host ? ([['host', snapshot.host]] as [string, string][]) : []),
        ['restorable', snapshot.window ? `${snapshot.window.from} .. ${snapshot.window.to}` : 'no'],
        ...(snapshot.windowLogs
          ? ([['logs', `${snapshot.windowLogs.first} .. ${snapshot.windowLogs.last} (${snapshot.windowLogs.count})`]] as [string, string][])
          : []),
        ...(snapshot.error ? ([['error', snapshot.error]] as [string, string][]) : []),
        ...(snapshot.problem ? ([['problem', snapshot.problem]] as [string, string][]) : []),
      ],
      ...(snapshot.commands ? { commands: snapshot.commands } : {}),
    });
    parts.push(
      `<g class="snapshot kind-${snapshot.kind}" tabindex="0" data-detail="${key}"><path d="M${sx} ${ROW.snapshots - 9} l8 9 l-8 9 l-8 -9 z"/>` +
        `<text class="freeze" x="${sx}" y="${ROW.freeze}">${snapshot.frozenMs === undefined ? '' : escapeHtml(freezeInWords(snapshot.frozenMs))}</text></g>`,
    );
  });
  const nowX = WIDTH - RIGHT;
  if (timeline.rpo.recoveryPoint && Date.parse(timeline.rpo.recoveryPoint.time) >= viewFrom) {
    const rx = at(timeline.rpo.recoveryPoint.time);
    parts.push(
      `<line class="recovery-point" x1="${rx}" x2="${rx}" y1="${ROW.windows - 4}" y2="${HEIGHT - 4}"/><text class="rp-label" x="${rx - 4}" y="${ROW.freeze + 12}">recovery point</text>`,
    );
  }
  parts.push(
    `<line class="now" x1="${nowX}" x2="${nowX}" y1="${ROW.axis + 4}" y2="${HEIGHT - 4}"/><text class="now-label" x="${nowX + 4}" y="${ROW.coverage + 12}">now</text>`,
  );
  return (
    `<svg class="timeline" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" data-from="${viewFrom}" data-to="${viewTo}" ` +
    `data-left="${LEFT}" data-right="${WIDTH - RIGHT}" role="img" aria-label="timeline">${parts.join('')}</svg>`
  );
}
