import type { Archive } from '../archive/archive.js';
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine } from '../engines/types.js';
import { sleep } from './deadline.js';
import { isHolderProcess, isProcessAlive, readFreezeState, writeFreezeState } from '../state/freeze-state.js';
import { killHolderGroup } from './holder.js';

export interface WatchdogOptions {
  engine: Engine;
  archive: Archive;
  events: EventChannel;
  ipcFolder: string;
  snapshotId: string;
  holderPid: number;
  /** The pre-step's deadline (while freezing); once frozen, the deadline in the freeze state counts. */
  deadlineMs: number;
  /** How long past the deadline a live holder may take to release before the watchdog steps in. */
  graceMs?: number;
  pollMs?: number;
}

/** How long past the deadline a pre-step that is undoing the freeze has to finish before the watchdog steps in anyway. */
const UNDO_WAIT_MS = 150_000;

/**
 * Watches the holder of a global freeze (one that does not end with the holder's session) from before
 * the freeze is asked for: when the holder dies, or hangs past its deadline (the pre-step's while it
 * freezes, the hold timeout once frozen), it kills the holder's process group (a hanging freeze call with
 * it), ends the freeze itself (engine.forceRelease) and marks the snapshot failed. A pre-step that is
 * undoing a failed freeze ends it itself; the watchdog waits for it. Returns 'released' when it had to
 * act, 'not-needed' when the holder (or the pre-step) let go.
 */
export async function runWatchdog(options: WatchdogOptions): Promise<'released' | 'not-needed'> {
  const { ipcFolder, snapshotId, holderPid } = options;
  const graceMs = options.graceMs ?? 10_000;
  for (;;) {
    const state = await readFreezeState(ipcFolder);
    if (!state || state.snapshotId !== snapshotId || state.releasedAt) return 'not-needed';
    const holderAlive = await isHolderProcess(holderPid, snapshotId);
    const deadlineMs = state.state === 'frozen' && state.deadline ? Date.parse(state.deadline) : options.deadlineMs;
    const undoing = isProcessAlive(state.undoPid) && Date.now() < deadlineMs + graceMs + UNDO_WAIT_MS;
    if (!undoing && (!holderAlive || Date.now() > deadlineMs + graceMs)) {
      killHolderGroup(holderPid);
      const why = holderAlive
        ? `the freeze holder (pid ${holderPid}) did not ${state.state === 'frozen' ? 'release' : 'finish freezing'} within the timeout`
        : state.state === 'failed'
          ? `the freeze holder (pid ${holderPid}) failed and could not end the freeze itself`
          : `the freeze holder (pid ${holderPid}) died while ${state.state}`;
      let message = `${why}: the watchdog ended the freeze; the snapshot is not application-consistent`;
      try {
        await options.engine.forceRelease!();
      } catch (error) {
        const what = describeError(error);
        message = `${why}, and the watchdog could not end the freeze: ${what}. The database may still be frozen: run snaplog thaw, or end it by hand`;
      }
      await writeFreezeState(ipcFolder, { ...state, state: 'failed', message, releasedAt: new Date().toISOString(), releasedBy: 'watchdog' });
      try {
        const record = state.systemId ? await options.archive.readSnapshot(state.systemId, snapshotId) : undefined;
        if (record && state.systemId) await options.archive.writeSnapshot(state.systemId, { ...record, status: 'failed', error: message });
      } catch (error) {
        await options.events.emit('snapshot-record-failed', 'alert', { snapshotId, message: describeError(error) });
      }
      await options.events.emit('freeze-failed', 'alert', { snapshotId, message, by: 'watchdog' });
      return 'released';
    }
    await sleep(options.pollMs ?? 200);
  }
}
