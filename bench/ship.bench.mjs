// Benchmark 1: shipping ~SNAPLOG_BENCH_GIB GiB of real binlogs into an archive folder.
//
//   baseline  `cp` of every binlog into a folder, then `sync -f` of that folder's file system
//   measured  snaplog's pushLog of every binlog, in order, compression none, with the binlog observer:
//             one read → sha256 + binlog parse + write → fsync → link → fsync(dir) → metadata file
//
// The page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every run, so both read the
// binlogs from disk; if that is not allowed, the binlogs are read once before every run instead (warm),
// for both. Rounds alternate the order (cp, ship | ship, cp | …). Goal: ship / cp ≥ 0.9.
// Extras (same run, same cache mode, one run each): pushLog with concurrency 2 (the ship service's
// default), with the sha256 on the calling thread instead of the hashing thread (inline), and compression
// gzip / zstd; and the CPU ceilings of one pass over page-cached binlogs
// (read only, sha256, observer, both) to show where ship's time goes.
//
// With SNAPLOG_BENCH_SHIP_EARLIER set to another build's dist/ folder (e.g. of the commit before a change),
// that build's pushLog runs too, one run after the rounds, as an extra figure against the same cp+sync.
//
// Env: SNAPLOG_BENCH_GIB (1), SNAPLOG_BENCH_SHIP_ROUNDS (3), SNAPLOG_BENCH_SHIP_EXTRAS
// ("concurrency2,inline,gzip,zstd"; empty for none), SNAPLOG_BENCH_SHIP_EARLIER, SNAPLOG_BENCH_SHIP_CACHE (cold | warm),
// SNAPLOG_BENCH_SHIP_DEST (folder under which the copies go, e.g. an NFS mount; default the temp folder).
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { ensureBinlogs } from './support/generate-binlogs.mjs';
import {
  dropCaches,
  envList,
  envNumber,
  execFileAsync,
  figure,
  forgetTempDir,
  GiB,
  importDist,
  log,
  mbps,
  MiB,
  now,
  registerTempDir,
  round,
  runBench,
  syncAll,
  TEMP_PREFIX,
} from './support/common.mjs';

const NAME = 'ship';
const SYSTEM_ID = 'bench-system';

async function readAll(files) {
  for (const file of files) for await (const chunk of createReadStream(file.path, { highWaterMark: MiB })) void chunk;
}

async function sha256Of(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk);
  return hash.digest('hex');
}

