import type { Archive } from '../archive/archive.js';
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine } from '../engines/types.js';
import { sleep } from './deadline.js';
import { isHolderProcess, readFreezeState, writeFreezeState } from './state.js';

export interface WatchdogOptions {
  engine: Engine;
  archive: Archive;
  events: EventChannel;
  ipcFolder: string;
  snapshotId: string;
  holderPid: number;
  deadlineMs: number;
  /** How long past the deadline a live holder may take to release before the watchdog steps in. */
  graceMs?: number;
  pollMs?: number;
}

/**
 * Watches the holder of a global freeze (one that does not end with the holder's session): when the
 * holder dies, or hangs past the timeout, it ends the freeze itself (engine.forceRelease) and marks the
 * snapshot failed. Returns 'released' when it had to act, 'not-needed' when the holder let go.
 */
export async function runWatchdog(options: WatchdogOptions): Promise<'released' | 'not-needed'> {
  const { ipcFolder, snapshotId, holderPid } = options;
  const graceMs = options.graceMs ?? 10_000;
  for (;;) {
    const state = await readFreezeState(ipcFolder);
    if (!state || state.snapshotId !== snapshotId || state.releasedAt) return 'not-needed';
    const holderAlive = await isHolderProcess(holderPid, snapshotId);
    if (!holderAlive || Date.now() > options.deadlineMs + graceMs) {
      if (holderAlive) process.kill(holderPid, 'SIGKILL');
      const why = holderAlive ? `the freeze holder (pid ${holderPid}) did not release within the timeout` : `the freeze holder (pid ${holderPid}) died while ${state.state}`;
      let message = `${why}: the watchdog ended the freeze; the snapshot is not application-consistent`;
      try {
        await options.engine.forceRelease!();
      } catch (error) {
        message = `${why}, and the watchdog could not end the freeze: ${describeError(error)}. The database may still be frozen: end it by hand`;
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
