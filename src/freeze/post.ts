import { openConfiguredArchive } from '../archive/open.js';
import type { SnaplogConfig } from '../config/index.js';
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import { isHolderProcess, readFreezeState, writeFreezeState } from '../state/freeze-state.js';
import type { FreezeState } from '../state/freeze-state.js';
import { FAIL_SIGNAL, THAW_SIGNAL } from './holder.js';
import { sleep } from './deadline.js';
import { readFile } from 'node:fs/promises';
import { isProcessAlive } from '../processes.js';

export type ThawOutcome = 'thawed' | 'nothing-frozen' | 'timed-out' | 'holder-died' | 'failed';

/** Pure: what the DBA does after a thaw that did not end cleanly. */
export function thawHint(outcome: ThawOutcome, ipcFolder: string): string | undefined {
  switch (outcome) {
    case 'timed-out':
      return 'this snapshot cannot anchor a point-in-time restore (snaplog list marks it); if the backup product needs longer to take it, raise [workload] timeout';
    case 'holder-died':
      return `the lock ended before thaw, so this snapshot cannot anchor a point-in-time restore; see ${ipcFolder}/holder.log and snaplog events, and check that the database is writable`;
    case 'failed':
      return `see ${ipcFolder}/holder.log and snaplog events; the snapshot is marked failed and the next freeze starts afresh`;
    default:
      return undefined;
  }
}

export interface ThawResult {
  outcome: ThawOutcome;
  snapshotId?: string;
  frozenMs?: number;
  message: string;
}

const RELEASE_WAIT_MS = 30_000;

export interface ThawOptions {
  /** Release and mark the snapshot failed (the snapshot itself failed). */
  failed?: boolean;
  /**
   * Ends a global freeze (IRIS ExternalFreeze, Oracle BEGIN BACKUP) from this process: used only when no
   * holder or watchdog is there to end it.
   */
  forceRelease?: () => Promise<void>;
  /** The database's own answer (global freezes only): a description when a freeze is in force, else undefined. */
  freezeInForce?: () => Promise<string | undefined>;
}

/**
 * The post-step: tell the holder to release and report how long the database was frozen. With no holder
 * to tell, a database with a global freeze is asked whether it is still frozen before thaw says
 * "nothing frozen": a freeze left on is ended (when it is snaplog's) and reported as a failure, and so
 * (once) is a freeze whose pre-step failed.
 */
export async function thaw(config: SnaplogConfig, events: EventChannel, options: ThawOptions = {}): Promise<ThawResult> {
  const ipcFolder = config.workload.ipcFolder;
  const { state, holderAlive } = await stateAndHolder(ipcFolder);
  // The post hook's fast path released the lock before this process started: report it, once.
  if (state?.releasedVia === 'fifo' && !state.thawReported) return reportRelease(ipcFolder, state, options.failed);
  const settled =
    !state || state.state === 'thawed' || state.state === 'timed-out' || state.releasedBy === 'watchdog' || (state.state === 'failed' && !holderAlive);
  if (settled && options.freezeInForce) {
    const checked = await checkDatabase(config, events, state, options);
    if (checked) return checked;
  }
  if (state?.releasedBy === 'watchdog') {
    return {
      outcome: 'holder-died',
      snapshotId: state.snapshotId,
      message: `snapshot ${state.snapshotId}: ${state.message ?? 'the watchdog ended the freeze'}`,
    };
  }
  if (!state || state.state === 'thawed' || (state.state === 'failed' && !holderAlive)) {
    const message = state ? `nothing frozen (the last freeze, ${state.snapshotId}, is ${state.state}): nothing to do` : 'nothing frozen: nothing to do';
    await events.emit('thaw-noop', 'info', { snapshotId: state?.snapshotId, lastState: state?.state });
    return { outcome: 'nothing-frozen', snapshotId: state?.snapshotId, message };
  }
  if (state.state === 'timed-out') {
    return {
      outcome: 'timed-out',
      snapshotId: state.snapshotId,
      frozenMs: state.frozenMs,
      message: `snapshot ${state.snapshotId} is not application-consistent: the freeze timed out after ${state.frozenMs ?? '?'} ms, before thaw`,
    };
  }
  if (!holderAlive) return holderDied(config, events, state, options.forceRelease);

  process.kill(state.holderPid!, options.failed ? FAIL_SIGNAL : THAW_SIGNAL);
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (;;) {
    // Alive first, state second: a holder that lets go and exits in between is seen letting go, not dying.
    const alive = await isHolderProcess(state.holderPid, state.snapshotId);
    const current = await readFreezeState(ipcFolder);
    const letGo = current?.snapshotId === state.snapshotId && current.state !== 'frozen' && current.state !== 'freezing';
    if (letGo) return reportRelease(ipcFolder, current, options.failed);
    if (!alive) return holderDied(config, events, state, options.forceRelease);
    if (Date.now() > deadline) {
      process.kill(state.holderPid!, 'SIGKILL');
      return holderDied(config, events, state, options.forceRelease);
    }
    await sleep(10);
  }
}

