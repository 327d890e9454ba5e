import type { ServerDialect } from '../dialect.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { writeNewFile } from '../../../safe-files.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
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
  /** The source's tools (a MySQL source: mysqlbinlog | mysql — mariadb-binlog cannot read MySQL 8 compressed transactions). */
  tools?: Pick<ServerDialect, 'binlogTool' | 'clientTool'>;
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
  await writeNewFile(path, `${lines.join('\n')}\n`, 0o600);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

interface Exit {
  code: number | null;
  stderr: string;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * The single-session fallback: `mariadb-binlog … | mariadb` — one client session for the whole chain, so
 * temporary tables and transactions that span a rotation survive. Argument arrays only, no shell.
 */
export async function applyThroughPipe(request: PipeApplyRequest): Promise<void> {
  const bin = (name: string): string => (request.commandPath ? join(request.commandPath, name) : name);
  const options = await clientOptionsFile(request.endpoint);
  try {
    const tools = request.tools ?? { binlogTool: 'mariadb-binlog', clientTool: 'mariadb' };
    const dump = spawn(bin(tools.binlogTool), binlogDumpArgs(request), { stdio: ['ignore', 'pipe', 'pipe'] });
    const client = spawn(bin(tools.clientTool), [`--defaults-extra-file=${options.path}`, '--binary-mode', '--batch'], {
      stdio: [dump.stdout!, 'ignore', 'pipe'],
    });
    // The client owns the pipe now; the parent's end would keep the dump from ever closing.
    dump.stdout!.destroy();
    const [dumped, applied] = await Promise.all([exitOf(dump), exitOf(client)]);
    if (applied.code !== 0) {
      throw new SnaplogError(`replay through ${tools.clientTool} failed: ${applied.stderr.trim()}`, {
        hint: 'the statements before the failing one are applied; fix the cause, then re-run with --resume',
      });
    }
    if (dumped.code !== 0) throw new SnaplogError(`${tools.binlogTool} failed: ${dumped.stderr.trim()}`, { hint: 'run snaplog verify on the archive' });
  } finally {
    await options.cleanup();
  }
}
