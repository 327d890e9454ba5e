// Benchmark 2: binlog parser scan rate against a plain read of the same files, both from the page cache.
//
//   baseline  read every file in 1 MiB chunks (createReadStream, highWaterMark 1 MiB — the same I/O path
//             as the scanner) and do nothing with the bytes
//   measured  scanBinlogFile(path, { keepTransactions: true }) — decode + CRC32 of every event + the
//             transaction index; also the ship observer's mode (keepTransactions: false) as a detail
//
// Rounds alternate the order (read, scan, scan, read, …); each figure is the median over rounds.
// Goal: scan ≥ 1 GiB/s. Env: SNAPLOG_BENCH_GIB (size of the shared binlogs), SNAPLOG_BENCH_SCAN_ROUNDS (5).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ensureBinlogs } from './support/generate-binlogs.mjs';
import { envNumber, figure, gibps, GiB, importDist, log, mbps, median, MiB, now, round, runBench } from './support/common.mjs';

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

await runBench(NAME, async () => {
  const rounds = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_SCAN_ROUNDS', 5)));
  const { scanBinlogFile } = await importDist('engines/mysql/binlog/index.js');
  const binlogs = await ensureBinlogs();
  const files = binlogs.files;
  const totalBytes = binlogs.totalBytes;
  log(NAME, `${files.length} binlogs, ${round(totalBytes / MiB, 1)} MiB; warming the page cache`);
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
      if (result.bytes !== totalBytes) throw new Error(`${kind} saw ${result.bytes} bytes, expected ${totalBytes}`);
      samples[kind].push(result.ms);
      log(NAME, `round ${r + 1}/${rounds} ${kind.padEnd(8)} ${round(gibps(result.bytes, result.ms), 2)} GiB/s (${round(mbps(result.bytes, result.ms), 0)} MB/s)`);
    }
  }
  if (lastScan.problems > 0) throw new Error(`the scanner reported ${lastScan.problems} problems in the benchmark binlogs`);

  const rate = (kind) => gibps(totalBytes, median(samples[kind]));
  const readGiBs = rate('read');
  const scanGiBs = rate('scan');
  const observerGiBs = rate('observer');
  const rawGiBs = rate('raw');
  const goal = 1;
  return {
    figures: [
      figure({ name: 'scan rate (keepTransactions)', value: scanGiBs, unit: 'GiB/s', baseline: readGiBs, ratio: scanGiBs / readGiBs, goal: '≥ 1 GiB/s', pass: scanGiBs >= goal, note: 'baseline: 1 MiB-chunk read from page cache' }),
      figure({ name: 'scan rate (ship observer mode)', value: observerGiBs, unit: 'GiB/s', baseline: readGiBs, ratio: observerGiBs / readGiBs, goal: '≥ 1 GiB/s', pass: observerGiBs >= goal }),
    ],
    scanGiBs: round(scanGiBs),
    scanMBs: round(mbps(totalBytes, median(samples.scan)), 1),
    readGiBs: round(readGiBs),
    readMBs: round(mbps(totalBytes, median(samples.read)), 1),
    ratioScanToRead: round(scanGiBs / readGiBs),
    observerGiBs: round(observerGiBs),
    rawReadGiBs: round(rawGiBs),
    goalGiBs: goal,
    pass: scanGiBs >= goal,
    details: {
      bytes: totalBytes,
      GiB: round(totalBytes / GiB, 3),
      files: files.length,
      rounds,
      events: lastScan.events,
      transactions: lastScan.transactions,
      msPerRound: Object.fromEntries(Object.entries(samples).map(([kind, values]) => [kind, values.map((ms) => round(ms, 1))])),
      binlogsReused: binlogs.reused,
    },
  };
});