/** The holder has let go: waits (bounded) for it to mark the snapshot record, then says how the freeze ended. */
async function reportRelease(ipcFolder: string, released: FreezeState, failedRequested: boolean | undefined): Promise<ThawResult> {
  const { snapshotId } = released;
  // A hung archive must not hold the hook.
  await waitForRecord(ipcFolder, snapshotId);
  const latest = await readFreezeState(ipcFolder);
  const current = latest?.snapshotId === snapshotId ? latest : released;
  const frozenMs = current.frozenMs;
  const viaFifo = current.releasedVia === 'fifo' ? { thawReported: true } : {};
  if (current.state !== 'thawed' && current.state !== 'timed-out') await writeFreezeState(ipcFolder, { ...current, ...viaFifo, failureReported: true });
  else if (current.releasedVia === 'fifo') await writeFreezeState(ipcFolder, { ...current, ...viaFifo });
  const by = current.releasedVia === 'fifo' ? ' (released by the post hook)' : '';
  if (current.state === 'thawed') return { outcome: 'thawed', snapshotId, frozenMs, message: `thawed snapshot ${snapshotId}: frozen for ${frozenMs} ms${by}` };
  if (current.state === 'timed-out')
    return { outcome: 'timed-out', snapshotId, frozenMs, message: `snapshot ${snapshotId} is not application-consistent: the freeze timed out before thaw` };
  return {
    outcome: 'failed',
    snapshotId,
    frozenMs,
    message: failedRequested ? `released snapshot ${snapshotId} and marked it failed${by}` : `snapshot ${snapshotId}: ${current.message ?? 'failed'}`,
  };
}

/** The freeze state and whether its holder lives; a holder seen gone is read again for what it wrote before it went. */
async function stateAndHolder(ipcFolder: string): Promise<{ state: FreezeState | undefined; holderAlive: boolean }> {
  const first = await readFreezeState(ipcFolder);
  if (!first) return { state: undefined, holderAlive: false };
  if (await isHolderProcess(first.holderPid, first.snapshotId)) return { state: first, holderAlive: true };
  const again = await readFreezeState(ipcFolder);
  return { state: again?.snapshotId === first.snapshotId ? again : first, holderAlive: false };
}

/**
 * No holder holds a freeze: asks the database whether one is in force all the same. A freeze left on after
 * snaplog's own failed or timed-out freeze is ended here; one after a clean thaw (or with no snaplog
 * freeze on record) belongs to someone else and is only reported. Either is a failure; so is, the first
 * time a thaw sees it, a freeze whose pre-step failed. Undefined: nothing to add, thaw goes on as before.
 */
async function checkDatabase(
  config: SnaplogConfig,
  events: EventChannel,
  state: FreezeState | undefined,
  options: ThawOptions,
): Promise<ThawResult | undefined> {
  const snapshotId = state?.snapshotId;
  let inForce: string | undefined;
  try {
    inForce = await options.freezeInForce!();
  } catch (error) {
    const message =
      `could not ask the database whether it is still frozen: ${describeError(error)}. ` +
      'Check it by hand (IRIS: Backup.General IsWDSuspended; Oracle: V$BACKUP)';
    await events.emit('thaw-failed', 'alert', { snapshotId, message });
    return { outcome: 'failed', snapshotId, message };
  }
  if (inForce) {
    const ours = state !== undefined && state.state !== 'thawed';
    let message: string;
    if (!ours) {
      const last = state ? `its last freeze, ${state.snapshotId}, was thawed` : 'no snaplog freeze on record';
      message = `the database is frozen: ${inForce}, but not by snaplog (${last}). Another tool froze it: end it by hand if no backup is running`;
    } else {
      try {
        if (!options.forceRelease) throw new Error('this thaw has no way to reach the database');
        await options.forceRelease();
        const after = await options.freezeInForce!().catch((error: unknown) => `unknown (${describeError(error)})`);
        if (after) throw new Error(`still frozen after ending it: ${after}`);
        message =
          `the database was still frozen with no snaplog holder (${inForce}) after snapshot ${state.snapshotId} ended ${state.state}: ` +
          'snaplog thaw ended the freeze; the snapshot is not application-consistent';
      } catch (error) {
        message =
          `the database is still frozen with no snaplog holder (${inForce}) and snaplog thaw could not end it: ${describeError(error)}. ` +
          'The database may still be frozen: end it by hand';
      }
      const stateName = state.state === 'timed-out' ? 'timed-out' : 'failed';
      const releasedAt = state.releasedAt ?? new Date().toISOString();
      await writeFreezeState(config.workload.ipcFolder, { ...state, state: stateName, message, failureReported: true, releasedAt });
    }
    await events.emit('thaw-failed', 'alert', { snapshotId, message });
    return { outcome: 'failed', snapshotId, message };
  }
  if (state?.state === 'failed' && !state.failureReported && state.releasedBy !== 'watchdog') {
    await writeFreezeState(config.workload.ipcFolder, { ...state, failureReported: true });
    const message =
      `the freeze of snapshot ${state.snapshotId} failed (${reasonOf(state.message)}). ` +
      'The database is not frozen now (asked); the snapshot is not application-consistent';
    await events.emit('freeze-failed-reported', 'alert', { snapshotId, message });
    return { outcome: 'failed', snapshotId, message };
  }
  return undefined;
}

/** Pure: a recorded failure as one line for the post-step's report (no error class, no hint). */
export function reasonOf(message: string | undefined): string {
  const line = (message ?? 'no reason recorded').split('\n')[0]!;
  return line.replace(/^[A-Z][A-Za-z]*Error: /, '');
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
  if (released)
    return {
      outcome: 'holder-died',
      snapshotId: state.snapshotId,
      message: `snapshot ${state.snapshotId}: ${released.message ?? 'the watchdog ended the freeze'}`,
    };
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
  await writeFreezeState(config.workload.ipcFolder, { ...state, state: 'failed', message, releasedAt: new Date().toISOString(), failureReported: true });
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
