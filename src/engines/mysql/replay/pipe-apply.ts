import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { SnaplogError } from '../../../errors.js';
import type { MysqlEndpoint } from '../connection.js';

export interface PipeApplyRequest {
  endpoint: MysqlEndpoint;
  /** Fetched, checked logs in order. */
  paths: string[];
  startPosition: number;
  /** Offset in the last log where replay stops; undefined = to its end. */
  stopPosition?: number;
  /** Do not write the replayed statements to the target's own binlog. */
  disableLogBin?: boolean;
  commandPath?: string;
}

/** The `mariadb-binlog` argv for one continuous replay: start offset applies to the first file, stop to the last. */
export function binlogDumpArgs(request: Pick<PipeApplyRequest, 'paths' | 'startPosition' | 'stopPosition' | 'disableLogBin'>): string[] {
  return [
    `--start-position=${request.startPosition}`,
    ...(request.stopPosition !== undefined ? [`--stop-position=${request.stopPosition}`] : []),
    ...(request.disableLogBin ? ['--disable-log-bin'] : []),
    ...request.paths,
  ];
}

/** Client options in a 0600 file so the password never reaches a command line. */
async function clientOptionsFile(endpoint: MysqlEndpoint): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'snaplog-client-'));
  const path = join(dir, 'client.cnf');
  const lines = ['[client]', `user=${endpoint.user}`];
  if (endpoint.password !== undefined) lines.push(`password="${endpoint.password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  if (endpoint.socket) lines.push(`socket=${endpoint.socket}`);
  else lines.push(`host=${endpoint.host ?? '127.0.0.1'}`, `port=${endpoint.port}`, 'protocol=TCP');
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The single-session fallback: `mariadb-binlog … | mariadb` — one client session for the whole chain, so
 * temporary tables and transactions that span a rotation survive.
 */
export async function applyThroughPipe(request: PipeApplyRequest): Promise<void> {
  const bin = (name: string): string => (request.commandPath ? join(request.commandPath, name) : name);
  const options = await clientOptionsFile(request.endpoint);
  try {
    const dump = execa(bin('mariadb-binlog'), binlogDumpArgs(request), { buffer: { stdout: false, stderr: true }, stdin: 'ignore' });
    const client = execa(bin('mariadb'), [`--defaults-extra-file=${options.path}`, '--binary-mode', '--batch'], { stdin: dump.stdout!, buffer: true, reject: false });
    const [dumped, applied] = await Promise.allSettled([dump, client]);
    if (applied.status === 'fulfilled' && applied.value.exitCode !== 0) {
      throw new SnaplogError(`replay through mariadb failed: ${String(applied.value.stderr).trim()}`, {
        hint: 'the statements before the failing one are applied; fix the cause, then re-run with --resume',
      });
    }
    if (dumped.status === 'rejected') throw new SnaplogError(`mariadb-binlog failed: ${(dumped.reason as Error).message}`, { hint: 'run snaplog verify on the archive' });
    if (applied.status === 'rejected') throw applied.reason;
  } finally {
    await options.cleanup();
  }
}
