import type { Archive } from '../archive/archive.js';
import { SnaplogError } from '../errors.js';
import type { Engine } from '../engines/types.js';
import { spawn } from 'node:child_process';
import { readShipStatus, SHIP_STATUS_FILE } from '../state/ship-status.js';
import { watchIpcFiles } from './ipc-watch.js';
import { isProcessAlive } from '../state/freeze-state.js';

export interface ShipThroughOptions {
  engine: Engine;
  archive: Archive;
  ipcFolder: string;
  /** argv that runs snaplog with the same config ([node, bin/snaplog, --config F]); `ship --once` is appended. */
  snaplogCommand: string[];
  /** The log the pre-step just closed: it and every log before it must be archived. */
  closedLog: string;
  deadlineMs: number;
  /** The `snaplog ship --once` child started early (prepareShipOnce); started now when absent. */
  prepared?: PreparedShip;
}

const SERVICE_GRACE_MS = 10_000;
/** How often the archive is looked at besides the service's status changes. */
const SERVICE_RECHECK_MS = 500;

/**
 * Makes sure every log up to the one just closed is in the archive. A running ship service sees the new
 * file within moments, so give it a short grace; then ship in a child `snaplog ship --once` (publishing
 * is race-safe: both writers link the same bytes, the second finds them and compares checksums). The
 * child, not this process, does the archive writes: a write blocked on a hung NFS server cannot be
 * interrupted, and would keep the hook itself from exiting.
 */
export async function shipThrough(options: ShipThroughOptions): Promise<{ by: 'service' | 'freeze' }> {
  const systemId = await options.engine.systemId();
  if (await isServiceShipping(options.ipcFolder)) {
    const graceEnd = Date.now() + Math.min(SERVICE_GRACE_MS, (options.deadlineMs - Date.now()) / 2);
    // The service writes its status after every round: look again then (and now and then besides).
    const rounds = watchIpcFiles(options.ipcFolder, [SHIP_STATUS_FILE]);
    try {
      while (Date.now() < graceEnd) {
        if (await allArchivedThrough(options, systemId)) {
          options.prepared?.cancel();
          return { by: 'service' };
        }
        await rounds.next(Math.min(SERVICE_RECHECK_MS, Math.max(0, graceEnd - Date.now())));
      }
    } finally {
      rounds.close();
    }
  }
  await (options.prepared ?? prepareShipOnce(options.snaplogCommand, options.deadlineMs)).go();
  if (!(await allArchivedThrough(options, systemId))) {
    throw new SnaplogError(`logs up to ${options.closedLog} are not all in the archive after shipping`, { hint: 'run snaplog ship --once and read its error' });
  }
  return { by: 'freeze' };
}

/** The ship service runs (its status file names a live pid): it ships a closed log within moments. */
export async function isServiceShipping(ipcFolder: string): Promise<boolean> {
  const status = await readShipStatus(ipcFolder);
  return status?.mode === 'service' && isProcessAlive(status.pid);
}

export interface PreparedShip {
  /** Ships now; resolves when the child has shipped everything closed. */
  go: () => Promise<void>;
  /** Not needed (the service shipped, or the pre-step failed): the child exits without shipping. */
  cancel: () => void;
}

/**
 * Starts `snaplog ship --once --wait-go` now, so that its runtime start, config and archive overlap the
 * pre-step's first steps; it ships on `go`. Bounded by the deadline: killed then.
 */
export function prepareShipOnce(snaplogCommand: string[], deadlineMs: number): PreparedShip {
  const [executable, ...args] = snaplogCommand;
  const child = spawn(executable!, [...args, 'ship', '--once', '--quiet', '--wait-go'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const stdin = child.stdin!;
  stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        child.unref();
        reject(
          new SnaplogError('shipping to the archive did not finish in time (is the NFS share hanging?)', {
            hint: 'check the archive mount; the freeze was undone',
          }),
        );
      },
      Math.max(0, deadlineMs - Date.now()),
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new SnaplogError(`shipping to the archive failed: ${stderr.trim().replace(/^snaplog: /, '') || `exit ${code}`}`, {
            hint: 'the freeze was undone; fix the archive and retry',
          }),
        );
    });
  });
  done.catch(() => undefined);
  return {
    go: () => {
      stdin.end('go\n');
      return done;
    },
    cancel: () => {
      stdin.end();
      child.unref();
    },
  };
}

async function allArchivedThrough(options: ShipThroughOptions, systemId: string): Promise<boolean> {
  const source = await options.engine.listSourceLogs();
  const closed = source.find((log) => log.name === options.closedLog);
  if (!closed) return false;
  const archived = new Set((await options.archive.listLogs(systemId)).filter((log) => log.metadata).map((log) => log.name));
  return source.filter((log) => log.closed && (log.stream !== closed.stream || log.sequence <= closed.sequence)).every((log) => archived.has(log.name));
}
