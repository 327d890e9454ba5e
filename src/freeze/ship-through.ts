import type { Archive } from '../archive/archive.js';
import type { Compression } from '../archive/layout.js';
import { SnaplogError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine } from '../engines/types.js';
import { Shipper } from '../ship/shipper.js';
import { readShipStatus } from '../ship/status-file.js';
import { isProcessAlive } from './state.js';
import { sleep } from './deadline.js';

export interface ShipThroughOptions {
  engine: Engine;
  archive: Archive;
  events: EventChannel;
  ipcFolder: string;
  compression: Compression;
  concurrency: number;
  /** The log the pre-step just closed: it and every log before it must be archived. */
  closedLog: string;
  deadlineMs: number;
}

const SERVICE_GRACE_MS = 10_000;

/**
 * Makes sure every log up to the one just closed is in the archive. A running ship service sees the new
 * file within moments, so give it a short grace; then ship directly (publishing is race-safe: both
 * writers link the same bytes, the second finds them there and compares checksums).
 */
export async function shipThrough(options: ShipThroughOptions): Promise<{ by: 'service' | 'freeze'; shipped: string[] }> {
  const systemId = await options.engine.systemId();
  const status = await readShipStatus(options.ipcFolder);
  if (status?.mode === 'service' && isProcessAlive(status.pid)) {
    const graceEnd = Date.now() + Math.min(SERVICE_GRACE_MS, (options.deadlineMs - Date.now()) / 2);
    while (Date.now() < graceEnd) {
      if (await options.archive.readLogMetadata(systemId, options.closedLog).catch(() => undefined)) {
        if (await allArchivedThrough(options, systemId)) return { by: 'service', shipped: [] };
      }
      await sleep(100);
    }
  }
  const shipper = new Shipper(options.engine, options.archive, options.events, { compression: options.compression, concurrency: options.concurrency });
  const result = await shipper.round();
  const closed = (await options.engine.listSourceLogs()).find((log) => log.name === options.closedLog);
  const missing = result.pending.filter((log) => closed === undefined || log.sequence <= closed.sequence);
  if (missing.length > 0) {
    throw new SnaplogError(`logs not in the archive after shipping: ${missing.map((log) => log.name).join(', ')}`, { hint: 'run snaplog ship --once and read its error' });
  }
  return { by: 'freeze', shipped: result.shipped.map((log) => log.name) };
}

async function allArchivedThrough(options: ShipThroughOptions, systemId: string): Promise<boolean> {
  const source = await options.engine.listSourceLogs();
  const closed = source.find((log) => log.name === options.closedLog);
  if (!closed) return false;
  const archived = new Set((await options.archive.listLogs(systemId)).filter((log) => log.metadata).map((log) => log.name));
  return source.filter((log) => log.closed && log.sequence <= closed.sequence).every((log) => archived.has(log.name));
}
