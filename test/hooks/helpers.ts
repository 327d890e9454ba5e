/**
 * Shared set-up for the hooks tests: a throw-away root folder and a fake snaplog — a small sh script that
 * records its argv and exits with $FAKE_SNAPLOG_EXIT. The real freeze/thaw is tested in test/freeze.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sandbox {
  /** Stands for / (--root). */
  root: string;
  /** Outside root: the fake snaplog and its log live here (a path with a space and a quote). */
  outside: string;
  fakeSnaplog: string;
  /** What the planners get: like [node, bin/snaplog]. */
  snaplogCommand: string[];
  /** A config path with a space and a quote in it, baked into the scripts. */
  configPath: string;
  log: string;
  cleanup(): Promise<void>;
}

const FAKE_SNAPLOG = `#!/bin/sh
# fake snaplog for the hooks tests: records argv, prints to stdout, fails on request
{ for arg in "$@"; do printf '[%s]' "$arg"; done; printf '\\n'; } >> "$FAKE_SNAPLOG_LOG"
code=\${FAKE_SNAPLOG_EXIT:-0}
printf 'fake snaplog ran: %s\\n' "$*"
printf 'fake snaplog pid %s\\n' "$$"
if [ "$code" != 0 ]; then printf 'fake snaplog: failing with exit %s\\n' "$code" >&2; fi
exit "$code"
`;

export async function makeSandbox(): Promise<Sandbox> {
  const base = await mkdtemp(join(tmpdir(), 'snaplog-hooks-'));
  const root = join(base, 'root');
  const outside = join(base, "snap log's tools");
  await mkdir(root);
  await mkdir(outside);
  const fakeSnaplog = join(outside, 'fake snaplog');
  await writeFile(fakeSnaplog, FAKE_SNAPLOG);
  await chmod(fakeSnaplog, 0o755);
  const configPath = join(outside, "snap log's.conf");
  await writeFile(configPath, '[workload]\nworkload_name = mariadb\n\n[archive]\npath = /nonexistent\n');
  return {
    root,
    outside,
    fakeSnaplog,
    snaplogCommand: ['/bin/sh', fakeSnaplog],
    configPath,
    log: join(outside, 'argv.log'),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

export interface ScriptRun {
  status: number | null;
  /** The pid of the process the "agent" started. */
  pid: number;
  stdout: string;
  stderr: string;
  /** One entry per fake snaplog call: its argv. */
  calls: string[][];
}

/**
 * Runs a hook as its product does, with the minimal environment a backup agent gives (no PATH, no HOME):
 * `argv[0]` is the program (`/bin/sh` for Azure, the script itself for the others).
 */
export async function runHook(sandbox: Sandbox, argv: string[], exitCode = 0): Promise<ScriptRun> {
  await rm(sandbox.log, { force: true });
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('runHook: empty argv');
  const result = spawnSync(program, args, {
    env: { FAKE_SNAPLOG_LOG: sandbox.log, FAKE_SNAPLOG_EXIT: String(exitCode) },
    cwd: sandbox.outside,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) throw result.error;
  const logText = await readFile(sandbox.log, 'utf8').catch(() => '');
  const calls = logText
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => [...line.matchAll(/\[([^\]]*)\]/g)].map((match) => match[1] ?? ''));
  return { status: result.status, pid: result.pid, stdout: result.stdout, stderr: result.stderr, calls };
}
