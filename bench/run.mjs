#!/usr/bin/env node
// Runs every benchmark in bench/ (each bench/*.bench.mjs, one after the other, each in its own child
// process), collects the final `{"bench":…}` JSON line of each, and writes bench/results.json and
// bench/results.md. Run after a build: `npx tsc -p tsconfig.json && node bench/run.mjs` (`npm run bench`).
//
//   node bench/run.mjs                 every benchmark
//   node bench/run.mjs ship freeze     only these (or SNAPLOG_BENCH_ONLY=ship,freeze)
//   node bench/run.mjs --markdown      rewrite bench/results.md from bench/results.json, run nothing
//
// Env: SNAPLOG_BENCH_SCALE (multiplies every size/duration default: 0.1 for a quick check, ~1 min),
// SNAPLOG_BENCH_GIB (size of the shared binlogs, default 1), SNAPLOG_BENCH_TIMEOUT_S (per benchmark,
// default 600), SNAPLOG_BENCH_KEEP_BINLOGS=1 (keep /tmp/snaplog-bench-binlogs for another run); each
// benchmark documents its own variables at its top.
//
// The binlogs that ship and scan share are generated first (bench/support/generate-binlogs.mjs), as a
// setup step of their own, and deleted at the end. Exit code 1 when a benchmark failed to run; a missed
// goal is reported, not an error.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, envList, envNumber, machine, round } from './support/common.mjs';
import { BINLOG_CACHE_DIR } from './support/generate-binlogs.mjs';

/** Benchmarks that read the shared binlogs; they run first, in this order. */
const USES_BINLOGS = ['ship', 'scan'];
const PREFERRED_ORDER = ['ship', 'scan', 'freeze'];
const timeoutMs = envNumber('SNAPLOG_BENCH_TIMEOUT_S', 600) * 1000;
const keepBinlogs = process.env.SNAPLOG_BENCH_KEEP_BINLOGS === '1';

const available = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith('.bench.mjs'))
  .map((file) => ({ name: file.slice(0, -'.bench.mjs'.length), file: join(BENCH_DIR, file) }))
  .sort((a, b) => {
    const rank = (name) => (PREFERRED_ORDER.includes(name) ? PREFERRED_ORDER.indexOf(name) : PREFERRED_ORDER.length);
    return rank(a.name) - rank(b.name) || a.name.localeCompare(b.name);
  });
const markdownOnly = process.argv.includes('--markdown');
const names = process.argv.slice(2).filter((arg) => arg !== '--markdown');
const wanted = names.length ? names : envList('SNAPLOG_BENCH_ONLY', []);
const unknown = wanted.filter((name) => !available.some((bench) => bench.name === name));
if (unknown.length) {
  process.stderr.write(`bench/run: no such benchmark: ${unknown.join(', ')} (have: ${available.map((bench) => bench.name).join(', ')})\n`);
  process.exit(2);
}
const selected = wanted.length ? available.filter((bench) => wanted.includes(bench.name)) : available;

// --- child processes: at most one at a time; killed with us ------------------------------------------
let current;
function killCurrent(signal = 'SIGKILL') {
  if (current && current.exitCode === null && current.signalCode === null) {
    try {
      current.kill(signal);
    } catch {
      // gone
    }
  }
}
function removeBinlogCache() {
  if (!keepBinlogs) rmSync(BINLOG_CACHE_DIR, { recursive: true, force: true });
}
process.on('exit', () => {
  killCurrent('SIGKILL');
  removeBinlogCache();
});
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    process.stderr.write(`bench/run: ${signal}: stopping the running benchmark, then writing the results so far\n`);
    // The child cleans up on SIGTERM (servers, temp files); the main loop then stops and writes the
    // results. Last resort: SIGKILL (the 'exit' handler) after 30 s.
    killCurrent('SIGTERM');
    setTimeout(() => process.exit(130), 30_000).unref();
    if (!current) process.exit(130);
  });
}

/** Runs one script; resolves with its exit code, duration and the last `{"bench":…}` (or other JSON) line. */
function runScript(label, file, jsonKey = 'bench') {
  return new Promise((resolve) => {
    const started = Date.now();
    process.stderr.write(`\n=== ${label} (${file}) ===\n`);
    // SNAPLOG_BENCH_SHARED_BINLOGS: the binlog cache is ours to delete (at the end), not the child's.
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SNAPLOG_BENCH_SHARED_BINLOGS: '1' } });
    current = child;
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`bench/run: ${label} exceeded ${timeoutMs / 1000} s: SIGTERM\n`);
      child.kill('SIGTERM');
      setTimeout(() => killCurrent('SIGKILL'), 20_000).unref();
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      let result;
      for (const line of stdout.trim().split('\n').reverse()) {
        try {
          const parsed = JSON.parse(line);
          if (parsed && typeof parsed === 'object' && jsonKey in parsed) {
            result = parsed;
            break;
          }
        } catch {
          // not the result line
        }
      }
      resolve({ code: code ?? (signal ? 128 : 1), signal, timedOut, seconds: round((Date.now() - started) / 1000, 1), result });
    });
  });
}

