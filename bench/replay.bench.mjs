// Benchmark: replay speed of snaplog's restore paths against the plain `mariadb-binlog | mariadb` pipe.
//
// Data, generated in this run on a real mariadbd (--log-bin, ROW, CRC32, relaxed durability):
//   schema + 20 000 accounts → cold copy of the datadir = snapshot A (clean stop, cp -a, restart; the
//   binlog position after the restart is the snapshot position) → OLTP set: many small transactions
//   from 4 connections → clean stop, cold copy = snapshot B → bulk set: large multi-row INSERTs → stop.
//   CHECKSUM TABLE of every table at the end of each set is the expected state.
//
// For each set and each path, a fresh copy of the set's snapshot is replayed from the snapshot position
// to the end of the set's binlogs:
//   relay   snaplog's default: the binlogs linked in as relay logs of a private server (the dialect's privateServerArgs:
//           --skip-log-bin, innodb-flush-log-at-trx-commit=0), applied by its SQL thread (applyThroughRelay)
//   pipe    snaplog's --method pipe: applyThroughPipe (one mariadb-binlog | mariadb session) into a private
//           server with relaxed durability (--skip-log-bin --innodb-flush-log-at-trx-commit=0)
//   plain   the baseline ("WAL-G style"): the same mariadb-binlog | mariadb pipe into a server with default
//           durability (--log-bin, --sync-binlog=1, --innodb-flush-log-at-trx-commit=1)
// Every server gets the same memory settings (SNAPLOG_BENCH_REPLAY_SERVER_ARGS, default buffer pool 512M,
// redo log 256M). Times: `apply` is the replay call alone; `total` = server start + apply + clean
// shutdown (which flushes the buffer pool: the restore is durable only then). Ratios are throughput
// ratios against the plain pipe of the same run, on the total time (apply-only ratios are given too).
// After every replay CHECKSUM TABLE of all tables must equal the source's: a mismatch is an error.
//
// Sizes: SNAPLOG_BENCH_OLTP_MIB (default 40; the nominal OLTP size is 1 GiB, but the plain pipe applies
// small transactions at only ~1 MB/s here, so 1 GiB would take ~20 min for the baseline alone),
// SNAPLOG_BENCH_BULK_MIB (default 100), SNAPLOG_BENCH_BINLOG_MIB (max-binlog-size, default 16, so that
// each set spans several files), SNAPLOG_BENCH_ACCOUNTS (20000), SNAPLOG_BENCH_PATHS (relay,pipe,plain),
// SNAPLOG_BENCH_LIMIT_S (240: the run stops itself, kills its servers and removes its folders). Default
// run: ~70 s on the 2-core machine (plain OLTP replay ~32 s of it).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkpoint, envNumber, importDist, log, machine, makeRunDir, MiB, mbps, now, round, runBench, envScaled } from './support/common.mjs';
import { checksums, masterStatus, rowCounts, startServer } from './support/mariadb.mjs';
import { createSchema, runBulk, runOltp, TABLES } from './support/workload.mjs';

const NAME = 'replay';
const execFileAsync = promisify(execFile);
const REPLAY_SERVER_ID = 4_000_000_000;

const copyDir = (from, to) => execFileAsync('cp', ['-a', from, to]);

function binlogFiles(dir) {
  return readdirSync(dir)
    .filter((name) => /^mysql-bin\.\d{6}$/.test(name))
    .sort()
    .map((name) => ({ name, path: join(dir, name), size: statSync(join(dir, name)).size }));
}

/** The files of one set: from the snapshot's log up to (not including) `beforeFile`. */
function setLogs(all, start, beforeFile) {
  const logs = all.filter((file) => file.name >= start.file && (beforeFile === undefined || file.name < beforeFile));
  if (logs[0]?.name !== start.file) throw new Error(`binlog ${start.file} (the snapshot position) is missing`);
  return logs.map((file, i) => ({ ...file, from: i === 0 ? start.position : 4 }));
}

