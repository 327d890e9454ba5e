import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openIpcLogSync } from '../events/ipc-file.js';
import type { SnaplogConfig } from '../config/index.js';
import { openConfiguredArchive } from '../archive/open.js';
import { describeError, SnaplogError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import { ensurePrivateFolder } from '../events/channel.js';
import type { Engine } from '../engines/types.js';
import type { LogPosition } from '../archive/snapshot-record.js';
import { shipThrough } from './ship-through.js';
import { isActive, isHolderProcess, newSnapshotId, readFreezeState, writeFreezeState } from './state.js';
import type { FreezeState } from './state.js';
import { sleep, withDeadline } from './deadline.js';
import { FAIL_SIGNAL, killHolderGroup } from './holder.js';

export class FreezeInProgressError extends SnaplogError {
  constructor(state: FreezeState) {
    super(`a freeze is already in force: snapshot ${state.snapshotId}, ${state.state} since ${state.frozenAt ?? state.startedAt} (holder pid ${state.holderPid ?? state.prePid})`, {
      hint: 'run snaplog thaw to end it (it also ends by itself at the timeout)',
    });
  }
}

export interface FreezeRequest {
  config: SnaplogConfig;
  events: EventChannel;
  engine: Engine;
  /** argv that runs snaplog with this config: [node, bin/snaplog, (--config FILE)]; the holder and the shipping child are started with it. */
  holderCommand: string[];
  product?: string;
  disks?: string[];
}

export interface FreezeResult {
  snapshotId: string;
  position: LogPosition;
  method: string;
  closedLog: string;
  shippedBy: 'service' | 'freeze';
  preStepMs: number;
}

/**
 * The pre-step: close the open log, get it and every earlier one into the archive, then have a
 * detached holder take the lock and record the position. Returns only once the lock is held; on any
 * failure undoes what it did (the holder releases) and throws.
 */
export async function freeze(request: FreezeRequest): Promise<FreezeResult> {
  const { config, events, engine } = request;
  const ipcFolder = config.workload.ipcFolder;
  const timeoutSeconds = config.workload.timeoutSeconds;
  const started = Date.now();
  const deadlineMs = started + timeoutSeconds * 1000;
  await ensurePrivateFolder(ipcFolder);

  const existing = await readFreezeState(ipcFolder);
  if (existing && isActive(existing, await isHolderProcess(existing.holderPid, existing.snapshotId))) throw new FreezeInProgressError(existing);

  const snapshotId = newSnapshotId();
  const state: FreezeState = { state: 'freezing', snapshotId, prePid: process.pid, startedAt: new Date(started).toISOString(), product: request.product };
  await writeFreezeState(ipcFolder, state);
  await events.emit('freeze-start', 'info', { snapshotId, product: request.product, disks: request.disks });

  let holderPid: number | undefined;
  try {
    const archive = await withDeadline(openConfiguredArchive(config), deadlineMs, 'opening the archive', timeoutSeconds);
    const before = await withDeadline(engine.listSourceLogs(), deadlineMs, 'listing the binlogs', timeoutSeconds);
    const listedLast = before[before.length - 1]?.name;
    const switched = await withDeadline(engine.switchLog(), deadlineMs, 'closing the open log', timeoutSeconds);
    const closedLog = typeof switched === 'string' ? switched : listedLast;
    if (!closedLog) throw new SnaplogError('the server lists no log', { hint: 'is binary logging (archiving, journaling) on?' });
    await events.emit('logs-flushed', 'info', { snapshotId, closedLog });

    const shipped = await withDeadline(
      shipThrough({ engine, archive, ipcFolder, snaplogCommand: request.holderCommand, closedLog, deadlineMs }),
      deadlineMs,
      `shipping ${closedLog} to the archive`,
      timeoutSeconds,
    );
    await events.emit('logs-shipped', 'info', { snapshotId, through: closedLog, by: shipped.by });

    holderPid = startHolder(request, snapshotId, ipcFolder, deadlineMs);
    await writeFreezeState(ipcFolder, { ...state, holderPid });
    const frozen = await withDeadline(waitForHolder(ipcFolder, snapshotId), deadlineMs, 'taking the lock', timeoutSeconds);
    return { snapshotId, position: frozen.position!, method: frozen.method ?? '', closedLog, shippedBy: shipped.by, preStepMs: Date.now() - started };
  } catch (error) {
    await undo(request, state, holderPid, error);
    await events.emit('freeze-failed', 'alert', { snapshotId, message: describeError(error) });
    throw error;
  }
}

function startHolder(request: FreezeRequest, snapshotId: string, ipcFolder: string, deadlineMs: number): number {
  const [executable, ...args] = request.holderCommand;
  if (!executable) throw new SnaplogError('no command to start the freeze holder');
  const logFd = openIpcLogSync(ipcFolder, 'holder.log');
  try {
    const child = spawn(executable, [...args, '__freeze-holder', '--snapshot', snapshotId, '--deadline', String(deadlineMs), ...(request.product ? ['--product', request.product] : []), ...(request.disks?.length ? ['--disks', request.disks.join(',')] : [])], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    child.unref();
    if (!child.pid) throw new SnaplogError('could not start the freeze holder process');
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

async function waitForHolder(ipcFolder: string, snapshotId: string): Promise<FreezeState> {
  for (;;) {
    const state = await readFreezeState(ipcFolder);
    if (state?.snapshotId === snapshotId) {
      if (state.state === 'frozen' && state.position) return state;
      if (state.state === 'failed') throw new SnaplogError(`the freeze holder could not take the lock: ${state.message ?? 'no reason given'}`, { hint: 'see <ipc_folder>/holder.log' });
    }
    await sleep(10);
  }
}

/**
 * Undoes a failed pre-step: asks the holder to let go, then kills its whole process group (a freeze call
 * still hanging goes with it), then, for a global freeze (IRIS, Oracle) the holder did not end, ends it
 * from here. The watchdog waits while this runs and steps in if it cannot finish.
 */
async function undo(request: FreezeRequest, state: FreezeState, holderPid: number | undefined, error: unknown): Promise<void> {
  const ipcFolder = request.config.workload.ipcFolder;
  const ours = async (): Promise<FreezeState> => {
    const current = await readFreezeState(ipcFolder);
    return current?.snapshotId === state.snapshotId ? current : state;
  };
  let message = describeError(error);
  let releasedAt: string | undefined = new Date().toISOString();
  if (holderPid) {
    await writeFreezeState(ipcFolder, { ...(await ours()), undoPid: process.pid });
    if (await isHolderProcess(holderPid, state.snapshotId)) {
      process.kill(holderPid, FAIL_SIGNAL);
      for (let i = 0; i < 100 && (await isHolderProcess(holderPid, state.snapshotId)); i++) await sleep(50);
    }
    killHolderGroup(holderPid);
    const afterHolder = await ours();
    if (request.engine.forceRelease && !afterHolder.releasedAt) {
      try {
        await request.engine.forceRelease();
      } catch (releaseError) {
        message = `${message}; ending the freeze failed too: ${describeError(releaseError)}. The database may still be frozen: run snaplog thaw`;
        releasedAt = undefined;
      }
    }
  }
  const { undoPid: _undoPid, ...current } = await ours();
  await writeFreezeState(ipcFolder, { ...current, state: 'failed', message, ...(releasedAt ? { releasedAt: current.releasedAt ?? releasedAt } : {}) });
}
