// Benchmark 3: the freeze window under a steady write load.
//
// A throwaway mariadbd; a writer thread commits autocommit INSERTs back to back on one connection for
// the whole run. Timeline: a quiet stretch, then 2×N cycles of
//     snaplog freeze --json  →  the "snapshot" (sleep SNAPLOG_BENCH_FREEZE_SNAPSHOT_MS, default 0)  →  post hook
// separated by pauses, then another quiet stretch. The post hook alternates between the installed Veeam post
// script (`snaplog hooks` planner, with the FIFO fast path: sh releases the lock, then snaplog thaw reports)
// and the baseline, the same script without the fast path (`exec snaplog thaw`, what it was before). All are
// real child processes, as a backup product's hook would run them.
//
// Figures:
//   pre-step        wall time of `snaplog freeze` (spawn → exit) and its own preStepMs; goal < 1 s; with the
//                   breakdown from freeze --json stepsMs (process start → pre-step, archive, list, FLUSH, ship,
//                   go → lock recorded, of it the database's lock call) and the rest (exit, spawn)
//   lock held beyond the snapshot, post script start → first commit through
//                   from the moment the post script is spawned to the end of the first writer commit that
//                   completes after it (a blocked commit completes when the lock goes); goal p99 < 20 ms,
//                   baseline: the same with the script without the fast path, same run
//   lock released after the post script starts
//                   the holder's confirmed release (record thawedAt) minus the post script's spawn: the first
//                   figure without the blocked commit's own latency (its fsync)
//   lock held beyond the snapshot (frozenMs − gap)
//                   frozenMs (the snapshot record; the holder's frozenAt → release) minus the gap the bench
//                   itself left between freeze returning and the post hook being called, per post-hook kind
//   writer stall    the longest commit of each cycle (a blocked commit waits for the whole lock), minus
//                   the same gap: the lock as the application feels it
//   CLI baseline    wall time of a no-op `snaplog thaw` (nothing frozen) after every cycle: the start-up
//                   cost any CLI hook pays, the baseline of the two figures above
//   commit latency  p99 of the writer's commits that overlap a freeze window (freeze spawn → thaw exit)
//                   vs those that overlap none (baseline, same run, before/between/after the cycles)
//
// Env: SNAPLOG_BENCH_FREEZE_CYCLES (10), SNAPLOG_BENCH_FREEZE_SNAPSHOT_MS (0), SNAPLOG_BENCH_FREEZE_PAUSE_MS
// (700), SNAPLOG_BENCH_FREEZE_QUIET_S (3).
import { execFile } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  envNumber,
  figure,
  forgetPid,
  importDist,
  isStopping,
  log,
  makeTempDir,
  onCleanup,
  percentile,
  registerPid,
  round,
  runBench,
  sleep,
  SNAPLOG_BIN,
  envScaled,
} from './support/common.mjs';
import { startBenchServer } from './support/mariadb.mjs';

const NAME = 'freeze';
const clock = () => performance.timeOrigin + performance.now();

const inFlight = new Set();

/** Runs the snaplog CLI as a child process; resolves with code, stdout, stderr and its wall-clock span. */
function snaplog(configPath, args, timeoutMs = 120_000) {
  return new Promise((resolve) => {
    const started = clock();
    const child = execFile(
      process.execPath,
      [SNAPLOG_BIN, '--config', configPath, ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const ended = clock();
        inFlight.delete(child);
        forgetPid(child.pid);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, started, ended, ms: ended - started });
      },
    );
    inFlight.add(child);
    registerPid(child.pid, `snaplog ${args[0]}`);
  });
}

/** Runs a hook script as `sh SCRIPT`; same shape as snaplog(). */
function runScript(script, timeoutMs = 120_000) {
  return new Promise((resolve) => {
    const started = clock();
    const child = execFile('/bin/sh', [script], { timeout: timeoutMs, killSignal: 'SIGKILL', cwd: '/' }, (error, stdout, stderr) => {
      const ended = clock();
      inFlight.delete(child);
      forgetPid(child.pid);
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, started, ended, ms: ended - started });
    });
    inFlight.add(child);
    registerPid(child.pid, 'post hook');
  });
}

function parseJson(result, what) {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`${what} printed no JSON: ${result.stdout.slice(0, 300)}`);
  }
}

function holderPidFromState(ipcFolder) {
  try {
    return JSON.parse(readFileSync(join(ipcFolder, 'freeze.json'), 'utf8')).holderPid;
  } catch {
    return undefined;
  }
}

/** A freeze holder started for this benchmark's config (its unique temp path), by pid. */
function isOurHolder(pid, configPath) {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('__freeze-holder') && argv.includes(configPath);
  } catch {
    return false;
  }
}

