// Benchmark 2: binlog parser scan rate against a plain read of the same files, both from the page cache.
//
//   baseline  read every file in 1 MiB chunks (createReadStream, highWaterMark 1 MiB — the same I/O path
//             as the scanner) and do nothing with the bytes
//   measured  scanBinlogFile(path, { keepTransactions: true }) — decode + CRC32 of every event + the
//             transaction index; also the ship observer's mode (keepTransactions: false) as a detail
//
// Both shapes of the shared binlogs (bench/support/generate-binlogs.mjs), each on its own: rows-shaped
// (big row events) and small-event OLTP (a few hundred bytes per transaction, per-event costs dominate).
// Rounds alternate the order (read, scan, scan, read, …); each figure is the median over rounds.
// Goals: see SHAPES. Env: SNAPLOG_BENCH_GIB (size of the shared binlogs), SNAPLOG_BENCH_SCAN_ROUNDS (5).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ensureBinlogs } from './support/generate-binlogs.mjs';
import { envNumber, figure, gibps, importDist, log, mbps, median, MiB, now, round, runBench } from './support/common.mjs';

const NAME = 'scan';

async function plainRead(files) {
  let bytes = 0;
  const started = now();
  for (const file of files) {
    for await (const chunk of createReadStream(file.path, { highWaterMark: MiB })) bytes += chunk.length;
  }
  return { bytes, ms: now() - started };
}

/** The cheapest possible read: one reused 1 MiB buffer, no stream machinery. A detail, not the baseline. */
async function rawRead(files) {
  const buffer = Buffer.allocUnsafe(MiB);
  let bytes = 0;
  const started = now();
  for (const file of files) {
    const handle = await open(file.path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, MiB, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return { bytes, ms: now() - started };
}

async function scan(files, scanBinlogFile, keepTransactions) {
  let bytes = 0;
  let events = 0;
  let transactions = 0;
  let problems = 0;
  const started = now();
  for (const file of files) {
    const result = await scanBinlogFile(file.path, { keepTransactions });
    bytes += result.size;
    events += result.eventCount;
    transactions += result.transactionCount;
    problems += result.problems.length;
  }
  return { bytes, ms: now() - started, events, transactions, problems };
}

// Goals per shape: bulk row events ≥ 1 GiB/s (the original scan goal); small-event OLTP ≥ 0.5 GiB/s (issue #17:
// per-event costs dominate there, and no allocation per event in the hot loop is the point).
const SHAPES = [
  { shape: 'rows', label: 'rows-shaped (bulk row events)', goal: 1 },
  { shape: 'oltp', label: 'small-event OLTP', goal: 0.5 },
];

/** Alternating rounds over one set of files; medians in ms per kind. */
async function measure(shape, files, totalBytes, rounds, scanBinlogFile) {
  await plainRead(files); // warm: every measurement below reads from the page cache
  const samples = { read: [], raw: [], scan: [], observer: [] };
  let lastScan;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['read', 'scan', 'raw', 'observer'] : ['scan', 'read', 'observer', 'raw'];
    for (const kind of order) {
      let result;
      if (kind === 'read') result = await plainRead(files);
      else if (kind === 'raw') result = await rawRead(files);
      else if (kind === 'scan') result = lastScan = await scan(files, scanBinlogFile, true);
      else result = await scan(files, scanBinlogFile, false);
      if (result.bytes !== totalBytes) throw new Error(`${shape} ${kind} saw ${result.bytes} bytes, expected ${totalBytes}`);
      samples[kind].push(result.ms);
      log(
        NAME,
        `${shape} round ${r + 1}/${rounds} ${kind.padEnd(8)} ${round(gibps(result.bytes, result.ms), 2)} GiB/s (${round(mbps(result.bytes, result.ms), 0)} MB/s)`,
      );
    }
  }
  if (lastScan.problems > 0) throw new Error(`the scanner reported ${lastScan.problems} problems in the ${shape} binlogs`);
  const rate = (kind) => gibps(totalBytes, median(samples[kind]));
  return {
    readGiBs: rate('read'),
    rawReadGiBs: rate('raw'),
    scanGiBs: rate('scan'),
    observerGiBs: rate('observer'),
    events: lastScan.events,
    transactions: lastScan.transactions,
    msPerRound: Object.fromEntries(Object.entries(samples).map(([kind, values]) => [kind, values.map((ms) => round(ms, 1))])),
  };
}

await runBench(NAME, async () => {
  const rounds = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_SCAN_ROUNDS', 5)));
  const { scanBinlogFile } = await importDist('engines/mysql/binlog/index.js');
  const binlogs = await ensureBinlogs();
  const figures = [];
  const byShape = {};
  for (const { shape, label, goal } of SHAPES) {
    const files = binlogs.files.filter((file) => file.shape === shape);
    const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
    log(NAME, `${shape}: ${files.length} binlogs, ${round(totalBytes / MiB, 1)} MiB`);
    const m = await measure(shape, files, totalBytes, rounds, scanBinlogFile);
    const bytesPerEvent = round(totalBytes / m.events, 0);
    figures.push(
      figure({
        name: `scan rate, ${label} (keepTransactions)`,
        value: m.scanGiBs,
        unit: 'GiB/s',
        baseline: m.readGiBs,
        ratio: m.scanGiBs / m.readGiBs,
        goal: `≥ ${goal} GiB/s`,
        pass: m.scanGiBs >= goal,
        note: `baseline: 1 MiB-chunk read from page cache; ${round(totalBytes / MiB, 0)} MiB, ${m.events} events (${bytesPerEvent} B/event), ${m.transactions} transactions`,
      }),
      figure({
        name: `scan rate, ${label} (ship observer mode)`,
        value: m.observerGiBs,
        unit: 'GiB/s',
        baseline: m.readGiBs,
        ratio: m.observerGiBs / m.readGiBs,
        goal: `≥ ${goal} GiB/s`,
        pass: m.observerGiBs >= goal,
      }),
    );
    byShape[shape] = {
      bytes: totalBytes,
      files: files.length,
      bytesPerEvent,
      ...Object.fromEntries(Object.entries(m).map(([key, value]) => [key, typeof value === 'number' ? round(value) : value])),
    };
  }
  return {
    figures,
    goalGiBs: Object.fromEntries(SHAPES.map(({ shape, goal }) => [shape, goal])),
    pass: figures.every((f) => f.pass !== false),
    details: { rounds, shapes: byShape, binlogsReused: binlogs.reused },
  };
});
