import { describe, expect, it } from 'vitest';
import type { ArchivedLog } from '../../src/archive/archive.js';
import { planChain, restorableWindow } from '../../src/engines/mysql/restore/plan.js';
import { restoreCommands, TIME_PLACEHOLDER } from '../../src/report/commands.js';
import { systemEngine } from '../../src/report/load.js';
import { renderReport } from '../../src/report/html.js';
import { buildSystemTimeline, missingLogNames, snapshotKind, sortWorstFirst } from '../../src/report/model.js';
import type { SystemArchive, SystemTimeline } from '../../src/report/model.js';
import { GLYPHS, terminalTimeline } from '../../src/report/terminal.js';
import { durationInWords, freezeInWords } from '../../src/report/words.js';
import { sampleFleet } from './fleet-archive.js';
import type { FleetSystem } from './fleet-archive.js';

const NOW = Date.UTC(2026, 10, 30, 1, 0, 0);
const fleet = sampleFleet(NOW);
const byId = (id: string): FleetSystem => fleet.find((system) => system.systemId === id)!;
// The sample fleet is MySQL's, described the way report/load.ts asks the registry.
const mysqlEngine = (await systemEngine('mysql'))!;
const asArchive = (system: FleetSystem): SystemArchive => ({
  systemId: system.systemId,
  logs: system.logs.map((metadata): ArchivedLog => ({ name: metadata.name, dataEntry: metadata.storedName, metadata })),
  snapshots: system.snapshots,
  engine: mysqlEngine,
});
const timelineOf = (id: string, days = 7): SystemTimeline => buildSystemTimeline(asArchive(byId(id)), { now: NOW, days });

describe('report words', () => {
  it('durations read like a person says them', () => {
    expect(durationInWords(3)).toBe('3 s');
    expect(durationInWords(260)).toBe('4 min 20 s');
    expect(durationInWords(25 * 60)).toBe('25 min');
    expect(durationInWords(2 * 3600 + 10 * 60)).toBe('2 h 10 min');
    expect(durationInWords(3 * 86_400 + 4 * 3600 + 59)).toBe('3 d 4 h');
    expect(freezeInWords(850)).toBe('850 ms');
    expect(freezeInWords(3900)).toBe('3.9 s');
    expect(freezeInWords(90_000)).toBe('1 min 30 s');
  });
});

