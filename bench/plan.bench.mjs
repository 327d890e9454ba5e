// Benchmark: how long `snaplog plan` takes to pick the snapshot, the chain of logs and the exact stop.
//
// A. A synthetic 10 000-log archive (SNAPLOG_BENCH_PLAN_LOGS; 288 logs a day = one every 5 min, so ~35 days,
//    a snapshot record each day at 02:00): metadata files in snaplog's format + empty placeholder data
//    files. No log data is needed: planChain works from metadata alone.
//      baseline  readdir + fs.readFile of every metadata file and snapshot record (no parsing)
//      measured  Archive.listLogs + listSnapshots + buildCatalog + planChain from disk (median of rounds),
//                and planChain alone in memory for SNAPLOG_BENCH_PLAN_TARGETS (200) --to TIME targets
//                spread over the whole range (p50/p99)
// B. A 10 GiB day: 10 logs of 1 GiB (SNAPLOG_BENCH_DAY_LOGS × SNAPLOG_BENCH_DAY_LOG_GIB) and one snapshot
//    at 00:10; the boundary log (the 6th) is a real binlog of SNAPLOG_BENCH_BOUNDARY_MIB (default 1024: the full day-log size) of
//    small transactions built with BinlogBuilder, its metadata from a real scan (factsFromScan); the other
//    logs are metadata only. Targets are --to TIME inside the boundary log.
//      baselines plain reads of the boundary log: createReadStream 1 MiB (archive.openLog's path, what
//                loadPlan reads through) and readFileChunks 4 MiB (scanBinlogFile's reader), no parsing
//      measured  scanBinlogFile(keepTransactions) + locateStop; loadPlan end to end (metadata + one scan
//                of the boundary log through the archive)
//    Goal: the plan of a 10 GiB day (one ≤ 1 GiB boundary-log scan + metadata) in < 1 s. When the boundary
//    log is smaller than a day log, the 1 GiB figure is projected linearly from the measured scan rate
//    (and says so); SNAPLOG_BENCH_BOUNDARY_MIB=1024 measures it directly (~1 min more).
// Everything is read from the page cache (files just written): an NFS archive adds its read time.
// Rounds: SNAPLOG_BENCH_PLAN_ROUNDS (5), alternating the order of baseline and measured runs.
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpoint,
  prng,
  envNumber,
  GiB,
  importDist,
  log,
  machine,
  makeRunDir,
  median,
  MiB,
  now,
  percentile,
  round,
  runBench,
  envScaled,
} from './support/common.mjs';
import { buildBoundaryBinlog, iso, logName, snapshotRecord, syntheticLogMetadata, writeLogs, writeSnapshots } from './support/synthetic-archive.mjs';

const NAME = 'plan';
const DAY = 86_400;

const timeTarget = (seconds) => ({ kind: 'time', time: seconds, text: iso(seconds) });

async function timed(fn) {
  const started = now();
  const value = await fn();
  return { ms: now() - started, value };
}

/** readdir + readFile of every .json in the folders, no parsing: the floor of any metadata-based plan. */
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

/** The same with one synchronous loop (no thread-pool hops): a detail showing the floor of the file reads. */
function readAllMetadataSync(dirs) {
  let bytes = 0;
  for (const dir of dirs) for (const name of readdirSync(dir)) if (name.endsWith('.json')) bytes += readFileSync(join(dir, name)).length;
  return bytes;
}

async function streamRead(path) {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) bytes += chunk.length;
  return bytes;
}

async function chunkRead(path, readFileChunks) {
  let bytes = 0;
  for await (const chunk of readFileChunks(path)) bytes += chunk.length;
  return bytes;
}

function checkStop(plan, target) {
  const applied = plan.stop.lastApplied?.commitTime;
  const excluded = plan.stop.firstExcluded?.commitTime;
  if (!excluded || Date.parse(excluded) / 1000 <= target.time)
    throw new Error(`stop for ${target.text}: the first excluded transaction (${excluded}) is not after the target`);
  if (applied && Date.parse(applied) / 1000 > target.time)
    throw new Error(`stop for ${target.text}: the last applied transaction (${applied}) is after the target`);
}