// --- report ------------------------------------------------------------------------------------------
const fmt = (value, unit) => {
  if (value === undefined || value === null) return '';
  // Three significant digits below 1 (a ratio of 0.0004 must not print as 0).
  const text =
    typeof value === 'number'
      ? String(value !== 0 && Math.abs(value) < 1 ? Number(value.toPrecision(3)) : round(value, value >= 100 ? 1 : value >= 10 ? 2 : 3))
      : String(value);
  return unit ? `${text} ${unit}` : text;
};
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

function markdown(report) {
  const m = report.machine;
  const lines = [
    '# snaplog benchmarks',
    '',
    `Machine: ${m.nproc} CPUs (${m.cpu ?? 'unknown CPU'}), ${m.ramGiB} GiB RAM, kernel ${m.kernel}, node ${m.node}, MariaDB ${m.mariadb ?? '?'}, temp on ${m.tmpFilesystem ?? '?'}; load average at start ${report.loadAverageAtStart.join(' / ')}.`,
    `Date: ${report.date}. Total ${report.totalSeconds} s${report.interrupted ? ` (INTERRUPTED by ${report.interrupted})` : ''}. Every ratio is against a baseline measured in the same run.`,
    ...(report.loadAverageAtStart[0] > 0.5
      ? [
          '',
          `**Noisy run**: the machine was busy at the start (1-minute load ${report.loadAverageAtStart[0]} on ${m.nproc} CPUs); re-run on a quiet machine before reading the figures as the product's.`,
        ]
      : []),
    '',
    '| benchmark | figure | value | baseline | ratio | goal | pass |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const bench of report.benches) {
    const figures = bench.result?.figures;
    if (!bench.ok || !Array.isArray(figures)) {
      lines.push(`| ${cell(bench.name)} | ${bench.ok ? 'no figures reported' : `**FAILED**: ${cell(bench.error ?? `exit ${bench.exitCode}`)}`} | | | | | |`);
      continue;
    }
    for (const f of figures) {
      const baselineUnit = f.baselineUnit && f.baselineUnit !== f.unit ? f.baselineUnit : f.unit;
      const pass = f.pass === true ? 'yes' : f.pass === false ? '**no**' : '';
      const name = f.note ? `${f.name} <br><sub>${f.note}</sub>` : f.name;
      lines.push(
        `| ${cell(bench.name)} | ${cell(name)} | ${cell(fmt(f.value, f.unit))} | ${cell(fmt(f.baseline, f.baseline === undefined ? '' : baselineUnit))} | ${cell(fmt(f.ratio))} | ${cell(f.goal ?? '')} | ${pass} |`,
      );
    }
  }
  if (report.setup.length) {
    lines.push(
      '',
      `Setup: ${report.setup.map((step) => `${step.name} ${step.ok ? `${step.seconds} s` : 'FAILED'}${step.result?.generate ? ` (${round(step.result.generate.totalBytes / 2 ** 20, 1)} MiB of binlogs in ${step.result.generate.files} files${step.result.generate.reused ? ', reused' : ''})` : ''}`).join('; ')}.`,
    );
  }
  lines.push('', 'Details (per-round samples, breakdowns): `bench/results.json`.', '');
  return lines.join('\n');
}

// --- main --------------------------------------------------------------------------------------------
if (markdownOnly) {
  writeFileSync(join(BENCH_DIR, 'results.md'), markdown(JSON.parse(readFileSync(join(BENCH_DIR, 'results.json'), 'utf8'))));
  process.stderr.write('wrote bench/results.md from bench/results.json\n');
  process.exit(0);
}
const startedAt = new Date();
const loadAverageAtStart = os.loadavg().map((value) => round(value, 2));
const report = {
  date: startedAt.toISOString(),
  machine: machine(),
  loadAverageAtStart,
  env: Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('SNAPLOG_BENCH_'))),
  setup: [],
  benches: [],
};
let failed = false;
try {
  if (selected.some((bench) => USES_BINLOGS.includes(bench.name)) && !interrupted) {
    const generate = await runScript('generate shared binlogs', join(BENCH_DIR, 'support', 'generate-binlogs.mjs'), 'generate');
    const ok = generate.code === 0;
    report.setup.push({ name: 'generate-binlogs', ok, seconds: generate.seconds, result: generate.result });
    // On failure the benchmarks that need the binlogs try again themselves and report the error.
  }
  for (const bench of selected) {
    if (interrupted) break;
    const outcome = await runScript(bench.name, bench.file);
    const ok = outcome.code === 0 && outcome.result?.ok !== false && outcome.result !== undefined;
    if (!ok) failed = true;
    report.benches.push({
      name: bench.name,
      file: `bench/${bench.name}.bench.mjs`,
      ok,
      exitCode: outcome.code,
      seconds: outcome.seconds,
      ...(outcome.timedOut
        ? { error: `timed out after ${timeoutMs / 1000} s` }
        : !ok
          ? { error: outcome.result?.error ?? `exit ${outcome.code}, no result line` }
          : {}),
      result: outcome.result,
    });
  }
} finally {
  removeBinlogCache();
  report.totalSeconds = round((Date.now() - startedAt.getTime()) / 1000, 1);
  if (interrupted) report.interrupted = interrupted;
  writeFileSync(join(BENCH_DIR, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(BENCH_DIR, 'results.md'), markdown(report));
}
process.stderr.write(`\n${markdown(report)}\nwrote bench/results.json and bench/results.md\n`);
process.exit(interrupted ? 130 : failed ? 1 : 0);