/** Every live freeze holder of this benchmark's config (one a freeze killed mid-way may not have recorded). */
function ourHolders(configPath) {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && isOurHolder(pid, configPath));
}

function stats(values) {
  return {
    n: values.length,
    p50: round(percentile(values, 50), 2),
    p99: round(percentile(values, 99), 2),
    p999: round(percentile(values, 99.9), 2),
    max: round(values.length ? values.reduce((a, b) => Math.max(b, a), -Infinity) : undefined, 2),
  };
}

await runBench(NAME, async () => {
  const cycles = Math.max(1, Math.round(envScaled('SNAPLOG_BENCH_FREEZE_CYCLES', 10)));
  const snapshotMs = envNumber('SNAPLOG_BENCH_FREEZE_SNAPSHOT_MS', 0);
  const pauseMs = envNumber('SNAPLOG_BENCH_FREEZE_PAUSE_MS', 700);
  const quietMs = envNumber('SNAPLOG_BENCH_FREEZE_QUIET_S', 3) * 1000;

  const base = makeTempDir('freeze');
  const server = await startBenchServer({
    base,
    binlogBasename: join(base, 'binlog', 'mysql-bin'),
    args: ['--max-binlog-size=64M', '--innodb-buffer-pool-size=128M'],
  });
  await server.query('CREATE DATABASE app');
  await server.query('CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(255), at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB');

  const ipcFolder = join(base, 'ipc');
  const archivePath = join(base, 'archive');
  const configPath = join(base, 'snaplog.conf');
  writeFileSync(
    configPath,
    [
      '[workload]',
      'workload_name = mariadb',
      `ipc_folder = ${ipcFolder}`,
      'timeout = 60',
      '',
      '[mysql]',
      `socket = ${server.socket}`,
      'user = root',
      '',
      '[archive]',
      `path = ${archivePath}`,
      '',
      '[ship]',
      'rescan_interval = 1s',
      '',
    ].join('\n'),
  );
  chmodSync(configPath, 0o600);
  // A freeze holder is detached: if anything goes wrong, end it (it would otherwise hold the lock until the timeout).
  onCleanup(async () => {
    for (const child of inFlight) child.kill('SIGKILL');
    const pid = holderPidFromState(ipcFolder);
    if (pid && isOurHolder(pid, configPath)) await snaplog(configPath, ['thaw'], 15_000);
    for (const holder of ourHolders(configPath)) {
      try {
        process.kill(holder, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });
  parseJson({ ...(await snaplog(configPath, ['archive', 'init', '--force'])), stdout: '{}' }, 'snaplog archive init');
  // The post hooks: the Veeam post script as `snaplog hooks install` writes it, with and without the fast path.
  const { planHooks } = await importDist('hooks/index.js');
  const postScripts = {};
  for (const [kind, extra] of [
    ['fifo', { ipcFolder }],
    ['cli', {}],
  ]) {
    const plan = planHooks('veeam', { snaplogCommand: [process.execPath, SNAPLOG_BIN], configPath, ...extra });
    const post = plan.files.find((file) => file.path.endsWith('veeam-post.sh'));
    postScripts[kind] = join(base, `post-${kind}.sh`);
    writeFileSync(postScripts[kind], post.content, { mode: 0o700 });
  }
  const shipped = await snaplog(configPath, ['ship', '--once']);
  if (shipped.code !== 0) throw new Error(`snaplog ship --once exited ${shipped.code}: ${shipped.stderr}`);

  // The writer.
  const worker = new Worker(new URL('./support/writer-worker.mjs', import.meta.url), { workerData: { socket: server.socket } });
  onCleanup(() => worker.terminate());
  const samplesPromise = new Promise((resolve, reject) => {
    worker.on('message', (message) => {
      if (message.type === 'samples') resolve(message);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`writer thread exited (${code}) before reporting`)));
  });
  samplesPromise.catch(() => undefined); // awaited later; a rejection meanwhile (cleanup) is not "unhandled".
  await new Promise((resolve, reject) => {
    worker.once('message', (message) => (message.type === 'ready' ? resolve() : reject(new Error('writer did not start'))));
    worker.once('error', reject);
  });
  log(NAME, `writer running; quiet ${quietMs / 1000} s, then ${cycles} cycles (snapshot ${snapshotMs} ms, pause ${pauseMs} ms)`);
  const runStart = clock();
  await sleep(quietMs);

  const cyclesOut = [];
  for (let i = 0; i < 2 * cycles; i++) {
    const postKind = i % 2 === 0 ? 'fifo' : 'cli';
    if (isStopping()) throw new Error('stopped by a signal');
    const freezeRun = await snaplog(configPath, ['freeze', '--json']);
    const freeze = parseJson(freezeRun, `snaplog freeze (cycle ${i + 1})`);
    const holderPid = holderPidFromState(ipcFolder);
    registerPid(holderPid, 'freeze holder');
    const freezeReturned = clock();
    if (snapshotMs > 0) await sleep(snapshotMs);
    else await sleep(0);
    const thawCalled = clock();
    const thawRun = await runScript(postScripts[postKind]);
    forgetPid(holderPid);
    if (thawRun.code !== 0 || !thawRun.stdout.includes(`thawed snapshot ${freeze.snapshotId}`)) {
      throw new Error(`post hook ${postKind} (cycle ${i + 1}) exited ${thawRun.code}: ${thawRun.stderr.trim() || thawRun.stdout.trim()}`);
    }
    const gapMs = thawCalled - freezeReturned;
    const cycle = {
      snapshotId: freeze.snapshotId,
      postKind,
      freezeWallMs: freezeRun.ms,
      preStepMs: freeze.preStepMs,
      stepsMs: freeze.stepsMs,
      shippedBy: freeze.shippedBy,
      gapMs,
      thawWallMs: thawRun.ms,
      window: [freezeRun.started, thawRun.ended],
      freezeReturned,
      thawCalled,
      fastReleased: thawRun.stdout.includes('(released by the post hook)'),
    };
    cyclesOut.push(cycle);
    log(
      NAME,
      `cycle ${i + 1}/${2 * cycles} (${postKind}): freeze ${round(cycle.freezeWallMs, 0)} ms (preStepMs ${cycle.preStepMs}), gap ${round(gapMs, 1)} ms, post hook ${round(cycle.thawWallMs, 0)} ms`,
    );
    // Baseline of the CLI itself, same run, same load: a `snaplog thaw` with nothing frozen (node start,
    // config, state file, exit) — the floor of any hook that runs the CLI.
    const noopRun = await snaplog(configPath, ['thaw', '--json']);
    const noop = parseJson(noopRun, `snaplog thaw with nothing frozen (cycle ${i + 1})`);
    if (noop.outcome !== 'nothing-frozen') throw new Error(`no-op thaw (cycle ${i + 1}): outcome ${noop.outcome}`);
    cycle.noopCliWallMs = noopRun.ms;
    if (i < 2 * cycles - 1) await sleep(pauseMs);
  }
  await sleep(quietMs);
  worker.postMessage('stop');
  const writer = await samplesPromise;
  const runEnd = clock();
  if (writer.errors > 0) log(NAME, `writer: ${writer.errors} failed INSERTs (last: ${writer.lastError})`);

  // Place every commit against the freeze windows.
  const windows = cyclesOut.map((cycle) => cycle.window);
  const during = [];
  const outside = [];
  const stallPerCycle = cyclesOut.map(() => 0);
  let duringMs = 0;
  for (const [from, to] of windows) duringMs += to - from;
  for (let k = 0; k < writer.starts.length; k++) {
    const start = writer.starts[k];
    const latency = writer.latencies[k];
    const end = start + latency;
    let hit = -1;
    for (let w = 0; w < windows.length; w++) {
      if (start <= windows[w][1] && end >= windows[w][0]) {
        hit = w;
        break;
      }
    }
    if (hit >= 0) {
      during.push(latency);
      if (latency > stallPerCycle[hit]) stallPerCycle[hit] = latency;
    } else outside.push(latency);
  }
  if (during.length === 0 || outside.length === 0) throw new Error(`not enough writer samples (during ${during.length}, outside ${outside.length})`);

  // The snapshot records in the archive (written by the holder) must agree with thaw's frozenMs.
  const systems = readdirSync(archivePath).filter((entry) => !entry.startsWith('.'));
  const records = new Map();
  for (const system of systems) {
    for (const file of readdirSync(join(archivePath, system, 'snapshots')).filter((name) => name.endsWith('.json'))) {
      const record = JSON.parse(readFileSync(join(archivePath, system, 'snapshots', file), 'utf8'));
      records.set(record.id, record);
    }
  }
  for (const cycle of cyclesOut) {
    const record = records.get(cycle.snapshotId);
    cycle.recordStatus = record?.status;
    cycle.frozenMs = record?.frozenMs;
    cycle.beyondMs = record?.frozenMs - cycle.gapMs;
    cycle.writerStallMs = stallPerCycle[cyclesOut.indexOf(cycle)];
    cycle.stallBeyondMs = cycle.writerStallMs - cycle.gapMs;
    // Where the lock time goes (wall clock, ms precision of the record): held before freeze returned,
    // and held after thaw was called.
    if (record?.frozenAt && record?.thawedAt) {
      cycle.lockedBeforeFreezeReturnedMs = cycle.freezeReturned - Date.parse(record.frozenAt);
      cycle.lockedAfterThawCalledMs = Date.parse(record.thawedAt) - cycle.thawCalled;
    }
  }
  // Post script start → the first writer commit that completes after it: the lock as the application sees it end.
  const ends = [];
  for (let k = 0; k < writer.starts.length; k++) ends.push(writer.starts[k] + writer.latencies[k]);
  ends.sort((a, b) => a - b);
  for (const cycle of cyclesOut) {
    const first = ends.find((end) => end > cycle.thawCalled);
    cycle.scriptToFirstCommitMs = first === undefined ? undefined : first - cycle.thawCalled;
  }
  const missing = cyclesOut.filter((cycle) => cycle.recordStatus !== 'thawed');
  if (missing.length) throw new Error(`snapshot records not thawed: ${missing.map((cycle) => `${cycle.snapshotId}=${cycle.recordStatus}`).join(', ')}`);

  const pick = (key, kind) =>
    cyclesOut
      .filter((cycle) => kind === undefined || cycle.postKind === kind)
      .map((cycle) => cycle[key])
      .filter((v) => v !== undefined);
  const freezeWall = stats(pick('freezeWallMs'));
  const preStep = stats(pick('preStepMs'));
  const beyond = stats(pick('beyondMs', 'fifo'));
  const beyondCli = stats(pick('beyondMs', 'cli'));
  const toCommit = stats(pick('scriptToFirstCommitMs', 'fifo'));
  const toCommitCli = stats(pick('scriptToFirstCommitMs', 'cli'));
  const stall = stats(pick('stallBeyondMs', 'fifo'));
  const gap = stats(pick('gapMs'));
  const noopCli = stats(pick('noopCliWallMs'));
  const lockedBefore = stats(pick('lockedBeforeFreezeReturnedMs'));
  const lockedAfter = stats(pick('lockedAfterThawCalledMs', 'fifo'));
  const lockedAfterCli = stats(pick('lockedAfterThawCalledMs', 'cli'));
  const fastReleased = cyclesOut.filter((cycle) => cycle.postKind === 'fifo' && cycle.fastReleased).length;
  // Where the pre-step's time goes (freeze --json stepsMs), and what is left of the wall time: exit and spawn.
  const stepNames = ['start', 'archive', 'list', 'flush', 'ship', 'lock', 'lockGranted'];
  const steps = Object.fromEntries(stepNames.map((name) => [name, stats(cyclesOut.map((cycle) => cycle.stepsMs?.[name]).filter((v) => v !== undefined))]));
  steps.rest = stats(cyclesOut.filter((cycle) => cycle.stepsMs).map((cycle) => cycle.freezeWallMs - cycle.preStepMs - cycle.stepsMs.start));
  const breakdown = [...stepNames, 'rest'].map((name) => `${name} ${steps[name].p50}/${steps[name].p99}`).join(', ');
  const latDuring = stats(during);
  const latOutside = stats(outside);
  const outsideMs = runEnd - runStart - duringMs;
  const commitsPerSecDuring = during.length / (duringMs / 1000);
  const commitsPerSecOutside = outside.length / (outsideMs / 1000);

  const figures = [
    figure({
      name: 'pre-step: freeze wall time p50',
      value: freezeWall.p50,
      unit: 'ms',
      baseline: noopCli.p50,
      ratio: freezeWall.p50 / noopCli.p50,
      goal: '< 1000 ms',
      pass: freezeWall.p50 < 1000,
      note: 'baseline: no-op `snaplog thaw` wall time (CLI start-up), same run',
    }),
    figure({
      name: 'pre-step: freeze wall time p99',
      value: freezeWall.p99,
      unit: 'ms',
      baseline: noopCli.p99,
      ratio: freezeWall.p99 / noopCli.p99,
      goal: '< 1000 ms',
      pass: freezeWall.p99 < 1000,
      note: `preStepMs (inside the command) p50 ${preStep.p50} ms, p99 ${preStep.p99} ms`,
    }),
    figure({
      name: 'pre-step breakdown p50/p99 (ms)',
      value: steps.ship.p99,
      unit: 'ms',
      goal: 'info',
      note: `${breakdown} (start = process start → pre-step: runtime, config, engine; lock = go → lock recorded; lockGranted = the database's lock call; rest = exit + spawn)`,
    }),
    figure({
      name: 'lock held beyond the snapshot p50 (post script start → first commit)',
      value: toCommit.p50,
      unit: 'ms',
      baseline: toCommitCli.p50,
      ratio: toCommit.p50 / toCommitCli.p50,
      goal: '< 20 ms',
      pass: toCommit.p50 < 20,
      note: 'baseline: the same post script without the FIFO fast path (exec snaplog thaw), same run',
    }),
    figure({
      name: 'lock held beyond the snapshot p99 (post script start → first commit)',
      value: toCommit.p99,
      unit: 'ms',
      baseline: toCommitCli.p99,
      ratio: toCommit.p99 / toCommitCli.p99,
      goal: '< 20 ms',
      pass: toCommit.p99 < 20,
      note: `${fastReleased}/${toCommit.n} released by the FIFO before snaplog thaw; max ${toCommit.max} vs ${toCommitCli.max} ms`,
    }),
    figure({
      name: "lock released after the post script starts p99 (the holder's confirmed release)",
      value: lockedAfter.p99,
      unit: 'ms',
      baseline: lockedAfterCli.p99,
      ratio: lockedAfter.p99 / lockedAfterCli.p99,
      goal: 'info',
      note: `p50 ${lockedAfter.p50} vs ${lockedAfterCli.p50} ms; the first-commit figure adds the blocked commit's own latency (its fsync): commits outside freezes max ${latOutside.max} ms`,
    }),
    figure({
      name: 'lock held beyond the snapshot p50 (frozenMs − gap)',
      value: beyond.p50,
      unit: 'ms',
      baseline: beyondCli.p50,
      ratio: beyond.p50 / beyondCli.p50,
      goal: '< 50 ms',
      pass: beyond.p50 < 50,
      note: 'fast-path post script; baseline: without the fast path',
    }),
    figure({
      name: 'lock held beyond the snapshot p99 (frozenMs − gap)',
      value: beyond.p99,
      unit: 'ms',
      baseline: beyondCli.p99,
      ratio: beyond.p99 / beyondCli.p99,
      goal: '< 50 ms',
      pass: beyond.p99 < 50,
      note: `gap p99 ${gap.p99} ms; of frozenMs, p50 ${lockedBefore.p50} ms before freeze returned and ${lockedAfter.p50} ms after the post hook started`,
    }),
    figure({
      name: 'writer stall beyond the snapshot p99 (longest commit − gap)',
      value: stall.p99,
      unit: 'ms',
      goal: 'info',
      note: `fast-path post script; p50 ${stall.p50} ms`,
    }),
    figure({
      name: 'writer commit latency p99 during freezes',
      value: latDuring.p99,
      unit: 'ms',
      baseline: latOutside.p99,
      ratio: latDuring.p99 / latOutside.p99,
      goal: 'info',
      note: `baseline: commits outside freeze windows; max ${latDuring.max} vs ${latOutside.max} ms`,
    }),
  ];
  return {
    figures,
    cycles,
    preStepWallMs: freezeWall,
    preStepMs: preStep,
    lockBeyondSnapshotMs: beyond,
    lockBeyondSnapshotCliMs: beyondCli,
    postScriptToFirstCommitMs: { fifo: toCommit, cli: toCommitCli },
    preStepBreakdownMs: steps,
    fastReleased,
    writerStallBeyondSnapshotMs: stall,
    frozenMs: stats(pick('frozenMs', 'fifo')),
    gapMs: gap,
    thawWallMs: stats(pick('thawWallMs')),
    noopCliWallMs: noopCli,
    lockedBeforeFreezeReturnedMs: lockedBefore,
    lockedAfterThawCalledMs: lockedAfter,
    lockedAfterThawCalledCliMs: lockedAfterCli,
    commitLatencyMs: { duringFreezes: latDuring, withoutFreezes: latOutside, ratioP99: round(latDuring.p99 / latOutside.p99) },
    commitsPerSecond: { duringFreezes: round(commitsPerSecDuring, 0), withoutFreezes: round(commitsPerSecOutside, 0) },
    loadAverage: (await import('node:os')).loadavg().map((value) => round(value, 2)),
    pass: freezeWall.p99 < 1000 && toCommit.p99 < 20,
    details: {
      snapshotMs,
      pauseMs,
      quietMs,
      writerErrors: writer.errors,
      perCycle: cyclesOut.map(({ window, freezeReturned, thawCalled, ...cycle }) =>
        Object.fromEntries(Object.entries(cycle).map(([key, value]) => [key, typeof value === 'number' ? round(value, 2) : value])),
      ),
    },
  };
});