describe('report model (pure: archive metadata → timeline)', () => {
  it('a system with gaps, a failed and a timed-out snapshot: kinds, gaps with missing names, windows as plan computes them', () => {
    const system = byId('db-gapped');
    const timeline = timelineOf('db-gapped');
    expect(timeline.snapshots.map((snapshot) => snapshot.kind)).toEqual(['consistent', 'failed', 'consistent', 'timed-out', 'consistent']);
    expect(timeline.snapshots[1]!.error).toBe('the freeze holder died');
    expect(timeline.snapshots[3]!.frozenMs).toBe(90_000);
    expect(timeline.gaps.map((gap) => gap.missingNames)).toEqual([['mysql-bin.000040', 'mysql-bin.000041', 'mysql-bin.000042'], ['mysql-bin.000120']]);
    expect(timeline.gaps[0]).toMatchObject({ after: 'mysql-bin.000039', before: 'mysql-bin.000043', missingCount: 3 });
    expect(timeline.totals).toMatchObject({ logs: system.logs.length, snapshots: 5, gaps: 2 });

    // Every usable snapshot's window is exactly the one the restore planner computes; the others have none.
    for (const snapshot of timeline.snapshots) {
      if (snapshot.kind !== 'consistent') {
        expect(snapshot.window).toBeUndefined();
        expect(snapshot.commands).toBeUndefined();
        continue;
      }
      expect(snapshot.window).toEqual(restorableWindow(system.snapshots.find((record) => record.id === snapshot.id)!, system.logs));
    }
    const logTime = (name: string): string => system.logs.find((log) => log.name === name)!.lastCommitTime!;
    expect(timeline.snapshots[0]!.window!.to).toBe(logTime('mysql-bin.000039'));
    expect(timeline.snapshots[0]!.windowLogs).toMatchObject({ last: 'mysql-bin.000039' });
    expect(timeline.snapshots[2]!.window!.to).toBe(logTime('mysql-bin.000119'));
    expect(timeline.snapshots[4]!.window!.to).toBe(system.recoveryPoint);

    // The restorable stretches never overlap and each starts at its snapshot.
    expect(timeline.windows.map((window) => window.snapshotId)).toEqual(['snap-01', 'snap-03', 'snap-05']);
    for (let i = 1; i < timeline.windows.length; i++) expect(timeline.windows[i]!.from >= timeline.windows[i - 1]!.to).toBe(true);
    expect(timeline.level).toBe('warning');
    expect(timeline.rpo).toMatchObject({ stale: false, recoveryPoint: { time: system.recoveryPoint, log: 'mysql-bin.000168' }, words: '21 s behind' });
  });

  it('the command of a click inside a window is one the planner accepts; a moment in the gap after it is not', () => {
    const system = byId('db-gapped');
    const timeline = timelineOf('db-gapped');
    for (const window of timeline.windows) {
      const from = Math.ceil(Date.parse(window.whole.from) / 1000);
      const to = Math.floor(Date.parse(window.whole.to) / 1000);
      for (const time of [from, Math.floor((from + to) / 2), to - 1]) {
        const chain = planChain({
          snapshots: system.snapshots,
          logs: system.logs,
          target: { kind: 'time', time, text: String(time) },
          snapshotId: window.snapshotId,
        });
        expect(chain.snapshot.id).toBe(window.snapshotId);
        expect(chain.boundaryLog).toBeDefined();
      }
      expect(window.commandsAt.plan).toBe(`snaplog plan --system db-gapped --snapshot ${window.snapshotId} --to ${TIME_PLACEHOLDER}`);
      // A window that ends at a gap cannot be reached with --latest (refused): its command names the exact end, and plan takes it.
      const endsAtGap = window.logs?.last !== system.logs[system.logs.length - 1]!.name;
      const end = window.commands.restore.match(/--to-position (\S+)/)?.[1];
      const target = endsAtGap ? `--to-position ${end}` : '--latest';
      expect(window.commands.restore).toBe(
        `snaplog restore --system db-gapped --snapshot ${window.snapshotId} ${target} --datadir /mnt/restored/var/lib/mysql`,
      );
      if (endsAtGap) {
        const [file, position] = end!.split(':');
        const chain = planChain({
          snapshots: system.snapshots,
          logs: system.logs,
          target: { kind: 'position', file: file!, position: Number(position) },
          snapshotId: window.snapshotId,
        });
        expect(chain.logs[chain.logs.length - 1]!.name).toBe(window.logs?.last);
      }
    }
    const afterFirst = Math.floor(Date.parse(timeline.windows[0]!.whole.to) / 1000) + 600;
    expect(() =>
      planChain({ snapshots: system.snapshots, logs: system.logs, target: { kind: 'time', time: afterFirst, text: '' }, snapshotId: 'snap-01' }),
    ).toThrow(/gap/);
  });

  it('shipping stopped 2 h 10 min ago: critical, the RPO in words says since when', () => {
    const timeline = timelineOf('db-stale');
    const lastShipped = byId('db-stale').logs.at(-1)!.shippedAt;
    expect(timeline.level).toBe('critical');
    expect(timeline.rpo.stale).toBe(true);
    expect(timeline.rpo.words).toBe(
      `2 h 10 min behind — no log shipped since ${lastShipped.slice(0, 19).replace('T', ' ')} UTC: shipping is failing, or the database is idle`,
    );
    expect(timeline.problems[0]).toMatch(/^recovery point 2 h 10 min behind/);
  });

  it('a healthy system has no problem; the fleet sorts worst first', () => {
    const healthy = timelineOf('db-healthy');
    expect(healthy.level).toBe('ok');
    expect(healthy.problems).toEqual([]);
    expect(healthy.rpo.words).toBe('4 s behind');
    expect(sortWorstFirst(fleet.map((system) => timelineOf(system.systemId))).map((system) => system.systemId)).toEqual([
      'db-stale',
      'db-gapped',
      'db-healthy',
    ]);
  });

  it('the view keeps only what falls into the last N days; totals still count the whole archive', () => {
    const timeline = timelineOf('db-gapped', 1);
    expect(timeline.snapshots.map((snapshot) => snapshot.id)).toEqual([]);
    expect(timeline.gaps).toEqual([]);
    expect(timeline.windows.map((window) => window.snapshotId)).toEqual(['snap-05']);
    expect(timeline.windows[0]!.from).toBe(timeline.view.from);
    expect(timeline.totals.snapshots).toBe(5);
    expect(timeline.lastSnapshot?.id).toBe('snap-05');
  });

  it('no usable snapshot, no log: critical with the reason; statuses map to the four kinds', () => {
    const empty = buildSystemTimeline({ systemId: 'new', logs: [], snapshots: [] }, { now: NOW, days: 7 });
    expect(empty.level).toBe('critical');
    expect(empty.rpo.words).toBe('no log archived yet');
    expect(empty.problems.join('\n')).toMatch(/nothing is restorable/);
    expect(['thawed', 'frozen', 'freezing', 'failed', 'timed-out'].map((status) => snapshotKind(status as never))).toEqual([
      'consistent',
      'crash-consistent',
      'crash-consistent',
      'failed',
      'timed-out',
    ]);
    const system = byId('db-healthy');
    const withoutRpLog = buildSystemTimeline(
      { ...asArchive(system), logs: asArchive(system).logs.slice(0, -3).concat(asArchive(system).logs.slice(-1)) },
      { now: NOW, days: 7 },
    );
    expect(withoutRpLog.level).toBe('critical');
    expect(withoutRpLog.problems[0]).toMatch(/^the recovery point cannot be reached: replay from the newest usable snapshot snap-06 stops at/);
  });

  it('the recovery point is the last archived commit; on a tie of whole seconds, the later log holds it', () => {
    const logs = asArchive(byId('db-healthy')).logs.slice(0, 3);
    const tied = logs.map((log) => ({ ...log, metadata: { ...log.metadata!, lastCommitTime: logs[0]!.metadata!.lastCommitTime } }));
    const timeline = buildSystemTimeline({ systemId: 'tie', logs: tied, snapshots: [] }, { now: NOW, days: 7 });
    expect(timeline.rpo.recoveryPoint).toEqual({ time: logs[0]!.metadata!.lastCommitTime, log: logs[2]!.name });
  });

  it('missing names only when the log names carry their sequence', () => {
    const log = byId('db-gapped').logs[0]!;
    expect(missingLogNames({ ...log, name: 'mysql-bin.000009', sequence: 9 }, 2)).toEqual(['mysql-bin.000010', 'mysql-bin.000011']);
    expect(missingLogNames({ ...log, name: 'thread1_seq9.arc', sequence: 9 }, 2)).toEqual([]);
    expect(missingLogNames({ ...log, name: 'mysql-bin.000009', sequence: 9 }, 500)).toHaveLength(20);
  });
});

