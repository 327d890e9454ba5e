// Benchmark: how long `snaplog report` takes against reading the archive's metadata alone.
//
// A synthetic archive of SNAPLOG_BENCH_REPORT_LOGS logs (default 10 000, one every 5 min: ~35 days) in
// SNAPLOG_BENCH_REPORT_SYSTEMS systems (default 1; the logs are split between them), a snapshot record a day
// at 02:00 and two gaps per system; metadata in snaplog's format + empty placeholder data files
// (bench/support/synthetic-archive.mjs). The report reads metadata only, never a log's data.
//   baseline  readdir + fs.readFile of every metadata file and snapshot record (no parsing): the floor
//   measured  the report end to end as `snaplog report --all` runs it (fresh Archive, readFleet,
//             buildSystemTimeline for the last 7 days, sortWorstFirst, renderReport, writeReportFile), and
//             its parts: reading (listLogs + listSnapshots), the model, the HTML
// Goal: 10 000 logs well under a second (< 1000 ms end to end). Page cache warm (files just written).
// Rounds: SNAPLOG_BENCH_REPORT_ROUNDS (5), alternating the order of baseline and measured runs.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpoint, envNumber, envScaled, importDist, log, machine, makeRunDir, median, now, prng, round, runBench, figure } from './support/common.mjs';
import { snapshotRecord, syntheticLogMetadata, writeLogs, writeSnapshots } from './support/synthetic-archive.mjs';

const NAME = 'report';
const DAY = 86_400;

async function readAllMetadata(dirs) {
  let bytes = 0;
  let files = 0;
  await Promise.all(
    dirs.map(async (dir) => {
      const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
      const contents = await Promise.all(names.map((name) => readFile(join(dir, name))));
      for (const content of contents) bytes += content.length;
      files += names.length;
    }),
  );
  return { bytes, files };
}

