// Shared helpers of the benchmarks: cleanup that also runs on errors and signals, timing, percentiles,
// page-cache control, machine facts and the final JSON line every *.bench.mjs prints.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH_DIR, '..');
export const DIST = join(ROOT, 'dist');
export const SNAPLOG_BIN = join(ROOT, 'bin', 'snaplog');
/** Every temp folder of the benchmarks starts with this (the binlog cache is /tmp/snaplog-bench-binlogs). */
export const TEMP_PREFIX = 'snaplog-bench-';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Imports a module of the built code (run `tsc -p tsconfig.json` first). */
export async function importDist(relative) {
  const path = join(DIST, relative);
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npx tsc -p tsconfig.json)`);
  return import(path);
}

export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return value;
}

/** SNAPLOG_BENCH_SCALE (default 1): multiplies every size and duration default, e.g. 0.1 for a quick check. */
export const SCALE = envNumber('SNAPLOG_BENCH_SCALE', 1);

/** A size or duration knob: the variable itself when set, else its default times SNAPLOG_BENCH_SCALE. */
export function envScaled(name, fallback) {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') return envNumber(name, fallback);
  return fallback * SCALE;
}

export function envList(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function log(name, message) {
  process.stderr.write(`[${name}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Cleanup: temp folders, child processes (servers, freeze holders), async finalisers. Runs exactly once,
// from `finally` in the normal path; a synchronous last resort on 'exit' (SIGKILL + rmSync); and on
// SIGINT/SIGTERM/uncaught errors.

const tempDirs = new Set();
const pids = new Map(); // pid -> label
const finalisers = [];
let cleanupPromise;

export function makeTempDir(label) {
  const dir = mkdtempSync(join(os.tmpdir(), `${TEMP_PREFIX}${label}-`));
  tempDirs.add(dir);
  return dir;
}

/**
 * A temp folder for the whole run that also becomes TMPDIR of this process and its children, so that
 * what snaplog's modules create with os.tmpdir() (client option files, install-db temp folders) is
 * removed with it even when a run is interrupted.
 */
export function makeRunDir(label) {
  const dir = makeTempDir(label);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  process.env.TMPDIR = tmp;
  return dir;
}

export function registerTempDir(dir) {
  tempDirs.add(dir);
}

export function forgetTempDir(dir) {
  tempDirs.delete(dir);
}

/** A process to SIGKILL if the benchmark ends before it does (servers, detached holders). */
export function registerPid(pid, label) {
  if (pid) pids.set(pid, label);
}

export function forgetPid(pid) {
  pids.delete(pid);
}

/** An async step of the cleanup (e.g. a clean server stop); runs before the SIGKILL sweep. */
export function onCleanup(fn) {
  finalisers.push(fn);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function killSweep() {
  for (const [pid] of pids) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  pids.clear();
}

function removeTempDirs() {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

/** Runs the cleanup once; every caller (finally, signal handler) waits for the same run to finish. */
export function cleanup() {
  cleanupPromise ??= runCleanup();
  return cleanupPromise;
}

async function runCleanup() {
  for (const fn of finalisers.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`cleanup step failed: ${error?.message ?? error}\n`);
    }
  }
  killSweep();
  // A killed mariadbd may still hold files open for a moment; rm -rf copes with that.
  removeTempDirs();
}

let stopping = false;
let stopReason;
/** True once a signal or the time limit asked the benchmark to stop: long loops check it and bail out. */
export const isStopping = () => stopping;

/** Throws once the run was told to stop (time limit, signal): call it in long loops. */
export function checkpoint() {
  if (stopping) throw new Error(`stopped: ${stopReason ?? 'interrupted'}`);
}

let handlersInstalled = false;
/**
 * Cleanup on 'exit' (synchronous last resort: SIGKILL + rmSync), on SIGINT/SIGTERM/SIGHUP and on an
 * unhandled rejection. Installed by runBench (and the generator's standalone entry), not on import:
 * bench/run.mjs imports this module too and must not exit on the signal it forwards to its child.
 */
export function installProcessHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    killSweep();
    removeTempDirs();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stopReason = `interrupted by ${signal}`;
      process.stderr.write(`received ${signal}: cleaning up\n`);
      void cleanup().finally(() => {
        process.stdout.write(`${JSON.stringify({ bench: running?.name ?? 'unknown', ok: false, error: `interrupted by ${signal}` })}\n`);
        process.exit(130);
      });
    });
  }
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`unhandled rejection: ${error?.stack ?? error}\n`);
    stopping = true;
    void cleanup().finally(() => process.exit(1));
  });
}
let running;

