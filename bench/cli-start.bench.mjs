// Benchmark: CLI start-up, the bundled CLI against the unbundled build, side by side in one run.
//
//   baseline  `node bin/snaplog …` with SNAPLOG_UNBUNDLED=1: tsc's output, one module file at a time (the
//             build as it was before the bundle); and when SNAPLOG_BENCH_CLI_BASELINE names another
//             build's bin/snaplog (e.g. a checkout of the commit before this work, built), that one too
//   measured  `node bin/snaplog …`: the bundle in dist/bundle (`npm run build`)
//
// Commands: `--version`, `status` (with a config whose archive is an empty temp folder and whose
// database socket does not exist: status reports it, exit code ignored) and a no-op `thaw` (nothing
// frozen), wall time from spawn to exit.
// Rounds alternate the order (baseline, bundled | bundled, baseline). Goal: p50 bundled ≤ 60 % of baseline.
// Every run's output is checked: the same version string, status output of the same shape.
//
// Env: SNAPLOG_BENCH_CLI_ROUNDS (21, scaled by SNAPLOG_BENCH_SCALE, at least 5), SNAPLOG_BENCH_CLI_BASELINE.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envScaled, figure, log, makeTempDir, median, now, percentile, round, runBench, ROOT, SNAPLOG_BIN } from './support/common.mjs';

const NAME = 'cli-start';
const GOAL = 0.6;

/** One CLI run: wall time from spawn to exit, and what it printed. */
function timeRun(bin, args, env) {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: now() - started, code, output }));
  });
}

await runBench(NAME, async () => {
  const rounds = Math.max(5, Math.round(envScaled('SNAPLOG_BENCH_CLI_ROUNDS', 21)));
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) throw new Error('dist/bundle/main.js is missing: build first (npm run build)');
  const external = process.env.SNAPLOG_BENCH_CLI_BASELINE;
  if (external && !existsSync(external)) throw new Error(`SNAPLOG_BENCH_CLI_BASELINE=${external}: no such file`);
  const baselines = [
    { key: 'unbundled', label: 'unbundled (tsc output, SNAPLOG_UNBUNDLED=1)', bin: SNAPLOG_BIN, env: { SNAPLOG_UNBUNDLED: '1' } },
    ...(external ? [{ key: 'earlier', label: `earlier build ${external}`, bin: external, env: {} }] : []),
  ];
  const bundled = { label: 'bundled', bin: SNAPLOG_BIN, env: { SNAPLOG_UNBUNDLED: '' } };

  const dir = makeTempDir('cli-start');
  const config = join(dir, 'snaplog.conf');
  writeFileSync(config, `[workload]\nworkload_name = mariadb\n\n[mysql]\nsocket = ${join(dir, 'no-such.sock')}\n\n[archive]\npath = ${join(dir, 'archive')}\n`);
  const commands = [
    { name: '--version', args: ['--version'], check: (run) => /^\d+\.\d+\.\d+\s*$/.test(run.output) && run.code === 0 },
    { name: 'status', args: ['status', '--config', config], check: (run) => run.output.length > 0 && run.code !== null },
    // What a backup agent's post hook starts while the database waits (nothing frozen here: a no-op).
    { name: 'thaw', args: ['thaw', '--config', config], check: (run) => run.code === 0 },
  ];

  const figures = [];
  const details = {};
  for (const command of commands)
    for (const baseline of baselines) {
      // One unmeasured run each: the page cache holds every file either way.
      const warm = [await timeRun(baseline.bin, command.args, baseline.env), await timeRun(bundled.bin, command.args, bundled.env)];
      if (warm[0].output.split('\n')[0] !== warm[1].output.split('\n')[0] || warm[0].code !== warm[1].code) {
        const shown = (run, label) => `--- ${label} (exit ${run.code})\n${run.output}`;
        throw new Error(`${command.name}: the bundled CLI answers differently:\n${shown(warm[0], 'baseline')}\n${shown(warm[1], 'bundled')}`);
      }
      const samples = { baseline: [], bundled: [] };
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ['baseline', 'bundled'] : ['bundled', 'baseline'];
        for (const kind of order) {
          const variant = kind === 'baseline' ? baseline : bundled;
          const run = await timeRun(variant.bin, command.args, variant.env);
          if (!command.check(run)) throw new Error(`${command.name} (${variant.label}): unexpected result, exit ${run.code}: ${run.output}`);
          samples[kind].push(run.ms);
        }
      }
      const p50 = { baseline: median(samples.baseline), bundled: median(samples.bundled) };
      const ratio = p50.bundled / p50.baseline;
      log(NAME, `${command.name}: bundled p50 ${round(p50.bundled, 1)} ms, ${baseline.label} p50 ${round(p50.baseline, 1)} ms, ratio ${round(ratio, 3)}`);
      figures.push(
        figure({
          name: `CLI start: snaplog ${command.name}, wall time p50, bundled vs ${baseline.key === 'earlier' ? 'the earlier build' : 'unbundled'}`,
          value: p50.bundled,
          unit: 'ms',
          baseline: p50.baseline,
          ratio,
          goal: `ratio ≤ ${GOAL}`,
          pass: ratio <= GOAL,
          note:
            `${rounds} alternating rounds; p90 ${round(percentile(samples.bundled, 90), 1)} vs ${round(percentile(samples.baseline, 90), 1)} ms; ` +
            `baseline: ${baseline.label}`,
        }),
      );
      const rounded = (values) => values.map((ms) => round(ms, 1));
      details[`${command.name} vs ${baseline.key}`] = { bundledMs: rounded(samples.bundled), baselineMs: rounded(samples.baseline) };
    }

  // Node's own start-up, for scale: what no bundling can remove.
  const bare = [];
  for (let r = 0; r < rounds; r++) bare.push((await timeRun('-e', ['0'], {})).ms);
  const nodeOnly = median(bare);
  const floor = 'CLI start: `node -e 0` (Node itself), wall time p50';
  figures.push(figure({ name: floor, value: nodeOnly, unit: 'ms', goal: 'info', note: 'the floor under the figures above' }));
  return { figures, rounds, baselines: baselines.map((baseline) => baseline.label), nodeOnlyMs: round(nodeOnly, 1), details };
});
