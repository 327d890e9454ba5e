import { openConfiguredArchive } from '../archive/open.js';
import type { SnaplogConfig } from '../config/index.js';
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import { isHolderProcess, readFreezeState, writeFreezeState } from './state.js';
import type { FreezeState } from './state.js';
import { FAIL_SIGNAL, THAW_SIGNAL } from './holder.js';
import { sleep } from './deadline.js';
import { readFile } from 'node:fs/promises';
import { isProcessAlive } from '../processes.js';

export type ThawOutcome = 'thawed' | 'nothing-frozen' | 'timed-out' | 'holder-died' | 'failed';

export interface ThawResult {
  outcome: ThawOutcome;
  snapshotId?: string;
  frozenMs?: number;
  message: string;
}

const RELEASE_WAIT_MS = 30_000;

/** The post-step: tell the holder to release and report how long the database was frozen. */
/**
 * `forceRelease` ends a global freeze (IRIS ExternalFreeze, Oracle BEGIN BACKUP) from this process: used
 * only when the holder and its watchdog are both gone.
 */
export async function thaw(config: SnaplogConfig, events: EventChannel, options: { failed?: boolean; forceRelease?: () => Promise<void> } = {}): Promise<ThawResult> {
  const ipcFolder = config.workload.ipcFolder;
  const state = await readFreezeState(ipcFolder);
  if (state?.releasedBy === 'watchdog') {
    return { outcome: 'holder-died', snapshotId: state.snapshotId, message: `snapshot ${state.snapshotId}: ${state.message ?? 'the watchdog ended the freeze'}` };
  }
  if (!state || state.state === 'thawed' || (state.state === 'failed' && !(await isHolderProcess(state.holderPid, state.snapshotId)))) {
    const message = state ? `nothing frozen (the last freeze, ${state.snapshotId}, is ${state.state}): nothing to do` : 'nothing frozen: nothing to do';
    await events.emit('thaw-noop', 'info', { snapshotId: state?.snapshotId, lastState: state?.state });
    return { outcome: 'nothing-frozen', snapshotId: state?.snapshotId, message };
  }
  if (state.state === 'timed-out') {
    return { outcome: 'timed-out', snapshotId: state.snapshotId, frozenMs: state.frozenMs, message: `snapshot ${state.snapshotId} is not application-consistent: the freeze timed out after ${state.frozenMs ?? '?'} ms, before thaw` };
  }
  if (!(await isHolderProcess(state.holderPid, state.snapshotId))) return holderDied(config, events, state, options.forceRelease);

  process.kill(state.holderPid!, options.failed ? FAIL_SIGNAL : THAW_SIGNAL);
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (;;) {
    const current = await readFreezeState(ipcFolder);
    if (current?.snapshotId === state.snapshotId && current.state !== 'frozen' && current.state !== 'freezing') {
      // The lock is gone; give the holder a moment to mark the snapshot record (a hung archive must not hold the hook).
      await waitForRecord(ipcFolder, state.snapshotId);
      if (current.state === 'thawed') return { outcome: 'thawed', snapshotId: state.snapshotId, frozenMs: current.frozenMs, message: `thawed snapshot ${state.snapshotId}: frozen for ${current.frozenMs} ms` };
      if (current.state === 'timed-out') return { outcome: 'timed-out', snapshotId: state.snapshotId, frozenMs: current.frozenMs, message: `snapshot ${state.snapshotId} is not application-consistent: the freeze timed out before thaw` };
      return { outcome: 'failed', snapshotId: state.snapshotId, frozenMs: current.frozenMs, message: options.failed ? `released snapshot ${state.snapshotId} and marked it failed` : `snapshot ${state.snapshotId}: ${current.message ?? 'failed'}` };
    }
    if (!(await isHolderProcess(state.holderPid, state.snapshotId))) return holderDied(config, events, state, options.forceRelease);
    if (Date.now() > deadline) {
      process.kill(state.holderPid!, 'SIGKILL');
      return holderDied(config, events, state, options.forceRelease);
    }
    await sleep(10);
  }
}

