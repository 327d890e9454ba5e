import { createHash } from 'node:crypto';
import type { SystemTimeline } from './model.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { timelineSvg } from './svg.js';
import type { Detail } from './svg.js';
import { durationInWords, freezeInWords, utcInWords } from './words.js';

export interface ReportPage {
  /** Where the archive is (shown in the header). */
  archive: string;
  generatedAt: string;
  days: number;
  /** Worst first for a fleet report; one entry for a single system. */
  systems: SystemTimeline[];
  /** With the fleet table first (`--all`). */
  fleet: boolean;
  /** Entries under the archive root that are not system folders snaplog would use (unsafe names): listed, not read. */
  skipped?: string[];
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:18px 24px;color:#1d2430;background:#fff}
h1{font-size:20px;margin:0 0 2px}h2{font-size:17px;margin:0 0 4px}
.meta{color:#5a6473;margin:0 0 14px}
table{border-collapse:collapse;margin:6px 0 22px;min-width:900px}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f4f6f8;font-weight:600}
td.level{font-weight:600;text-transform:uppercase;font-size:12px}
tr.critical td.level{color:#b3261e}tr.warning td.level{color:#a15c00}tr.ok td.level{color:#1e7b34}
section.system{border:1px solid #e3e6ea;border-radius:6px;padding:12px 14px;margin:0 0 18px}
section.critical{border-left:5px solid #b3261e}section.warning{border-left:5px solid #e0a100}section.ok{border-left:5px solid #2e9b4a}
.rpo{font-size:15px;margin:2px 0}.rpo.stale{color:#b3261e;font-weight:600}
.problems{color:#b3261e;margin:4px 0;padding-left:18px}
svg.timeline{display:block;max-width:100%;height:auto;margin:8px 0}
.tick{stroke:#eef0f3}.tick-label{font-size:11px;fill:#5a6473;text-anchor:middle}
.window{fill:#2e9b4a;fill-opacity:.28;stroke:#2e9b4a;cursor:crosshair}
.coverage{fill:#3b6fd8;cursor:pointer}
.gap{fill:#d93025;cursor:pointer}
.snapshot{cursor:pointer}.snapshot path{stroke:#1d2430;stroke-width:1}
.kind-consistent path{fill:#2e9b4a}.kind-crash-consistent path{fill:#e0a100}.kind-failed path{fill:#d93025}.kind-timed-out path{fill:#8e44ad}
.freeze{font-size:10px;fill:#5a6473;text-anchor:middle}
.now{stroke:#1d2430;stroke-dasharray:4 3}.now-label{font-size:12px;fill:#1d2430}
.recovery-point{stroke:#3b6fd8;stroke-width:2}.rp-label{font-size:10px;fill:#3b6fd8;text-anchor:end}
[data-detail]:focus{outline:2px solid #1d2430}
.tick,.tick-label,.now,.now-label,.recovery-point,.rp-label,.freeze{pointer-events:none}
.legend{font-size:12px;color:#5a6473}.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:11px;height:11px;vertical-align:-1px;margin-right:4px;border:1px solid #1d2430}
.sw.window{background:#b5dcbf}.sw.coverage{background:#3b6fd8}.sw.gap{background:#d93025}.sw.consistent{background:#2e9b4a}
.sw.crash-consistent{background:#e0a100}.sw.failed{background:#d93025}.sw.timed-out{background:#8e44ad}.sw.rp{background:#fff;border-color:#3b6fd8}
.detail{background:#f7f8fa;border:1px solid #e3e6ea;border-radius:4px;padding:8px 12px;margin-top:6px}
.detail h3{font-size:14px;margin:0 0 6px}.detail dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
.detail dt{color:#5a6473}.detail dd{margin:0;font-family:ui-monospace,Menlo,monospace;font-size:12.5px;word-break:break-all}
.detail pre{background:#1d2430;color:#f4f6f8;padding:6px 10px;border-radius:3px;white-space:pre-wrap;word-break:break-all;margin:3px 0 8px}
body.single #fleet-view,body.single section.system:not(.active){display:none}
a{color:#2356b8}
`;

/** Plain browser script: shows a mark's details on hover or focus, pins them on click; a click in a window gives the command for that moment. */
const SCRIPT = `
(function () {
  var details = JSON.parse(document.getElementById('details').textContent);
  function line(parent, tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }
  function iso(ms) { return new Date(ms).toISOString().replace(/\\.\\d{3}Z$/, 'Z'); }
  function show(mark, atMs) {
    var detail = details[mark.getAttribute('data-detail')];
    var panel = mark.closest('section').querySelector('.detail');
    if (!detail || !panel) return;
    panel.replaceChildren();
    line(panel, 'h3', detail.title);
    var list = line(panel, 'dl', '');
    detail.rows.forEach(function (row) { line(list, 'dt', row[0]); line(list, 'dd', row[1]); });
    var commands = detail.commands;
    if (detail.at && atMs !== undefined) {
      var t = Math.floor(Math.min(Math.max(atMs, detail.at.fromMs), detail.at.toMs) / 1000) * 1000;
      if (t < detail.at.fromMs) t += 1000;
      if (t < detail.at.toMs - 999) {
        line(list, 'dt', 'moment');
        line(list, 'dd', iso(t));
        commands = { plan: detail.at.plan.replace('{TIME}', iso(t)), restore: detail.at.restore.replace('{TIME}', iso(t)) };
      }
    }
    if (commands) {
      line(panel, 'div', 'check the plan first (reads only the archive):');
      line(panel, 'pre', commands.plan, 'cmd plan');
      line(panel, 'div', 'then restore onto the restored snapshot\\'s data directory (server stopped):');
      line(panel, 'pre', commands.restore, 'cmd restore');
    }
    panel.hidden = false;
  }
  // Hover shows a mark's details until a click pins them (Escape unpins).
  var pinned = false;
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape') pinned = false; });
  document.querySelectorAll('[data-detail]').forEach(function (mark) {
    mark.addEventListener('mouseenter', function () { if (!pinned) show(mark); });
    mark.addEventListener('focus', function () { if (!pinned) show(mark); });
    mark.addEventListener('click', function (event) {
      pinned = true;
      var svg = mark.ownerSVGElement;
      var box = svg.getBoundingClientRect();
      var scale = svg.viewBox.baseVal.width / box.width;
      var x = (event.clientX - box.left) * scale;
      var left = Number(svg.getAttribute('data-left')), right = Number(svg.getAttribute('data-right'));
      var from = Number(svg.getAttribute('data-from')), to = Number(svg.getAttribute('data-to'));
      show(mark, from + ((x - left) / (right - left)) * (to - from));
    });
  });
  function route() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    document.querySelectorAll('section.system').forEach(function (s) { s.classList.toggle('active', s === target); });
    document.body.classList.toggle('single', !!(target && target.classList.contains('system') && document.getElementById('fleet-view')));
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function fleetTable(systems: SystemTimeline[], now: number): string {
  const rows = systems.map((system, i) => {
    const last = system.lastSnapshot;
    const lastText = last
      ? `${utcInWords(last.time)} (${durationInWords((now - Date.parse(last.time)) / 1000)} ago), ${last.kind}${last.frozenMs !== undefined ? `, frozen ${freezeInWords(last.frozenMs)}` : ''}`
      : 'none';
    return (
      `<tr class="${system.level}" data-system="${escapeHtml(system.systemId)}"><td class="level">${system.level}</td>` +
      `<td><a href="#sys-${i}">${escapeHtml(system.systemId)}</a></td><td class="rpo-cell">${escapeHtml(system.rpo.words)}</td>` +
      `<td>${escapeHtml(lastText)}</td><td class="gaps-cell">${system.totals.gaps}</td><td>${escapeHtml(system.problems[0] ?? '-')}</td></tr>`
    );
  });
  return (
    `<div id="fleet-view"><h2>Fleet: ${systems.length} system${systems.length === 1 ? '' : 's'}, worst first</h2>` +
    `<table id="fleet"><thead><tr><th>health</th><th>system</th><th>RPO (last archived commit)</th><th>last snapshot</th><th>gaps</th><th>last error</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}

const LEGEND =
  '<p class="legend"><span>hover a mark for its details, click to pin them (Esc unpins)</span><span><i class="sw window"></i>restorable (click: the command for that moment)</span><span><i class="sw coverage"></i>archived logs</span>' +
  '<span><i class="sw gap"></i>gap</span><span><i class="sw rp"></i>recovery point</span><span><i class="sw consistent"></i>consistent</span>' +
  '<span><i class="sw crash-consistent"></i>crash-consistent</span><span><i class="sw failed"></i>failed</span><span><i class="sw timed-out"></i>timed out</span></p>';

function systemSection(system: SystemTimeline, i: number, details: Record<string, Detail>): string {
  const rp = system.rpo.recoveryPoint;
  const rpText = rp ? `Recovery point ${utcInWords(rp.time)} (${rp.log}): ${system.rpo.words}` : `Recovery point: ${system.rpo.words}`;
  const counts = `${system.totals.logs} logs, ${system.totals.snapshots} snapshots, ${system.totals.gaps} gap${system.totals.gaps === 1 ? '' : 's'} in the archive${system.engine ? ` · ${system.engine}` : ''}`;
  const problems = system.problems.length ? `<ul class="problems">${system.problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('')}</ul>` : '';
  const svg = timelineSvg(system, `${i}-`, { add: (key, detail) => void (details[key] = detail) });
  return (
    `<section class="system ${system.level}" id="sys-${i}" data-system="${escapeHtml(system.systemId)}">` +
    `<h2>${escapeHtml(system.systemId)}</h2><p class="rpo${system.rpo.stale ? ' stale' : ''}">${escapeHtml(rpText)}</p>` +
    `<p class="meta">${escapeHtml(counts)}</p>${problems}${svg}<div class="detail" hidden></div></section>`
  );
}

/** Pure: the whole report as one self-contained HTML page (no network: a CSP forbids every fetch). */
export function renderReport(page: ReportPage): string {
  const details: Record<string, Detail> = {};
  const now = Date.parse(page.generatedAt);
  const sections = page.systems.map((system, i) => systemSection(system, i, details)).join('');
  const skipped = page.skipped?.length ? `<p class="problems">not read (names snaplog would not use): ${escapeHtml(page.skipped.join(', '))}</p>` : '';
  const csp = `default-src 'none'; script-src ${hashOf(SCRIPT)}; style-src ${hashOf(STYLE)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = page.fleet ? 'snaplog: restore windows of the fleet' : `snaplog: restore windows of ${page.systems[0]?.systemId ?? 'no system'}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">generated ${escapeHtml(utcInWords(page.generatedAt))} · last ${page.days} day${page.days === 1 ? '' : 's'} · archive ${escapeHtml(page.archive)} · times in UTC</p>`,
    page.fleet ? fleetTable(page.systems, now) : '',
    skipped,
    LEGEND,
    sections,
    `<script type="application/json" id="details">${jsonForScript(details)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