describe('report rendering of hostile archive content', () => {
  it('names and errors from the archive are inert: escaped in HTML, quoted in commands, no </script> in the data', async () => {
    const system = byId('db-gapped');
    const hostileId = "db'1<x>";
    const evil = '</script><script>alert(1)</script><img src=http://evil.example/x>';
    const archive = asArchive({ ...system, systemId: hostileId });
    archive.snapshots = system.snapshots.map((snapshot, i) => (i === 1 ? { ...snapshot, error: evil } : snapshot));
    const timeline = buildSystemTimeline(archive, { now: NOW, days: 7 });
    expect(timeline.windows[0]!.commands.plan).toBe(`snaplog plan --system 'db'\\''1<x>' --snapshot snap-01 --to-position mysql-bin.000039:99956`);
    const html = renderReport({ archive: '/a', generatedAt: new Date(NOW).toISOString(), days: 7, systems: [timeline], fleet: true });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('&lt;x&gt;');
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
    const oracle = (await systemEngine('oracle'))!;
    expect(oracle.positionLabel).toBe('SCN');
    expect(restoreCommands({ systemId: 'orcl', snapshotId: 's1', restoreInto: oracle.restoreInto }).restore).toBe(
      'snaplog restore --system orcl --snapshot s1 --latest',
    );
    expect(restoreCommands({ systemId: 'db1', snapshotId: 's1', restoreInto: mysqlEngine.restoreInto }).restore).toBe(
      'snaplog restore --system db1 --snapshot s1 --latest --datadir /mnt/restored/var/lib/mysql',
    );
  });
});

describe('list --timeline (pure: the terminal picture)', () => {
  it('one line per day with the snapshots, gaps and the recovery point where they happened', () => {
    const timeline = timelineOf('db-gapped');
    const lines = terminalTimeline(timeline);
    const dayLines = lines.filter((line) => /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d \w{3} {2}/.test(line));
    expect(dayLines).toHaveLength(8);
    const bars = dayLines.map((line) => line.slice(12, 12 + 48));
    const count = (glyph: string): number => bars.join('').split(glyph).length - 1;
    expect(count(GLYPHS.snapshot.consistent)).toBe(3);
    expect(count(GLYPHS.snapshot.failed)).toBe(1);
    expect(count(GLYPHS.snapshot['timed-out'])).toBe(1);
    expect(count(GLYPHS.recoveryPoint)).toBe(1);
    expect(bars.at(-1)).toContain(GLYPHS.recoveryPoint);
    expect(count(GLYPHS.gap)).toBeGreaterThanOrEqual(2);
    // After the failed snapshot, logs are archived but nothing is restorable until the next good snapshot.
    expect(bars.join('')).toContain(`${GLYPHS.snapshot.failed}${GLYPHS.archived}`);
    expect(lines).toContain('recovery point 2026-11-30 00:59:39 UTC (mysql-bin.000168): 21 s behind');
    expect(lines.filter((line) => line.startsWith('GAP '))).toEqual([
      expect.stringContaining('3 log(s) missing (mysql-bin.000040, mysql-bin.000041, mysql-bin.000042) between mysql-bin.000039 and mysql-bin.000043'),
      expect.stringContaining('1 log(s) missing (mysql-bin.000120) between mysql-bin.000119 and mysql-bin.000121'),
    ]);
    const snapshotNotes = dayLines.filter((line) => line.includes('consistent 3.9 s'));
    expect(snapshotNotes).toHaveLength(1);
  });

  it('control characters in archive names never reach the terminal', () => {
    const system = byId('db-gapped');
    const archive = asArchive({ ...system, systemId: 'db\u001b[2J' });
    const lines = terminalTimeline(buildSystemTimeline(archive, { now: NOW, days: 7 }));
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines[0]).toMatch(/^system db\?\[2J: last 7 day/);
  });
});