/** The holder is gone without a word: its session ended, so the server released the lock. Say so. */
async function holderDied(config: SnaplogConfig, events: EventChannel, state: FreezeState, forceRelease?: () => Promise<void>): Promise<ThawResult> {
  if (state.watchdogPid !== undefined) return globalHolderDied(config, events, state, forceRelease);
  const message = `the freeze holder of snapshot ${state.snapshotId} (pid ${state.holderPid}) died while ${state.state}: its session ended and the lock with it; the snapshot is not application-consistent`;
  return markHolderDied(config, events, state, message);
}

/** How long thaw leaves a live watchdog to end a global freeze whose holder died. */
const WATCHDOG_WAIT_MS = 10_000;

/**
 * A global freeze outlives its holder. A live watchdog ends it (thaw waits and reports what it did; ending
 * the freeze first would make the watchdog stand down); with the watchdog gone too, thaw ends it itself.
 */
async function globalHolderDied(config: SnaplogConfig, events: EventChannel, state: FreezeState, forceRelease?: () => Promise<void>): Promise<ThawResult> {
  const ipcFolder = config.workload.ipcFolder;
  const deadline = Date.now() + WATCHDOG_WAIT_MS;
  const releasedByWatchdog = async (): Promise<FreezeState | undefined> => {
    const current = await readFreezeState(ipcFolder);
    return current?.snapshotId === state.snapshotId && current.releasedBy === 'watchdog' ? current : undefined;
  };
  while (!(await releasedByWatchdog()) && (await isWatchdogProcess(state.watchdogPid, state.snapshotId)) && Date.now() < deadline) await sleep(50);
  const released = await releasedByWatchdog();
  if (released) return { outcome: 'holder-died', snapshotId: state.snapshotId, message: `snapshot ${state.snapshotId}: ${released.message ?? 'the watchdog ended the freeze'}` };
  const who = `the freeze holder of snapshot ${state.snapshotId} (pid ${state.holderPid}) and its watchdog (pid ${state.watchdogPid}) died while ${state.state}`;
  let message: string;
  try {
    if (!forceRelease) throw new Error('this thaw has no way to reach the database');
    await forceRelease();
    message = `${who}: snaplog thaw ended the global freeze; the snapshot is not application-consistent`;
  } catch (error) {
    message = `${who}, and snaplog thaw could not end the global freeze: ${describeError(error)}. The database may still be frozen: end it by hand`;
    await events.emit('thaw-failed', 'alert', { snapshotId: state.snapshotId, message });
  }
  return markHolderDied(config, events, state, message);
}

async function isWatchdogProcess(pid: number | undefined, snapshotId: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').includes('__freeze-watchdog') && cmdline.includes(snapshotId);
}

async function markHolderDied(config: SnaplogConfig, events: EventChannel, state: FreezeState, message: string): Promise<ThawResult> {
  await writeFreezeState(config.workload.ipcFolder, { ...state, state: 'failed', message, releasedAt: new Date().toISOString() });
  try {
    const archive = await openConfiguredArchive(config);
    if (state.systemId) {
      const record = await archive.readSnapshot(state.systemId, state.snapshotId);
      if (record) await archive.writeSnapshot(state.systemId, { ...record, status: 'failed', error: message });
    }
  } catch (error) {
    await events.emit('snapshot-record-failed', 'alert', { snapshotId: state.snapshotId, message: describeError(error) });
  }
  await events.emit('freeze-failed', 'alert', { snapshotId: state.snapshotId, message });
  return { outcome: 'holder-died', snapshotId: state.snapshotId, message };
}

const RECORD_WAIT_MS = 10_000;

async function waitForRecord(ipcFolder: string, snapshotId: string): Promise<void> {
  const deadline = Date.now() + RECORD_WAIT_MS;
  while (Date.now() < deadline) {
    const current = await readFreezeState(ipcFolder);
    if (current?.snapshotId !== snapshotId || current.recordUpdated) return;
    await sleep(10);
  }
}