await runBench(NAME, async () => {
  const rounds = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_SHIP_ROUNDS', 3)));
  const extras = envList('SNAPLOG_BENCH_SHIP_EXTRAS', ['concurrency2', 'inline', 'gzip', 'zstd']);
  const wantCold = (process.env.SNAPLOG_BENCH_SHIP_CACHE ?? 'cold') !== 'warm';
  const { Archive } = await importDist('archive/archive.js');
  const { pushLog } = await importDist('archive/push.js');
  const { binlogObserver } = await importDist('engines/mysql/log-facts.js');

  const binlogs = await ensureBinlogs();
  const files = binlogs.files;
  const totalBytes = binlogs.totalBytes;
  const destRoot = process.env.SNAPLOG_BENCH_SHIP_DEST || os.tmpdir();
  const work = mkdtempSync(join(destRoot, `${TEMP_PREFIX}ship-`));
  registerTempDir(work);

  const cacheMode = wantCold && (await dropCaches()) ? 'cold' : 'warm';
  if (wantCold && cacheMode === 'warm') log(NAME, 'cannot drop the page cache (not root?): every run reads the binlogs from a warm cache instead');
  log(NAME, `${files.length} binlogs, ${round(totalBytes / MiB, 1)} MiB; copies under ${work}; ${rounds} rounds, ${cacheMode} cache`);

  /** Before every timed run: nothing dirty, then the same cache state for everybody. */
  const prepare = async () => {
    await syncAll();
    if (cacheMode === 'cold') {
      if (!(await dropCaches())) throw new Error('dropping the page cache stopped working mid-run');
    } else {
      await readAll(files);
    }
  };
  let runCount = 0;
  const freshDir = (label) => {
    const dir = join(work, `${label}-${++runCount}`);
    return dir;
  };
  const clear = (dir) => rmSync(dir, { recursive: true, force: true });

  const runCp = async () => {
    const dest = freshDir('cp');
    mkdirSync(dest);
    await prepare();
    const started = now();
    await execFileAsync('cp', ['--', ...files.map((file) => file.path), dest]);
    await execFileAsync('sync', ['-f', dest]);
    const ms = now() - started;
    const copied = readdirSync(dest).length;
    clear(dest);
    if (copied !== files.length) throw new Error(`cp copied ${copied} files, expected ${files.length}`);
    return { ms };
  };

  const runShip = async ({ compression = 'none', concurrency = 1, hashing = 'auto', push = pushLog, ArchiveOf = Archive } = {}) => {
    const dest = freshDir(`archive-${compression}-c${concurrency}`);
    const { archive } = await ArchiveOf.init(dest);
    await prepare();
    const results = [];
    const started = now();
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const file = files[next++];
        const observer = binlogObserver();
        const request = { systemId: SYSTEM_ID, engine: 'mysql', name: file.name, sequence: file.sequence, sourcePath: file.path, compression, observer };
        const result = await push(archive, request, { hashing });
        results.push({ file, result });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const ms = now() - started;
    let storedBytes = 0;
    for (const { file, result } of results) {
      if (result.outcome !== 'shipped') throw new Error(`${file.name}: outcome ${result.outcome}, expected shipped`);
      if (result.metadata.size !== file.size) throw new Error(`${file.name}: archived size ${result.metadata.size}, source ${file.size}`);
      const problems = result.metadata.details?.problems ?? [];
      if (problems.length) throw new Error(`${file.name}: the observer found problems: ${JSON.stringify(problems.slice(0, 3))}`);
      storedBytes += result.metadata.storedSize;
    }
    const metadata = results.map(({ file, result }) => ({ file, metadata: result.metadata }));
    clear(dest);
    return { ms, storedBytes, metadata };
  };

  const samples = { cp: [], ship: [] };
  let firstShip;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['cp', 'ship'] : ['ship', 'cp'];
    for (const kind of order) {
      const result = kind === 'cp' ? await runCp() : await runShip();
      if (kind === 'ship') firstShip ??= result;
      samples[kind].push(result.ms);
      log(NAME, `round ${r + 1}/${rounds} ${kind.padEnd(4)} ${round(result.ms / 1000, 2)} s = ${round(mbps(totalBytes, result.ms), 1)} MB/s`);
    }
  }

  // Correctness of what was timed: the recorded sha256 is the source's, and the parse saw transactions.
  for (const { file, metadata } of firstShip.metadata) {
    if (metadata.sha256 !== (await sha256Of(file.path))) throw new Error(`${file.name}: recorded sha256 differs from the source's`);
  }
  const transactions = firstShip.metadata.reduce((sum, { metadata }) => sum + (metadata.transactionCount ?? 0), 0);
  if (transactions === 0) throw new Error('the observer saw no transactions');

  const sum = (values) => values.reduce((a, b) => a + b, 0);
  // Aggregate rate over all rounds: total bytes / total time of that kind.
  const cpMBs = mbps(totalBytes * samples.cp.length, sum(samples.cp));
  const shipMBs = mbps(totalBytes * samples.ship.length, sum(samples.ship));
  const pairedRatios = samples.ship.map((ms, i) => samples.cp[i] / ms);
  const goal = 0.9;
  const figures = [
    figure({
      name: 'ship (pushLog, none, observer) vs cp+sync',
      value: shipMBs,
      unit: 'MB/s',
      baseline: cpMBs,
      ratio: shipMBs / cpMBs,
      goal: 'ratio ≥ 0.9',
      pass: shipMBs / cpMBs >= goal,
      note: `${cacheMode} cache, ${rounds} alternating rounds, MB = MiB`,
    }),
  ];

  // Where ship's time goes: the single-threaded CPU work of one pass over page-cached binlogs, no writes.
  await readAll(files);
  const cpuPass = async (withHash, withObserver) => {
    const started = now();
    for (const file of files) {
      const hash = withHash ? createHash('sha256') : undefined;
      const observer = withObserver ? binlogObserver() : undefined;
      for await (const chunk of createReadStream(file.path, { highWaterMark: MiB })) {
        hash?.update(chunk);
        observer?.push(chunk);
      }
      hash?.digest();
      observer?.finish();
    }
    return round(mbps(totalBytes, now() - started), 1);
  };
  const cpuCeilingMBs = {
    readOnly: await cpuPass(false, false),
    sha256: await cpuPass(true, false),
    observer: await cpuPass(false, true),
    sha256AndObserver: await cpuPass(true, true),
  };
  log(NAME, `CPU ceilings (warm cache, no writes), MB/s: ${JSON.stringify(cpuCeilingMBs)}`);
  figures[0].note += `; per-round ship/cp ${pairedRatios.map((ratio) => round(ratio, 2)).join(', ')}; one core's ceiling (warm, no writes): sha256 ${cpuCeilingMBs.sha256}, observer ${cpuCeilingMBs.observer}, both ${cpuCeilingMBs.sha256AndObserver} MB/s`;

  const extraResults = {};
  const earlier = process.env.SNAPLOG_BENCH_SHIP_EARLIER;
  if (earlier) {
    // That build's archive code too (its storage driver writes the copy).
    const { pushLog: earlierPush } = await import(join(earlier, 'archive/push.js'));
    const { Archive: EarlierArchive } = await import(join(earlier, 'archive/archive.js'));
    const result = await runShip({ push: earlierPush, ArchiveOf: EarlierArchive });
    const rate = mbps(totalBytes, result.ms);
    extraResults.earlier = { MBs: round(rate, 1), seconds: round(result.ms / 1000, 2), dist: earlier };
    log(NAME, `earlier build   ${round(result.ms / 1000, 2)} s = ${round(rate, 1)} MB/s`);
    const name = 'ship, earlier build (pushLog, none, observer) vs cp+sync';
    figures.push(figure({ name, value: rate, unit: 'MB/s', baseline: cpMBs, ratio: rate / cpMBs, goal: 'info', note: `${earlier}; one run` }));
  }
  for (const extra of extras) {
    const known = { concurrency2: { concurrency: 2 }, inline: { hashing: 'inline' }, gzip: { compression: 'gzip' }, zstd: { compression: 'zstd' } };
    const options = Object.hasOwn(known, extra) ? known[extra] : undefined;
    if (!options) throw new Error(`SNAPLOG_BENCH_SHIP_EXTRAS: unknown extra ${extra} (concurrency2, inline, gzip, zstd)`);
    const result = await runShip(options);
    const rate = mbps(totalBytes, result.ms);
    extraResults[extra] = { MBs: round(rate, 1), seconds: round(result.ms / 1000, 2), storedRatio: round(result.storedBytes / totalBytes, 3) };
    log(
      NAME,
      `extra ${extra.padEnd(12)} ${round(result.ms / 1000, 2)} s = ${round(rate, 1)} MB/s${options.compression ? `, stored ${round((100 * result.storedBytes) / totalBytes, 1)}% of the original` : ''}`,
    );
    const label = options.compression ? `compression ${extra}` : options.hashing ? 'sha256 inline (no hashing thread)' : 'concurrency 2';
    const stored = `stored ${round((100 * result.storedBytes) / totalBytes, 1)}% of the original size`;
    const serial = 'the serial-hash path; the figure above hashes on a second thread';
    const note = options.compression ? stored : options.hashing ? serial : 'the ship service default';
    figures.push(figure({ name: `ship ${label} vs cp+sync`, value: rate, unit: 'MB/s', baseline: cpMBs, ratio: rate / cpMBs, goal: 'info', note }));
  }

  rmSync(work, { recursive: true, force: true });
  forgetTempDir(work);
  return {
    figures,
    shipMBs: round(shipMBs, 1),
    cpMBs: round(cpMBs, 1),
    ratioShipToCp: round(shipMBs / cpMBs),
    pairedRatios: pairedRatios.map((ratio) => round(ratio)),
    goalRatio: goal,
    pass: shipMBs / cpMBs >= goal,
    cacheMode,
    extras: extraResults,
    cpuCeilingMBs,
    details: {
      bytes: totalBytes,
      GiB: round(totalBytes / GiB, 3),
      files: files.length,
      transactions,
      rounds,
      secondsPerRound: { cp: samples.cp.map((ms) => round(ms / 1000, 3)), ship: samples.ship.map((ms) => round(ms / 1000, 3)) },
      destination: destRoot,
      binlogsReused: binlogs.reused,
    },
  };
});