await runBench(
  NAME,
  async () => {
    const logCount = Math.max(10, Math.round(envScaled('SNAPLOG_BENCH_PLAN_LOGS', 10_000)));
    const perDay = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_PLAN_LOGS_PER_DAY', 288)));
    const targetCount = Math.max(10, Math.round(envNumber('SNAPLOG_BENCH_PLAN_TARGETS', 200)));
    const rounds = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_PLAN_ROUNDS', 5)));
    const boundaryBytes = Math.round(Math.max(8, envScaled('SNAPLOG_BENCH_BOUNDARY_MIB', 1024)) * MiB);
    const dayLogCount = Math.max(2, Math.round(envNumber('SNAPLOG_BENCH_DAY_LOGS', 10)));
    const dayLogBytes = Math.round(envNumber('SNAPLOG_BENCH_DAY_LOG_GIB', 1) * GiB);

    const { Archive } = await importDist('archive/archive.js');
    const { buildCatalog } = await importDist('archive/catalog.js');
    const { planChain, locateStop } = await importDist('engines/mysql/restore/plan.js');
    const { loadPlan } = await importDist('engines/mysql/restore/load-plan.js');
    const { scanBinlogFile, readFileChunks } = await importDist('engines/mysql/binlog/index.js');
    const { binlogObserver } = await importDist('engines/mysql/log-facts.js');
    const base = makeRunDir('plan');
    const T0 = Date.UTC(2026, 0, 5) / 1000;

    // --- A: the 10 000-log archive ---------------------------------------------------------------------
    const systemA = 'db1';
    const archivePathA = join(base, 'archive-logs');
    const { archive: archiveA } = await Archive.init(archivePathA);
    const slot = DAY / perDay;
    const random = prng(42);
    const metadataA = [];
    let gtid = 1;
    for (let i = 0; i < logCount; i++) {
      const size = Math.round((10 * GiB * (0.5 + random())) / perDay);
      const transactions = Math.max(1, Math.floor(size / 900));
      metadataA.push(
        syntheticLogMetadata({
          sequence: i + 1,
          size,
          from: Math.floor(T0 + i * slot) + 1,
          to: Math.floor(T0 + (i + 1) * slot) - 1,
          firstSeq: gtid,
          transactions,
        }),
      );
      gtid += transactions;
    }
    const snapshotsA = [];
    for (let day = 0; ; day++) {
      const time = T0 + day * DAY + 7200;
      const index = Math.floor((time - T0) / slot);
      if (index >= logCount) break;
      const meta = metadataA[index];
      const within = Math.floor(meta.transactionCount / 2);
      snapshotsA.push(
        snapshotRecord({
          id: `snap-${String(day).padStart(4, '0')}`,
          systemId: systemA,
          time,
          file: meta.name,
          position: 256 + within * 900,
          gtid: `0-1-${Number(meta.firstTransaction.split('-')[2]) + within}`,
        }),
      );
    }
    const setupStarted = now();
    const logsDirA = await writeLogs(archivePathA, systemA, metadataA);
    const snapshotsDirA = await writeSnapshots(archivePathA, systemA, snapshotsA);
    log(NAME, `A: ${logCount} log metadata files + ${snapshotsA.length} snapshot records written in ${round((now() - setupStarted) / 1000, 2)} s`);

    const firstTarget = Date.parse(snapshotsA[0].time) / 1000 + 1;
    const lastTarget = Date.parse(metadataA[logCount - 1].lastCommitTime) / 1000 - 1;
    const targetRandom = prng(7);
    const targetsA = Array.from({ length: targetCount }, () => timeTarget(Math.floor(firstTarget + targetRandom() * (lastTarget - firstTarget))));

    const planFromDisk = async (target) => {
      const [archived, snapshots] = await Promise.all([archiveA.listLogs(systemA), archiveA.listSnapshots(systemA)]);
      return planChain({ snapshots, logs: buildCatalog(archived).logs, target });
    };
    const samplesA = { read: [], disk: [] };
    let readInfo;
    for (let r = 0; r < rounds + 1; r++) {
      checkpoint();
      const order = r % 2 === 0 ? ['read', 'disk'] : ['disk', 'read'];
      for (const kind of order) {
        const target = targetsA[r % targetsA.length];
        const { ms, value } = kind === 'read' ? await timed(() => readAllMetadata([logsDirA, snapshotsDirA])) : await timed(() => planFromDisk(target));
        if (kind === 'read') readInfo = value;
        if (r > 0) samplesA[kind].push(ms); // round 0 warms the JIT and the caches
      }
    }
    const syncReadMs = [];
    for (let r = 0; r < rounds; r++) syncReadMs.push((await timed(() => readAllMetadataSync([logsDirA, snapshotsDirA]))).ms);
    const readAllMs = median(samplesA.read);
    const diskPlanMs = median(samplesA.disk);
    log(
      NAME,
      `A: read all metadata ${round(readAllMs, 1)} ms (${readInfo.files} files, ${round(readInfo.bytes / MiB, 1)} MiB); listLogs + listSnapshots + planChain ${round(diskPlanMs, 1)} ms`,
    );

    // planChain alone, in memory, over targets spread across the archive.
    const archived = await archiveA.listLogs(systemA);
    const catalogLogs = buildCatalog(archived).logs;
    const snapshotsLoaded = await archiveA.listSnapshots(systemA);
    for (let i = 0; i < 20; i++) planChain({ snapshots: snapshotsLoaded, logs: catalogLogs, target: targetsA[i % targetsA.length] });
    const planMs = [];
    for (const target of targetsA) {
      const started = now();
      const chain = planChain({ snapshots: snapshotsLoaded, logs: catalogLogs, target });
      planMs.push(now() - started);
      const boundary = catalogLogs.find((meta) => meta.name === chain.boundaryLog);
      if (!boundary || Date.parse(boundary.lastCommitTime) / 1000 <= target.time || Date.parse(chain.snapshot.time) / 1000 > target.time) {
        throw new Error(`planChain for ${target.text} picked ${chain.snapshot.id} / ${chain.boundaryLog}: wrong`);
      }
    }
    const chainP50 = percentile(planMs, 50);
    const chainP99 = percentile(planMs, 99);
    log(
      NAME,
      `A: planChain in memory over ${targetCount} targets: p50 ${round(chainP50, 2)} ms, p99 ${round(chainP99, 2)} ms, max ${round(Math.max(...planMs), 2)} ms`,
    );

    // --- B: a 10 GiB day ----------------------------------------------------------------------------
    const systemB = 'day';
    const archivePathB = join(base, 'archive-day');
    const { archive: archiveB } = await Archive.init(archivePathB);
    const daySlot = Math.floor(DAY / dayLogCount);
    const boundaryIndex = Math.floor(dayLogCount / 2);
    const logsDirB = join(archivePathB, systemB, 'logs');
    await writeLogs(archivePathB, systemB, []);
    const perClaimedLog = Math.floor(dayLogBytes / 890);
    const boundarySeq = boundaryIndex + 1;
    const boundaryName = logName(boundarySeq);
    const boundaryPath = join(logsDirB, boundaryName);
    const boundaryFrom = T0 + boundaryIndex * daySlot + 1;
    const boundaryTo = T0 + (boundaryIndex + 1) * daySlot - 1;
    const buildStarted = now();
    const built = await buildBoundaryBinlog({
      path: boundaryPath,
      name: boundaryName,
      nextName: logName(boundarySeq + 1),
      targetBytes: boundaryBytes,
      from: boundaryFrom,
      to: boundaryTo,
      firstSeq: 1 + boundaryIndex * perClaimedLog,
    });
    const buildSeconds = (now() - buildStarted) / 1000;
    const boundaryScan = await scanBinlogFile(boundaryPath, { keepTransactions: false });
    if (boundaryScan.problems.length) throw new Error(`the built boundary binlog has problems: ${JSON.stringify(boundaryScan.problems.slice(0, 3))}`);
    if (boundaryScan.transactionCount !== built.transactions)
      throw new Error(`built ${built.transactions} transactions, the scanner found ${boundaryScan.transactionCount}`);
    log(
      NAME,
      `B: boundary binlog ${boundaryName}: ${round(built.size / MiB, 1)} MiB, ${built.transactions} transactions, built in ${round(buildSeconds, 1)} s`,
    );

    // The metadata the shipper writes: facts and the sparse checkpoint index, from one pass over the bytes.
    const observer = binlogObserver();
    for await (const chunk of readFileChunks(boundaryPath)) observer.push(chunk);
    const boundaryFacts = observer.finish();
    const metadataB = [];
    let seqB = 1;
    for (let k = 0; k < dayLogCount; k++) {
      const from = T0 + k * daySlot + 1;
      const to = T0 + (k + 1) * daySlot - 1;
      if (k === boundaryIndex) {
        metadataB.push({
          formatVersion: 1,
          name: boundaryName,
          engine: 'mariadb',
          sequence: boundarySeq,
          size: built.size,
          sha256: built.sha256,
          headSha256: built.headSha256,
          compression: 'none',
          storedName: boundaryName,
          storedSize: built.size,
          ...boundaryFacts,
          shippedAt: iso(to + 30),
          shippedBy: 'db-bench-01',
        });
        seqB += built.transactions;
      } else {
        metadataB.push(syntheticLogMetadata({ sequence: k + 1, size: dayLogBytes, from, to, firstSeq: seqB, transactions: perClaimedLog }));
        seqB += perClaimedLog;
      }
    }
    await writeLogs(
      archivePathB,
      systemB,
      metadataB.filter((meta) => meta.name !== boundaryName),
    );
    await writeLogs(
      archivePathB,
      systemB,
      metadataB.filter((meta) => meta.name === boundaryName),
      { placeholders: false },
    );
    const snapshotsDirB = await writeSnapshots(archivePathB, systemB, [
      snapshotRecord({ id: 'snap-day', systemId: systemB, time: T0 + 600, file: metadataB[0].name, position: 123_456, gtid: '0-1-1000' }),
    ]);
    const boundaryMeta = metadataB[boundaryIndex];
    const dayRandom = prng(99);
    const targetsB = Array.from({ length: rounds + 1 }, () => timeTarget(Math.floor(boundaryFrom + 1 + dayRandom() * (boundaryTo - boundaryFrom - 3))));
    const [dayArchived, daySnapshots] = await Promise.all([archiveB.listLogs(systemB), archiveB.listSnapshots(systemB)]);
    const dayLogs = buildCatalog(dayArchived).logs;

    const samplesB = { stream: [], chunks: [], meta: [], scan: [], locate: [], scanLocate: [], loadPlan: [], dayMeta: [] };
    for (let r = 0; r < rounds + 1; r++) {
      checkpoint();
      const target = targetsB[r];
      const order = r % 2 === 0 ? ['stream', 'chunks', 'meta', 'dayMeta', 'scan', 'loadPlan'] : ['loadPlan', 'scan', 'dayMeta', 'meta', 'chunks', 'stream'];
      let scanned;
      let loaded;
      for (const kind of order) {
        let ms;
        if (kind === 'stream') {
          ({ ms } = await timed(() => streamRead(boundaryPath)));
        } else if (kind === 'chunks') {
          ({ ms } = await timed(() => chunkRead(boundaryPath, readFileChunks)));
        } else if (kind === 'meta') {
          ({ ms } = await timed(() => readAllMetadata([logsDirB, snapshotsDirB])));
        } else if (kind === 'dayMeta') {
          // loadPlan's metadata part alone: listLogs + listSnapshots + catalog + planChain.
          ({ ms } = await timed(async () => {
            const [logs, snapshots] = await Promise.all([archiveB.listLogs(systemB), archiveB.listSnapshots(systemB)]);
            return planChain({ snapshots, logs: buildCatalog(logs).logs, target });
          }));
        } else if (kind === 'scan') {
          const chain = planChain({ snapshots: daySnapshots, logs: dayLogs, target });
          if (chain.boundaryLog !== boundaryName) throw new Error(`planChain chose ${chain.boundaryLog} for ${target.text}, expected ${boundaryName}`);
          const t0 = now();
          const scan = await scanBinlogFile(boundaryPath, { keepTransactions: true });
          const t1 = now();
          scanned = locateStop(chain, scan.transactions, boundaryMeta);
          const t2 = now();
          if (r > 0) {
            samplesB.scan.push(t1 - t0);
            samplesB.locate.push(t2 - t1);
          }
          ms = t2 - t0;
          if (r > 0) samplesB.scanLocate.push(ms);
          continue;
        } else {
          ({ ms, value: loaded } = await timed(() => loadPlan(archiveB, systemB, target)));
        }
        if (r > 0) samplesB[kind].push(ms);
      }
      checkStop(scanned, target);
      if (loaded.stop.position !== scanned.stop.position || loaded.stop.file !== scanned.stop.file) {
        throw new Error(
          `loadPlan stops at ${loaded.stop.file}:${loaded.stop.position}, locateStop at ${scanned.stop.file}:${scanned.stop.position} for ${target.text}`,
        );
      }
      if (r > 0)
        log(
          NAME,
          `B: round ${r}/${rounds}: scan+locate ${round(samplesB.scanLocate.at(-1), 0)} ms, loadPlan ${round(samplesB.loadPlan.at(-1), 0)} ms, plain read ${round(samplesB.stream.at(-1), 0)} ms; stop ${loaded.stop.file}:${loaded.stop.position}`,
        );
    }
    const m = Object.fromEntries(Object.entries(samplesB).map(([kind, values]) => [kind, median(values)]));
    const size = built.size;
    const scale = dayLogBytes / size;
    const projected = size >= dayLogBytes ? undefined : m.dayMeta + (m.loadPlan - m.dayMeta) * scale;
    const dayPlanMs = size >= dayLogBytes ? m.loadPlan : projected;
    const gibps = (ms) => size / GiB / (ms / 1000);
    const goalMs = 1000;

    const figures = [
      {
        name: `plan from disk, ${logCount}-log archive (listLogs + listSnapshots + planChain)`,
        value: round(diskPlanMs, 2),
        unit: 'ms',
        baseline: round(readAllMs, 2),
        baselineUnit: 'ms (readdir + readFile of every metadata file)',
        ratio: round(diskPlanMs / readAllMs, 2),
        note: `the file reads dominate: a synchronous readFileSync loop over the same files takes ${round(median(syncReadMs), 1)} ms`,
      },
      {
        name: `planChain in memory, ${logCount} logs, p50 over ${targetCount} --to TIME targets`,
        value: round(chainP50, 3),
        unit: 'ms',
        baseline: round(readAllMs, 2),
        baselineUnit: 'ms (readFile of every metadata file)',
        ratio: round(chainP50 / readAllMs, 4),
        note: `p99 ${round(chainP99, 3)} ms`,
      },
      {
        name: `boundary log: scanBinlogFile(keepTransactions) + locateStop, ${round(size / MiB, 0)} MiB`,
        value: round(m.scanLocate, 1),
        unit: 'ms',
        baseline: round(m.chunks, 1),
        baselineUnit: 'ms (readFileChunks of the same file, no parsing)',
        ratio: round(m.scanLocate / m.chunks, 2),
        note: `${round(gibps(m.scanLocate), 2)} GiB/s vs read ${round(gibps(m.chunks), 2)} GiB/s; locateStop alone ${round(m.locate, 2)} ms`,
      },
      {
        name: `loadPlan, ${dayLogCount} × ${round(dayLogBytes / GiB, 2)} GiB day (boundary log ${round(size / MiB, 0)} MiB, measured)`,
        value: round(m.loadPlan, 1),
        unit: 'ms',
        baseline: round(m.stream + m.meta, 1),
        baselineUnit: 'ms (createReadStream 1 MiB of the boundary log + readFile of the metadata)',
        ratio: round(m.loadPlan / (m.stream + m.meta), 2),
      },
      {
        name: `plan of a ${round((dayLogCount * dayLogBytes) / GiB, 1)} GiB day (${round(dayLogBytes / GiB, 2)} GiB boundary log)${projected === undefined ? '' : ', projected'}`,
        value: round(dayPlanMs, 1),
        unit: 'ms',
        baseline: round((m.stream + m.meta) * (projected === undefined ? 1 : scale), 1),
        baselineUnit: 'ms (plain read of the same bytes)',
        ratio: round(dayPlanMs / ((m.stream + m.meta) * (projected === undefined ? 1 : scale)), 2),
        goal: '< 1000 ms',
        pass: dayPlanMs < goalMs,
        note:
          projected === undefined
            ? 'measured with a full-size boundary log'
            : `projected linearly: metadata part ${round(m.dayMeta, 1)} ms measured + the measured boundary read and scan ×${round(scale, 2)} from ${round(size / MiB, 0)} MiB; the transaction index grows with the file, so a real full-size scan tends to be slower (SNAPLOG_BENCH_BOUNDARY_MIB=${Math.round(dayLogBytes / MiB)} measures it)`,
      },
    ];
    return {
      figures,
      planDayMs: round(dayPlanMs, 1),
      planDayProjected: projected !== undefined,
      goal: 'plan of a 10 GiB day < 1 s',
      pass: dayPlanMs < goalMs,
      archive: {
        logs: logCount,
        snapshots: snapshotsA.length,
        metadataMiB: round(readInfo.bytes / MiB, 2),
        readAllMetadataMs: round(readAllMs, 2),
        planFromDiskMs: round(diskPlanMs, 2),
        planFromDiskRatio: round(diskPlanMs / readAllMs, 2),
        readAllMetadataSyncLoopMs: round(median(syncReadMs), 2),
        planChainP50Ms: round(chainP50, 3),
        planChainP99Ms: round(chainP99, 3),
        planChainMaxMs: round(Math.max(...planMs), 3),
        targets: targetCount,
        roundsMs: { read: samplesA.read.map((ms) => round(ms, 1)), disk: samplesA.disk.map((ms) => round(ms, 1)) },
      },
      day: {
        logs: dayLogCount,
        logGiB: round(dayLogBytes / GiB, 3),
        boundaryMiB: round(size / MiB, 1),
        boundaryTransactions: built.transactions,
        buildSeconds: round(buildSeconds, 1),
        medianMs: Object.fromEntries(Object.entries(m).map(([kind, ms]) => [kind, round(ms, 2)])),
        scanGiBs: round(gibps(m.scan), 3),
        chunkReadGiBs: round(gibps(m.chunks), 3),
        streamReadGiBs: round(gibps(m.stream), 3),
        loadPlanMs: round(m.loadPlan, 1),
        loadPlanProjected1GiBMs: projected === undefined ? undefined : round(projected, 1),
      },
      rounds,
      note: 'page cache warm (files just written); an NFS archive adds its read time to both the plan and the baseline',
      machine: machine(),
    };
  },
  { limitSeconds: envNumber('SNAPLOG_BENCH_LIMIT_S', 240) },
);