function pathArgs(path, dir) {
  switch (path) {
    case 'relay':
      return null; // the dialect's privateServerArgs, loaded from dist
    case 'pipe':
      return [`--server-id=${REPLAY_SERVER_ID}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--skip-slave-start'];
    case 'plain':
      return [`--log-bin=${join(dir, 'binlog', 'mysql-bin')}`, '--server-id=2', '--binlog-format=ROW', '--sync-binlog=1', '--innodb-flush-log-at-trx-commit=1'];
    default:
      throw new Error(`unknown path ${path} in SNAPLOG_BENCH_PATHS (relay, pipe, plain)`);
  }
}

async function replayOnce({ dist, base, set, path, commonArgs }) {
  checkpoint();
  const dir = join(base, `run-${set.name}-${path}`);
  mkdirSync(join(dir, 'binlog'), { recursive: true });
  const datadir = join(dir, 'data');
  await copyDir(set.snapshotDir, datadir);
  const args = path === 'relay' ? dist.relayServerArgs(REPLAY_SERVER_ID) : pathArgs(path, dir);
  const bytes = set.logs.reduce((sum, file) => sum + file.size - file.from, 0);
  const last = set.logs[set.logs.length - 1];

  const t0 = now();
  const server = await startServer({ datadir, runDir: join(dir, 'run'), args: [...commonArgs, ...args] });
  const t1 = now();
  let result;
  if (path === 'relay') {
    await dist.prepareRelayLogs(datadir, set.logs.map((file) => ({ path: file.path, from: file.from })));
    result = await dist.applyThroughRelay({ socket: server.socket, relayDir: datadir, logs: set.logs, lastLogSize: last.size });
  } else {
    await dist.applyThroughPipe({
      endpoint: { socket: server.socket, port: 0, user: 'root', credentialSource: 'bench' },
      paths: set.logs.map((file) => file.path),
      startPosition: set.logs[0].from,
    });
  }
  const t2 = now();
  const got = await checksums(server, TABLES);
  const t3 = now();
  await server.stop();
  const t4 = now();
  rmSync(dir, { recursive: true, force: true });

  const mismatched = TABLES.filter((table) => got[table] !== set.expected[table]);
  const applyMs = t2 - t1;
  const totalMs = t1 - t0 + applyMs + (t4 - t3);
  const run = {
    applySeconds: round(applyMs / 1000, 2),
    totalSeconds: round(totalMs / 1000, 2),
    startSeconds: round((t1 - t0) / 1000, 2),
    stopSeconds: round((t4 - t3) / 1000, 2),
    applyMBs: round(mbps(bytes, applyMs), 2),
    totalMBs: round(mbps(bytes, totalMs), 2),
    transactionsPerSecond: set.transactions ? Math.round(set.transactions / (totalMs / 1000)) : undefined,
    checksumsMatch: mismatched.length === 0,
    ...(mismatched.length ? { mismatched: Object.fromEntries(mismatched.map((table) => [table, { expected: set.expected[table], got: got[table] }])) } : {}),
    ...(result?.lastFile ? { relayStoppedAt: `${result.lastFile}:${result.lastPosition}` } : {}),
  };
  log(NAME, `${set.name} ${path.padEnd(5)}: apply ${run.applySeconds} s (${run.applyMBs} MB/s), total ${run.totalSeconds} s (${run.totalMBs} MB/s)${run.checksumsMatch ? ', checksums equal' : `, CHECKSUM MISMATCH in ${mismatched.join(', ')}`}`);
  return run;
}

await runBench(
  NAME,
  async () => {
    const oltpMiB = Math.max(2, envScaled('SNAPLOG_BENCH_OLTP_MIB', 40));
    const bulkMiB = Math.max(4, envScaled('SNAPLOG_BENCH_BULK_MIB', 100));
    const binlogMiB = envNumber('SNAPLOG_BENCH_BINLOG_MIB', 16);
    const accounts = Math.max(100, Math.round(envNumber('SNAPLOG_BENCH_ACCOUNTS', 20_000)));
    const paths = (process.env.SNAPLOG_BENCH_PATHS ?? 'relay,pipe,plain').split(',').map((path) => path.trim()).filter(Boolean);
    paths.forEach((path) => pathArgs(path, '/'));
    const commonArgs = (process.env.SNAPLOG_BENCH_REPLAY_SERVER_ARGS ?? '--innodb-buffer-pool-size=512M --innodb-log-file-size=256M').split(/\s+/).filter(Boolean);
    const relay = await importDist('engines/mysql/replay/relay-apply.js');
    const pipe = await importDist('engines/mysql/replay/pipe-apply.js');
    const { scanBinlogFile } = await importDist('engines/mysql/binlog/index.js');
    const { localServerDialect } = await importDist('engines/mysql/private-server.js');
    const dialect = await localServerDialect();
    const dist = { ...relay, ...pipe, relayServerArgs: (serverId) => dialect.privateServerArgs({ serverId }) };

    const base = makeRunDir('replay');
    const binlogDir = join(base, 'source', 'binlog');
    mkdirSync(binlogDir, { recursive: true });
    const sourceData = join(base, 'source', 'data');
    const sourceArgs = [
      `--log-bin=${join(binlogDir, 'mysql-bin')}`,
      '--binlog-format=ROW',
      '--binlog-checksum=CRC32',
      '--server-id=1',
      '--innodb-flush-log-at-trx-commit=0',
      '--sync-binlog=0',
      `--max-binlog-size=${Math.max(4, Math.round(binlogMiB))}M`,
      ...commonArgs,
    ];
    const startSource = (initialise = false) => startServer({ datadir: sourceData, runDir: join(base, 'source', 'run'), args: sourceArgs, initialise });

    // --- generate -------------------------------------------------------------------------------
    const genStarted = now();
    let source = await startSource(true);
    await createSchema(source, { accounts });
    await source.stop();
    const snapshotA = join(base, 'snapshot-oltp');
    await copyDir(sourceData, snapshotA);
    source = await startSource();
    const oltpStart = await masterStatus(source);
    log(NAME, `snapshot A taken; OLTP set from ${oltpStart.file}:${oltpStart.position}, ~${oltpMiB} MiB`);
    const oltpGen = await runOltp(source, { targetBytes: oltpMiB * MiB, accounts });
    const oltpExpected = await checksums(source, TABLES);
    const oltpRows = await rowCounts(source, TABLES);
    await source.stop();
    const snapshotB = join(base, 'snapshot-bulk');
    await copyDir(sourceData, snapshotB);
    source = await startSource();
    const bulkStart = await masterStatus(source);
    log(NAME, `snapshot B taken; bulk set from ${bulkStart.file}:${bulkStart.position}, ~${bulkMiB} MiB`);
    const bulkGen = await runBulk(source, { targetBytes: bulkMiB * MiB });
    await source.query('FLUSH BINARY LOGS');
    const bulkExpected = await checksums(source, TABLES);
    const bulkRows = await rowCounts(source, TABLES);
    await source.stop();
    rmSync(sourceData, { recursive: true, force: true });
    const generateSeconds = round((now() - genStarted) / 1000, 1);

    const all = binlogFiles(binlogDir);
    const sets = [
      { name: 'oltp', snapshotDir: snapshotA, logs: setLogs(all, oltpStart, bulkStart.file), expected: oltpExpected, rows: oltpRows, generated: oltpGen },
      { name: 'bulk', snapshotDir: snapshotB, logs: setLogs(all, bulkStart, undefined), expected: bulkExpected, rows: bulkRows, generated: bulkGen },
    ];
    for (const set of sets) {
      let transactions = 0;
      for (const file of set.logs) {
        const scan = await scanBinlogFile(file.path, { keepTransactions: true });
        if (scan.problems.length) throw new Error(`${file.name}: ${scan.problems[0].problem}`);
        transactions += scan.transactions.filter((transaction) => transaction.startPosition >= file.from).length;
      }
      set.transactions = transactions;
      set.bytes = set.logs.reduce((sum, file) => sum + file.size - file.from, 0);
      log(NAME, `${set.name} set: ${set.logs.length} binlogs, ${round(set.bytes / MiB, 1)} MiB, ${transactions} transactions`);
    }
    log(NAME, `generated both sets in ${generateSeconds} s`);

    // --- replay ---------------------------------------------------------------------------------
    const errors = [];
    const report = {};
    for (const set of sets) {
      const runs = {};
      for (const path of paths) {
        runs[path] = await replayOnce({ dist, base, set, path, commonArgs });
        if (!runs[path].checksumsMatch) errors.push(`${set.name}/${path}: CHECKSUM TABLE differs from the source in ${Object.keys(runs[path].mismatched).join(', ')}`);
      }
      const ratio = (path, kind) => (runs[path] && runs.plain ? round(runs.plain[`${kind}Seconds`] / runs[path][`${kind}Seconds`], 2) : undefined);
      report[set.name] = {
        MiB: round(set.bytes / MiB, 1),
        // At the rates measured here (total time), how long 1 GiB of the same kind of binlog would take.
        projected1GiBSeconds: Object.fromEntries(Object.entries(runs).map(([path, run]) => [path, Math.round(1024 / run.totalMBs)])),
        bytes: set.bytes,
        files: set.logs.length,
        transactions: set.transactions,
        avgTransactionBytes: Math.round(set.bytes / Math.max(1, set.transactions)),
        rows: set.rows,
        generated: set.generated,
        runs,
        ratios: {
          relayToPlain: ratio('relay', 'total'),
          pipeToPlain: ratio('pipe', 'total'),
          relayToPlainApplyOnly: ratio('relay', 'apply'),
          pipeToPlainApplyOnly: ratio('pipe', 'apply'),
        },
      };
    }

    const figures = [];
    for (const set of sets) {
      const r = report[set.name];
      if (!r.runs.plain) continue;
      for (const path of ['relay', 'pipe']) {
        if (!r.runs[path]) continue;
        const isGoal = set.name === 'oltp' && path === 'relay';
        figures.push({
          name: `${set.name}: ${path === 'relay' ? 'relay (SQL thread, default)' : 'pipe, relaxed durability'} vs plain mariadb-binlog | mariadb`,
          value: r.runs[path].totalMBs,
          unit: 'MB/s',
          baseline: r.runs.plain.totalMBs,
          baselineUnit: 'MB/s',
          ratio: r.ratios[`${path}ToPlain`],
          goal: isGoal ? '≥ 10×' : undefined,
          pass: isGoal ? r.ratios.relayToPlain >= 10 : undefined,
          note: `${r.MiB} MiB, ${r.transactions} transactions; ${path} ${r.runs[path].totalSeconds} s vs plain ${r.runs.plain.totalSeconds} s (start + apply + clean stop); apply only: ${r.ratios[`${path}ToPlainApplyOnly`]}×`,
        });
      }
    }
    const goalMet = report.oltp?.ratios.relayToPlain !== undefined ? report.oltp.ratios.relayToPlain >= 10 : undefined;
    return {
      ok: errors.length === 0,
      ...(errors.length ? { error: errors.join('; ') } : {}),
      note: `OLTP set is ${oltpMiB} MiB (SNAPLOG_BENCH_OLTP_MIB), not the nominal 1 GiB: the plain pipe applies small transactions at ~1 MB/s on this machine; bulk set ${bulkMiB} MiB (SNAPLOG_BENCH_BULK_MIB). Ratios = plain time / path time, same run.`,
      figures,
      oltpRelayToPlain: report.oltp?.ratios.relayToPlain,
      oltpPipeToPlain: report.oltp?.ratios.pipeToPlain,
      bulkRelayToPlain: report.bulk?.ratios.relayToPlain,
      bulkPipeToPlain: report.bulk?.ratios.pipeToPlain,
      goal: 'relay ≥ 10× plain on OLTP',
      pass: goalMet,
      oltp: report.oltp,
      bulk: report.bulk,
      generateSeconds,
      serverArgs: commonArgs,
      machine: machine(),
    };
  },
  { limitSeconds: envNumber('SNAPLOG_BENCH_LIMIT_S', 240) },
);
