import type { Archive } from '../archive/archive.js';
import { SnaplogError } from '../errors.js';
import type { Engine } from '../engines/types.js';
import { spawn } from 'node:child_process';
import { readShipStatus } from '../ship/status-file.js';
import { isProcessAlive } from './state.js';
import { sleep } from './deadline.js';

export interface ShipThroughOptions {
  engine: Engine;
  archive: Archive;
  ipcFolder: string;
  /** argv that runs snaplog with the same config ([node, bin/snaplog, --config F]); `ship --once` is appended. */
  snaplogCommand: string[];
  /** The log the pre-step just closed: it and every log before it must be archived. */
  closedLog: string;
  deadlineMs: number;
}

const SERVICE_GRACE_MS = 10_000;

/**
 * Makes sure every log up to the one just closed is in the archive. A running ship service sees the new
 * file within moments, so give it a short grace; then ship in a child `snaplog ship --once` (publishing
 * is race-safe: both writers link the same bytes, the second finds them and compares checksums). The
 * child, not this process, does the archive writes: a write blocked on a hung NFS server cannot be
 * interrupted, and would keep the hook itself from exiting.
 */
export async function shipThrough(options: ShipThroughOptions): Promise<{ by: 'service' | 'freeze' }> {
  const systemId = await options.engine.systemId();
  const status = await readShipStatus(options.ipcFolder);
  if (status?.mode === 'service' && isProcessAlive(status.pid)) {
    const graceEnd = Date.now() + Math.min(SERVICE_GRACE_MS, (options.deadlineMs - Date.now()) / 2);
    while (Date.now() < graceEnd) {
      if (await allArchivedThrough(options, systemId)) return { by: 'service' };
      await sleep(100);
    }
  }
  await runShipOnce(options);
  if (!(await allArchivedThrough(options, systemId))) {
    throw new SnaplogError(`logs up to ${options.closedLog} are not all in the archive after shipping`, { hint: 'run snaplog ship --once and read its error' });
  }
  return { by: 'freeze' };
}

function runShipOnce(options: ShipThroughOptions): Promise<void> {
  const [executable, ...args] = options.snaplogCommand;
  return new Promise((resolve, reject) => {
    const child = spawn(executable!, [...args, 'ship', '--once', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.unref();
      reject(new SnaplogError('shipping to the archive did not finish in time (is the NFS share hanging?)', { hint: 'check the archive mount; the freeze was undone' }));
    }, Math.max(0, options.deadlineMs - Date.now()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new SnaplogError(`shipping to the archive failed: ${stderr.trim().replace(/^snaplog: /, '')}`, { hint: 'the freeze was undone; fix the archive and retry' }));
    });
  });
}

async function allArchivedThrough(options: ShipThroughOptions, systemId: string): Promise<boolean> {
  const source = await options.engine.listSourceLogs();
  const closed = source.find((log) => log.name === options.closedLog);
  if (!closed) return false;
  const archived = new Set((await options.archive.listLogs(systemId)).filter((log) => log.metadata).map((log) => log.name));
  return source.filter((log) => log.closed && (log.stream !== closed.stream || log.sequence <= closed.sequence)).every((log) => archived.has(log.name));
}
