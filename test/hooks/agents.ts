/**
 * Runs installed hook scripts the way each backup agent runs them: its arguments, environment and working
 * folder, and for google-guest-agent its timeout, which kills the script's own process and only that one
 * (exec.CommandContext) and then reports the script as timed out. Real child processes, no shell in between.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AgentRun {
  /** The script's exit code; 124 when the agent killed it at its timeout (what google-guest-agent reports). */
  code: number;
  killedByAgent: boolean;
  stdout: string;
  stderr: string;
  startedAt: number;
  /** When the script's own process ended. */
  exitedAt: number;
  /** When the output pipes closed (a leftover child holding them keeps an agent that reads them waiting). */
  pipesClosedAt: number | undefined;
}

/** The environment of a systemd service such as google-guest-agent or vmtoolsd: a plain PATH, nothing else. */
const SERVICE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

function run(argv: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number; pipesWaitMs?: number }): Promise<AgentRun> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('empty argv');
  const startedAt = Date.now();
  const child = spawn(program, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killedByAgent = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          killedByAgent = true;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  let pipesClosedAt: number | undefined;
  child.once('close', () => (pipesClosedAt = Date.now()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const exitedAt = Date.now();
      const finish = (): void => {
        const exitCode = killedByAgent ? 124 : (code ?? (signal ? 128 : 1));
        resolve({ code: exitCode, killedByAgent, stdout, stderr, startedAt, exitedAt, pipesClosedAt });
      };
      // Give the pipes a moment to drain; what matters is whether they close, checked by the caller.
      if (pipesClosedAt !== undefined) finish();
      else {
        const wait = setTimeout(finish, options.pipesWaitMs ?? 2_000);
        child.once('close', () => {
          clearTimeout(wait);
          finish();
        });
      }
    });
  });
}

/** google-guest-agent: `pre.sh|post.sh DISKS` (one argument), from `/`, killed after `timeoutSeconds`. */
export function runAsGcpAgent(script: string, disks: string, timeoutSeconds: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<AgentRun> {
  return run([script, disks], { env: { ...SERVICE_ENV, ...extraEnv }, cwd: '/', timeoutMs: timeoutSeconds * 1000 });
}

/** vmtoolsd (open-vm-tools vmbackup): `/usr/sbin/pre-freeze-script freeze` etc., from `/`. */
export function runAsVmtools(script: string, argument: 'freeze' | 'thaw' | 'freezeFail'): Promise<AgentRun> {
  return run([script, argument], { env: { ...SERVICE_ENV }, cwd: '/' });
}

/** An SSH login's environment after sudo (NAKIVO on EC2/Hyper-V, Veeam with elevation): root's HOME, the sudoer's names. */
function sudoEnv(): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    SUDO_USER: 'backup',
    SUDO_UID: '1000',
    SUDO_GID: '1000',
    TERM: 'dumb',
  };
}

/** NAKIVO off VMware: logs in over SSH and runs `sudo /usr/sbin/pre-freeze-script` with no argument, from the login's home. */
export async function runAsNakivoSsh(script: string): Promise<AgentRun> {
  const home = await mkdtemp(join(tmpdir(), 'snaplog-test-nakivo-home-'));
  try {
    return await run([script], { env: sudoEnv(), cwd: home });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * Veeam: uploads the job's script to the guest's /tmp and runs it from /tmp, without arguments. The job's
 * script is the two-line stub the runbook recommends, which execs the installed one.
 */
export async function runAsVeeam(installedScript: string): Promise<AgentRun> {
  const upload = await mkdtemp(join(tmpdir(), 'snaplog-test-veeam-'));
  const stub = join(upload, 'veeam-script.sh');
  await writeFile(stub, `#!/bin/sh\nexec ${installedScript}\n`);
  await chmod(stub, 0o700);
  try {
    return await run([stub], { env: sudoEnv(), cwd: tmpdir() });
  } finally {
    await rm(upload, { recursive: true, force: true });
  }
}

/** Azure's VMSnapshot extension: `sh SCRIPT` from the extension's folder. */
export async function runAsAzure(script: string): Promise<AgentRun> {
  const extensionDir = await mkdtemp(join(tmpdir(), 'snaplog-test-waagent-'));
  try {
    return await run(['sh', script], { env: { ...SERVICE_ENV }, cwd: extensionDir });
  } finally {
    await rm(extensionDir, { recursive: true, force: true });
  }
}