await runBench(
  NAME,
  async () => {
    const logCount = Math.max(20, Math.round(envScaled('SNAPLOG_BENCH_REPORT_LOGS', 10_000)));
    const systemCount = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_REPORT_SYSTEMS', 1)));
    const rounds = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_REPORT_ROUNDS', 5)));
    const perDay = 288;
    const slot = DAY / perDay;
    const base = makeRunDir(NAME);
    const { Archive } = await importDist('archive/archive.js');
    const { readFleet } = await importDist('report/load.js');
    const { buildSystemTimeline, sortWorstFirst } = await importDist('report/model.js');
    const { renderReport } = await importDist('report/html.js');
    const { writeReportFile } = await importDist('report/write.js');

    const archivePath = join(base, 'archive');
    await Archive.init(archivePath);
    const nowS = Math.floor(Date.now() / 1000);
    const perSystem = Math.ceil(logCount / systemCount);
    const random = prng(11);
    const dirs = [];
    const systemIds = [];
    const setupStarted = now();
    for (let s = 0; s < systemCount; s++) {
      const systemId = `db-${String(s + 1).padStart(3, '0')}`;
      systemIds.push(systemId);
      const start = nowS - 30 - perSystem * slot;
      const metadata = [];
      let gtid = 1;
      for (let i = 0; i < perSystem; i++) {
        const transactions = 200 + Math.floor(random() * 200);
        metadata.push(
          syntheticLogMetadata({
            sequence: i + 1,
            size: transactions * 900,
            from: Math.floor(start + i * slot) + 1,
            to: Math.floor(start + (i + 1) * slot) - 1,
            firstSeq: gtid,
            transactions,
          }),
        );
        gtid += transactions;
      }
      // Two gaps: a third and two thirds of the way.
      const kept = metadata.filter((_, i) => i !== Math.floor(perSystem / 3) && i !== Math.floor((2 * perSystem) / 3));
      const snapshots = [];
      for (let day = 0; ; day++) {
        const time = Math.floor(start / DAY) * DAY + day * DAY + 7200;
        if (time < start) continue;
        const index = Math.floor((time - start) / slot);
        if (index >= perSystem) break;
        const meta = metadata[index];
        snapshots.push(
          snapshotRecord({
            id: `snap-${String(day).padStart(4, '0')}`,
            systemId,
            time,
            file: meta.name,
            position: 256 + 900,
            gtid: `0-1-${Number(meta.firstTransaction.split('-')[2]) + 1}`,
          }),
        );
      }
      dirs.push(await writeLogs(archivePath, systemId, kept));
      dirs.push(await writeSnapshots(archivePath, systemId, snapshots));
    }
    log(NAME, `${logCount} logs in ${systemCount} system(s) written in ${round((now() - setupStarted) / 1000, 2)} s`);

    const out = join(base, 'report.html');
    const report = async () => {
      const started = now();
      const archive = await Archive.open(archivePath);
      const systems = await readFleet(archive, systemIds);
      const read = now();
      const reportNow = Date.now();
      const timelines = sortWorstFirst(systems.map((system) => buildSystemTimeline(system, { now: reportNow, days: 7 })));
      const modelled = now();
      const html = renderReport({ archive: archive.location, generatedAt: new Date(reportNow).toISOString(), days: 7, systems: timelines, fleet: true });
      const rendered = now();
      await writeReportFile(out, html);
      const done = now();
      return {
        total: done - started,
        read: read - started,
        model: modelled - read,
        render: rendered - modelled,
        write: done - rendered,
        bytes: html.length,
        timelines,
      };
    };
    const samples = { baseline: [], total: [], read: [], model: [], render: [] };
    let info;
    let last;
    for (let r = 0; r < rounds + 1; r++) {
      checkpoint();
      const order = r % 2 === 0 ? ['baseline', 'report'] : ['report', 'baseline'];
      for (const kind of order) {
        if (kind === 'baseline') {
          const started = now();
          info = await readAllMetadata(dirs);
          if (r > 0) samples.baseline.push(now() - started);
        } else {
          last = await report();
          if (r > 0) for (const part of ['total', 'read', 'model', 'render']) samples[part].push(last[part]);
        }
      }
    }
    const gaps = last.timelines.reduce((sum, timeline) => sum + timeline.totals.gaps, 0);
    if (gaps !== 2 * systemCount) throw new Error(`the report found ${gaps} gaps, the archive has ${2 * systemCount}`);
    const m = Object.fromEntries(Object.entries(samples).map(([part, values]) => [part, median(values)]));
    log(
      NAME,
      `read all metadata ${round(m.baseline, 1)} ms (${info.files} files); report ${round(m.total, 1)} ms = read ${round(m.read, 1)} + model ${round(m.model, 1)} + html ${round(m.render, 1)} (+ write)`,
    );
    const goalMs = 1000;
    return {
      figures: [
        figure({
          name: `snaplog report, ${logCount} logs (${systemCount} system${systemCount === 1 ? '' : 's'}), end to end`,
          value: round(m.total, 1),
          unit: 'ms',
          baseline: round(m.baseline, 1),
          baselineUnit: 'ms (readFile of every metadata file, no parsing)',
          ratio: round(m.total / m.baseline, 2),
          goal: '< 1000 ms',
          pass: m.total < goalMs,
          note: `read ${round(m.read, 1)} ms, model ${round(m.model, 1)} ms, HTML ${round(m.render, 1)} ms (${round(last.bytes / 1024, 0)} KiB)`,
        }),
      ],
      pass: m.total < goalMs,
      goal: '10 000 logs < 1 s',
      medianMs: Object.fromEntries(Object.entries(m).map(([part, ms]) => [part, round(ms, 2)])),
      htmlKiB: round(last.bytes / 1024, 1),
      files: info.files,
      rounds,
      note: 'page cache warm (files just written); an NFS archive adds its read time to both the report and the baseline',
      machine: machine(),
    };
  },
  { limitSeconds: envNumber('SNAPLOG_BENCH_LIMIT_S', 240) },
);
