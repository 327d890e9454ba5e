// Benchmark: replay speed of snaplog's restore paths against the plain `mariadb-binlog | mariadb` pipe.
//
// Data, generated in this run on a real mariadbd (--log-bin, ROW, CRC32) on a loop-mounted ext4 image:
//   schema + 20 000 accounts → cold copy of the datadir = snapshot A (clean stop, cp -a, restart; the
//   binlog position after the restart is the snapshot position) → `snaplog freeze`, a copy of the image's
//   files between fsfreeze -f/-u (a VM snapshot: crash recovery needed), `snaplog thaw` → OLTP set: small
//   transactions from SNAPLOG_BENCH_REPLAY_LANES (8) concurrent connections with durable commits
//   (sync_binlog=1, innodb_flush_log_at_trx_commit=1: group commit puts concurrent transactions in one
//   group, which is what parallel apply runs in parallel) → FLUSH, `snaplog ship --once` → clean stop, cold
//   copy = snapshot B → bulk set: large multi-row INSERTs → stop. CHECKSUM TABLE of every table at the end
//   of each set is the expected state.
//
// For each set and each path, a fresh copy of the set's snapshot is replayed from the snapshot position
// to the end of the set's binlogs:
//   relay   the binlogs linked in as relay logs of a private server (the dialect's privateServerArgs: --skip-log-bin,
//           innodb-flush-log-at-trx-commit=0) with SNAPLOG_BENCH_REPLAY_THREADS (4) parallel workers (mode: the
//           dialect's, or SNAPLOG_BENCH_REPLAY_APPLIER="--slave-parallel-mode=conservative"), applied by applyThroughRelay
//   serial  the same with one applier thread (--slave-parallel-threads=0): the parallel/serial comparison
//   restore the whole `snaplog restore --latest --datadir` of the frozen copy (OLTP set only): fetch from the
//           archive, crash recovery, private server start, relay apply, clean stop — wall time of the CLI, with
//           the applier threads snaplog picks for this host (defaultApplierThreads: one applier up to 2 CPUs)
//   pipe    snaplog's --method pipe: applyThroughPipe (one mariadb-binlog | mariadb session) into a private
//           server with relaxed durability (--skip-log-bin --innodb-flush-log-at-trx-commit=0)
//   plain   the baseline ("WAL-G style"): the same mariadb-binlog | mariadb pipe into a server with default
//           durability (--log-bin, --sync-binlog=1, --innodb-flush-log-at-trx-commit=1)
// Every server gets the same memory settings (SNAPLOG_BENCH_REPLAY_SERVER_ARGS, default buffer pool 512M,
// redo log 256M). Times: `apply` is the replay call alone; `total` = server start + apply + clean
// shutdown (which flushes the buffer pool: the restore is durable only then). Ratios are throughput
// ratios against the plain pipe of the same run, on the total time (apply-only ratios are given too).
// The OLTP `restore` figure is the plain pipe's total time over the whole CLI's wall time (goal ≥ 30×);
// apply rates on OLTP (goal ≥ 25 MB/s) and bulk (goal ≥ 100 MB/s) of the applier snaplog picks for this host
// (defaultApplierThreads), with the other applier (parallel workers or one thread) beside it.
// After every replay CHECKSUM TABLE of all tables must equal the source's: a mismatch is an error.
//
// Sizes: SNAPLOG_BENCH_OLTP_MIB (default 40; the nominal OLTP size is 1 GiB, but the plain pipe applies
// small transactions at only ~1 MB/s here, so 1 GiB would take ~20 min for the baseline alone),
// SNAPLOG_BENCH_BULK_MIB (default 100), SNAPLOG_BENCH_BINLOG_MIB (max-binlog-size, default 16, so that
// each set spans several files), SNAPLOG_BENCH_ACCOUNTS (20000), SNAPLOG_BENCH_PATHS (relay,serial,restore,pipe,plain),
// SNAPLOG_BENCH_REPLAY_LANES (8 OLTP connections), SNAPLOG_BENCH_REPLAY_THREADS (4 workers on the parallel path),
// SNAPLOG_BENCH_LIMIT_S (240: the run stops itself, kills its servers, detaches its loop device and removes its
// folders). Default run: ~115 s on the 2-core machine (OLTP generation ~30 s, plain OLTP replay ~40 s).
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  checkpoint,
  envNumber,
  figure,
  forgetPid,
  importDist,
  log,
  machine,
  makeRunDir,
  MiB,
  mbps,
  now,
  onCleanup,
  registerPid,
  round,
  runBench,
  envScaled,
  SNAPLOG_BIN,
} from './support/common.mjs';
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
    case 'serial':
    case 'restore':
      return null; // the dialect's privateServerArgs, loaded from dist; `restore` runs the CLI
    case 'pipe':
      return [`--server-id=${REPLAY_SERVER_ID}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--skip-slave-start'];
    case 'plain':
      return [`--log-bin=${join(dir, 'binlog', 'mysql-bin')}`, '--server-id=2', '--binlog-format=ROW', '--sync-binlog=1', '--innodb-flush-log-at-trx-commit=1'];
    default:
      throw new Error(`unknown path ${path} in SNAPLOG_BENCH_PATHS (relay, serial, restore, pipe, plain)`);
  }
}

async function replayOnce({ dist, base, set, path, commonArgs }) {
  checkpoint();
  const dir = join(base, `run-${set.name}-${path}`);
  mkdirSync(join(dir, 'binlog'), { recursive: true });
  const datadir = join(dir, 'data');
  await copyDir(set.snapshotDir, datadir);
  const args =
    path === 'relay'
      ? dist.relayServerArgs(REPLAY_SERVER_ID, dist.parallelThreads)
      : path === 'serial'
        ? dist.relayServerArgs(REPLAY_SERVER_ID, 0)
        : pathArgs(path, dir);
  const bytes = set.logs.reduce((sum, file) => sum + file.size - file.from, 0);
  const last = set.logs[set.logs.length - 1];

  const t0 = now();
  const server = await startServer({ datadir, runDir: join(dir, 'run'), args: [...commonArgs, ...args] });
  const t1 = now();
  let result;
  if (path === 'relay' || path === 'serial') {
    await dist.prepareRelayLogs(
      datadir,
      set.logs.map((file) => ({ path: file.path, from: file.from })),
    );
    result = await dist.applyThroughRelay({ socket: server.socket, relayDir: datadir, logs: set.logs, lastLogSize: last.size, endPosition: set.endPosition });
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
  log(
    NAME,
    `${set.name} ${path.padEnd(5)}: apply ${run.applySeconds} s (${run.applyMBs} MB/s), total ${run.totalSeconds} s (${run.totalMBs} MB/s)${run.checksumsMatch ? ', checksums equal' : `, CHECKSUM MISMATCH in ${mismatched.join(', ')}`}`,
  );
  return run;
}

/** Runs the snaplog CLI; resolves with code, stdout, stderr. */
function snaplogCli(args, timeoutMs = 600_000) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SNAPLOG_BIN, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function cli(args, what) {
  const result = await snaplogCli(args);
  if (result.code !== 0) throw new Error(`snaplog ${what} exited ${result.code}: ${result.stderr.trim().slice(0, 400)}`);
  return result;
}

/** Runs the snaplog CLI and stamps each line it prints (seconds since the start): where the time of a restore goes. */
function stampedCli(args) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, [SNAPLOG_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    registerPid(child.pid, 'snaplog restore');
    const lines = [];
    let stderr = '';
    createInterface({ input: child.stdout }).on('line', (line) => lines.push({ at: round((now() - t0) / 1000, 2), line }));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      forgetPid(child.pid);
      if (code !== 0) reject(new Error(`snaplog restore exited ${code}: ${stderr.trim().slice(0, 400)}`));
      else resolve({ lines, ms: now() - t0 });
    });
  });
}

/** The whole `snaplog restore --latest` of the frozen copy: the wall time of the CLI, then the checksums (not timed). */
async function restoreOnce({ base, set, snapshot, configPath, commonArgs }) {
  checkpoint();
  const dir = join(base, 'run-oltp-restore');
  await copyDir(snapshot.dir, dir);
  const datadir = join(dir, 'data');
  const run = await stampedCli([
    'restore',
    '--latest',
    '--snapshot',
    snapshot.id,
    '--datadir',
    datadir,
    '--config',
    configPath,
    ...commonArgs.map((arg) => `--server-arg=${arg}`),
  ]);
  const totalMs = run.ms;
  const final = run.lines
    .map(({ line }) => /^restored: ([\d.]+) MB .*\(apply ([\d.]+) s: (?:(\d+) transactions, )?([\d.]+) MB\/s(?:, (\d+) transactions\/s)?\)/.exec(line))
    .find(Boolean);
  if (!final)
    throw new Error(
      `snaplog restore printed no "restored: … (apply …)" line: ${run.lines
        .map(({ line }) => line)
        .join(' | ')
        .slice(0, 400)}`,
    );
  const report = {
    bytesReplayed: Number(final[1]) * 1048576,
    replay: {
      applyMs: Number(final[2]) * 1000,
      transactions: final[3] && Number(final[3]),
      mbPerSecond: Number(final[4]),
      transactionsPerSecond: final[5] && Number(final[5]),
    },
  };
  const server = await startServer({
    datadir,
    runDir: join(dir, 'check'),
    args: ['--skip-log-bin', '--skip-slave-start', `--server-id=${REPLAY_SERVER_ID}`, ...commonArgs],
  });
  const got = await checksums(server, TABLES);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  const mismatched = TABLES.filter((table) => got[table] !== set.expected[table]);
  const result = {
    totalSeconds: round(totalMs / 1000, 2),
    applySeconds: round((report.replay?.applyMs ?? totalMs) / 1000, 2),
    bytes: report.bytesReplayed,
    totalMBs: round(mbps(report.bytesReplayed, totalMs), 2),
    applyMBs: report.replay?.mbPerSecond,
    transactions: report.replay?.transactions,
    transactionsPerSecond: report.replay?.transactionsPerSecond,
    // When each step's line appeared (s since the CLI started): fetch, crash recovery, replay server, apply, end.
    timeline: run.lines.filter(({ line }) => !/^replaying /.test(line)).map(({ at, line }) => `${at} s ${line.slice(0, 90)}`),
    checksumsMatch: mismatched.length === 0,
    ...(mismatched.length ? { mismatched: Object.fromEntries(mismatched.map((table) => [table, { expected: set.expected[table], got: got[table] }])) } : {}),
  };
  for (const step of result.timeline) log(NAME, `  restore ${step}`);
  log(
    NAME,
    `oltp restore: whole CLI ${result.totalSeconds} s (apply ${result.applySeconds} s, ${result.applyMBs} MB/s, ${result.transactionsPerSecond} tx/s)${result.checksumsMatch ? ', checksums equal' : ', CHECKSUM MISMATCH'}`,
  );
  return result;
}

await runBench(
  NAME,
  async () => {
    const loadAtStart = os.loadavg().map((value) => round(value, 2));
    const oltpMiB = Math.max(2, envScaled('SNAPLOG_BENCH_OLTP_MIB', 40));
    const bulkMiB = Math.max(4, envScaled('SNAPLOG_BENCH_BULK_MIB', 100));
    const binlogMiB = envNumber('SNAPLOG_BENCH_BINLOG_MIB', 16);
    const accounts = Math.max(100, Math.round(envNumber('SNAPLOG_BENCH_ACCOUNTS', 20_000)));
    const lanes = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_REPLAY_LANES', 8)));
    const paths = (process.env.SNAPLOG_BENCH_PATHS ?? 'relay,serial,restore,pipe,plain')
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean);
    for (const path of paths) pathArgs(path, '/');
    const commonArgs = (process.env.SNAPLOG_BENCH_REPLAY_SERVER_ARGS ?? '--innodb-buffer-pool-size=512M --innodb-log-file-size=256M')
      .split(/\s+/)
      .filter(Boolean);
    const relay = await importDist('engines/mysql/restore/relay-apply.js');
    const pipe = await importDist('engines/mysql/restore/pipe-apply.js');
    const { scanBinlogFile } = await importDist('engines/mysql/binlog/index.js');
    const { localServerDialect } = await importDist('engines/mysql/private-server.js');
    const dialect = await localServerDialect();
    // SNAPLOG_BENCH_REPLAY_APPLIER: options after the dialect's for the parallel path, e.g. "--slave-parallel-mode=conservative".
    const applierOverride = (process.env.SNAPLOG_BENCH_REPLAY_APPLIER ?? '').split(/\s+/).filter(Boolean);
    const relayServerArgs = (serverId, applierThreads) => [
      ...dialect.privateServerArgs({ serverId, applierThreads }),
      ...(applierThreads === 0 ? [] : applierOverride),
    ];
    const parallelThreads = Math.max(1, Math.round(envNumber('SNAPLOG_BENCH_REPLAY_THREADS', 4)));
    const dist = { ...relay, ...pipe, relayServerArgs, parallelThreads };
    const { defaultApplierThreads } = await importDist('engines/mysql/dialect.js');
    const { createMountedImage } = await importDist('demo/disk-image.js');

    const base = makeRunDir('replay');
    // The source lives on a loop-mounted image: `snaplog restore` needs a real snapshot (fsfreeze copy, crash recovery).
    const image = await createMountedImage(join(base, 'image'), 4096, 'replay');
    onCleanup(() => image.cleanup());
    const binlogDir = join(image.mount, 'binlog');
    mkdirSync(binlogDir, { recursive: true });
    const sourceData = join(image.mount, 'data');
    const sourceArgs = [
      `--log-bin=${join(binlogDir, 'mysql-bin')}`,
      '--binlog-format=ROW',
      '--binlog-checksum=CRC32',
      '--server-id=1',
      // Durable commits, as in production: concurrent connections' commits share a group (commit id).
      '--innodb-flush-log-at-trx-commit=1',
      '--sync-binlog=1',
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
    // A VM-style snapshot for the whole `snaplog restore`: freeze, copy the image's files while frozen, thaw.
    const configPath = join(base, 'snaplog.conf');
    const snapshot = { dir: join(base, 'snapshot-frozen') };
    if (paths.includes('restore')) {
      writeFileSync(
        configPath,
        [
          '[workload]',
          'workload_name = mariadb',
          `ipc_folder = ${join(base, 'ipc')}`,
          'timeout = 120',
          '',
          '[mysql]',
          `socket = ${source.socket}`,
          'user = root',
          '',
          '[archive]',
          `path = ${join(base, 'archive')}`,
          '',
          '[ship]',
          'rescan_interval = 1s',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      await cli(['archive', 'init', '--force', '--config', configPath], 'archive init');
      snapshot.id = JSON.parse((await cli(['freeze', '--json', '--config', configPath], 'freeze')).stdout).snapshotId;
      mkdirSync(snapshot.dir);
      await execFileAsync('fsfreeze', ['-f', image.mount]);
      try {
        await execFileAsync('cp', ['-a', '--sparse=always', `${image.mount}/.`, snapshot.dir]);
      } finally {
        await execFileAsync('fsfreeze', ['-u', image.mount]);
      }
      await cli(['thaw', '--config', configPath], 'thaw');
    }
    log(NAME, `snapshot A taken; OLTP set from ${oltpStart.file}:${oltpStart.position}, ~${oltpMiB} MiB from ${lanes} connections`);
    const oltpGen = await runOltp(source, { targetBytes: oltpMiB * MiB, accounts, lanes });
    const oltpExpected = await checksums(source, TABLES);
    const oltpRows = await rowCounts(source, TABLES);
    if (paths.includes('restore')) {
      await source.query('FLUSH BINARY LOGS');
      await cli(['ship', '--once', '--config', configPath], 'ship --once');
    }
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
      let groups = 0;
      for (const file of set.logs) {
        const scan = await scanBinlogFile(file.path, { keepTransactions: true });
        if (scan.problems.length) throw new Error(`${file.name}: ${scan.problems[0].problem}`);
        const mine = scan.transactions.filter((transaction) => transaction.startPosition >= file.from);
        transactions += mine.length;
        if (mine.length) set.endPosition = mine[mine.length - 1].endPosition;
      }
      // Group commits (transactions sharing a commit id): what the parallel applier can run side by side.
      for (const file of set.logs) {
        const { stdout } = await execFileAsync('mariadb-binlog', ['--base64-output=never', `--start-position=${file.from}`, file.path], { maxBuffer: 1 << 30 });
        groups += new Set([...stdout.matchAll(/\sGTID \d+-\d+-\d+ cid=(\d+)/g)].map((match) => match[1])).size;
        set.inGroups = (set.inGroups ?? 0) + [...stdout.matchAll(/\sGTID \d+-\d+-\d+ cid=/g)].length;
      }
      set.transactions = transactions;
      set.groups = groups;
      set.bytes = set.logs.reduce((sum, file) => sum + file.size - file.from, 0);
      log(
        NAME,
        `${set.name} set: ${set.logs.length} binlogs, ${round(set.bytes / MiB, 1)} MiB, ${transactions} transactions, ${set.inGroups} of them in ${groups} commit groups`,
      );
    }
    log(NAME, `generated both sets in ${generateSeconds} s`);

    // --- replay ---------------------------------------------------------------------------------
    const errors = [];
    const report = {};
    for (const set of sets) {
      const runs = {};
      for (const path of paths) {
        if (path === 'restore' && set.name !== 'oltp') continue;
        runs[path] =
          path === 'restore' ? await restoreOnce({ base, set, snapshot, configPath, commonArgs }) : await replayOnce({ dist, base, set, path, commonArgs });
        if (!runs[path].checksumsMatch)
          errors.push(`${set.name}/${path}: CHECKSUM TABLE differs from the source in ${Object.keys(runs[path].mismatched).join(', ')}`);
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
        groups: set.groups,
        transactionsInGroups: set.inGroups,
        runs,
        ratios: {
          relayToPlain: ratio('relay', 'total'),
          serialToPlain: ratio('serial', 'total'),
          restoreToPlain: ratio('restore', 'total'),
          pipeToPlain: ratio('pipe', 'total'),
          relayToPlainApplyOnly: ratio('relay', 'apply'),
          serialToPlainApplyOnly: ratio('serial', 'apply'),
          pipeToPlainApplyOnly: ratio('pipe', 'apply'),
          parallelToSerialApply: runs.relay && runs.serial ? round(runs.serial.applySeconds / runs.relay.applySeconds, 2) : undefined,
        },
      };
    }

    const figures = [];
    const oltp = report.oltp;
    const bulk = report.bulk;
    if (oltp?.runs.restore && oltp.runs.plain) {
      figures.push(
        figure({
          name: 'oltp: whole snaplog restore (fetch, crash recovery, start, apply, stop) vs plain mariadb-binlog | mariadb',
          value: oltp.runs.restore.totalSeconds,
          unit: 's',
          baseline: oltp.runs.plain.totalSeconds,
          ratio: oltp.ratios.restoreToPlain,
          goal: '≥ 30×',
          pass: oltp.ratios.restoreToPlain >= 30,
          note: `${oltp.MiB} MiB, ${oltp.transactions} transactions from ${lanes} connections (${oltp.transactionsInGroups} in ${oltp.groups} commit groups); ratio = plain total / restore wall time`,
        }),
      );
    }
    // The goal is judged on the applier snaplog restore picks for this host (defaultApplierThreads), the other one beside it.
    const hostThreads = defaultApplierThreads(os.availableParallelism());
    const workers = dist
      .relayServerArgs(1, parallelThreads)
      .filter((arg) => /^--slave-parallel-(threads|mode)/.test(arg))
      .join(' ');
    for (const [set, goalMBs] of [
      [oltp, 25],
      [bulk, 100],
    ]) {
      if (!set) continue;
      const name = set === oltp ? 'oltp' : 'bulk';
      const [mine, other] = hostThreads === 0 ? ['serial', 'relay'] : ['relay', 'serial'];
      if (set.runs[mine]) {
        figures.push(
          figure({
            name: `${name}: apply rate of snaplog's applier for this host (${mine === 'serial' ? 'one applier thread' : workers}) vs ${other === 'serial' ? 'one applier thread' : workers}`,
            value: set.runs[mine].applyMBs,
            unit: 'MB/s',
            baseline: set.runs[other]?.applyMBs,
            ratio: set.runs[other] ? round(set.runs[other].applySeconds / set.runs[mine].applySeconds, 2) : undefined,
            goal: `≥ ${goalMBs} MB/s`,
            pass: set.runs[mine].applyMBs >= goalMBs,
            note: `${set.MiB} MiB, ${set.transactions} transactions; ${mine} ${set.runs[mine].applySeconds} s vs ${other} ${set.runs[other]?.applySeconds} s (apply only); both checked by CHECKSUM TABLE`,
          }),
        );
      }
      if (!set.runs.plain) continue;
      for (const path of ['relay', 'serial', 'pipe']) {
        if (!set.runs[path]) continue;
        figures.push(
          figure({
            name: `${name}: ${{ relay: `relay, ${workers}`, serial: 'relay, one applier thread', pipe: 'pipe, relaxed durability' }[path]} vs plain mariadb-binlog | mariadb`,
            value: set.runs[path].totalMBs,
            unit: 'MB/s',
            baseline: set.runs.plain.totalMBs,
            ratio: set.ratios[`${path}ToPlain`],
            note: `${set.runs[path].totalSeconds} s vs plain ${set.runs.plain.totalSeconds} s (start + apply + clean stop); apply only: ${set.ratios[`${path}ToPlainApplyOnly`]}×`,
          }),
        );
      }
    }
    const goals = figures.filter((entry) => entry.goal);
    return {
      ok: errors.length === 0,
      ...(errors.length ? { error: errors.join('; ') } : {}),
      note: `OLTP set is ${oltpMiB} MiB (SNAPLOG_BENCH_OLTP_MIB), not the nominal 1 GiB: the plain pipe applies small transactions at ~1 MB/s on this machine; bulk set ${bulkMiB} MiB (SNAPLOG_BENCH_BULK_MIB). Ratios = baseline time / path time, same run.`,
      figures,
      oltpRestoreToPlain: oltp?.ratios.restoreToPlain,
      oltpRelayToPlain: oltp?.ratios.relayToPlain,
      oltpParallelToSerialApply: oltp?.ratios.parallelToSerialApply,
      hostApplierThreads: hostThreads,
      bulkParallelToSerialApply: bulk?.ratios.parallelToSerialApply,
      goal: 'whole restore ≥ 30× plain on OLTP; apply ≥ 25 MB/s OLTP, ≥ 100 MB/s bulk',
      pass: goals.length ? goals.every((entry) => entry.pass) : undefined,
      oltp,
      bulk,
      generateSeconds,
      loadAverage: { atStart: loadAtStart, atEnd: os.loadavg().map((value) => round(value, 2)) },
      serverArgs: commonArgs,
      machine: machine(),
    };
  },
  { limitSeconds: envNumber('SNAPLOG_BENCH_LIMIT_S', 240) },
);