/**
 * Runs a benchmark's main function with cleanup in `finally`, prints the final JSON line (always a
 * `{"bench":…}` object, with `error` when it failed) and exits.
 */
export async function runBench(name, main, { limitSeconds = envNumber('SNAPLOG_BENCH_LIMIT_S', 540) } = {}) {
  installProcessHandlers();
  running = { name };
  let result;
  let code = 0;
  let timer;
  const started = Date.now();
  try {
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => {
        stopping = true;
        stopReason = `time limit of ${limitSeconds} s reached (SNAPLOG_BENCH_LIMIT_S); use smaller sizes`;
        reject(new Error(stopReason));
      }, limitSeconds * 1000);
    });
    result = await Promise.race([main(), limit]);
  } catch (error) {
    code = 1;
    process.stderr.write(`[${name}] FAILED: ${error?.stack ?? error}\n`);
    result = { ok: false, error: String(error?.message ?? error) };
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
  const ok = code === 0 && result?.ok !== false;
  const { ok: _ignored, ...rest } = result ?? {};
  process.stdout.write(`${JSON.stringify({ bench: name, ok, seconds: round((Date.now() - started) / 1000, 1), ...rest })}\n`);
  process.exit(ok ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------------
// Measurement helpers

export const now = () => performance.now();

/** A small deterministic PRNG (mulberry32), so that runs generate the same kind of data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function round(value, digits = 3) {
  if (value === undefined || value === null || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Nearest-rank percentile of `values` (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function median(values) {
  return percentile(values, 50);
}

export const mbps = (bytes, ms) => bytes / MiB / (ms / 1000);
export const gibps = (bytes, ms) => bytes / GiB / (ms / 1000);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** sync + drop the page cache (root only). Returns false when it cannot; the caller then warms instead. */
export async function dropCaches() {
  try {
    await execFileAsync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

export async function syncAll() {
  await execFileAsync('sync');
}

// ---------------------------------------------------------------------------------------------------
// Machine facts for the report

export function machine() {
  let mariadb;
  try {
    mariadb = execFileSync('mariadbd', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^.*Ver\s+/, '')
      .split(' ')[0];
  } catch {
    mariadb = undefined;
  }
  let fs;
  try {
    fs = execFileSync('df', ['-T', os.tmpdir()], { encoding: 'utf8' }).trim().split('\n').pop().split(/\s+/)[1];
  } catch {
    fs = undefined;
  }
  let cpu;
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  } catch {
    cpu = os.cpus()[0]?.model;
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu,
    ramGiB: round(os.totalmem() / GiB, 1),
    kernel: os.release(),
    node: process.version,
    mariadb,
    tmpFilesystem: fs,
    hostname: os.hostname(),
  };
}

/** A figure of the results table. `ratio` is value/baseline (or as described in `note`). */
export function figure({ name, value, unit, baseline, baselineUnit, ratio, goal, pass, note }) {
  const significant = (x) => (typeof x === 'number' && x !== 0 && Math.abs(x) < 0.01 ? Number(x.toPrecision(3)) : round(x));
  return {
    name,
    value: significant(value),
    unit,
    baseline: significant(baseline),
    baselineUnit: baselineUnit ?? unit,
    ratio: significant(ratio),
    goal,
    pass,
    note,
  };
}
