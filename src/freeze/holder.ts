import { hostname } from 'node:os';
import type { Archive } from '../archive/archive.js';
import type { SnapshotRecord, SnapshotStatus } from '../archive/snapshot-record.js';
import { describeError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine, Quiesced } from '../engines/types.js';
import { hasNestedFreezeSync, readFreezeState, writeFreezeState } from '../state/freeze-state.js';
import type { FreezeState, FreezeStateName } from '../state/freeze-state.js';
import { withDeadline } from './deadline.js';
import { ThawFifo } from './thaw-fifo.js';
import { waitForGoLine } from './go-line.js';
import type { FifoMessage } from './thaw-fifo.js';

export interface HolderOptions {
  engine: Engine;
  /** Starts the watchdog process of a global freeze; returns its pid. */
  startWatchdog?: (deadlineMs: number) => number | undefined;
  archive: Archive;
  events: EventChannel;
  ipcFolder: string;
  snapshotId: string;
  timeoutSeconds: number;
  /** The pre-step's deadline: the freeze call must be over (or undone) by then. Default: timeout from now. */
  freezeDeadlineMs?: number;
  product?: string;
  disks?: string[];
  /**
   * Started early by the pre-step (while the log ships): everything up to the lock is made ready, then the
   * holder waits for `go` on stdin. End of stdin or a failure signal before it: nothing was done, exit 1.
   */
  waitForGo?: boolean;
}

/** Signals the holder understands: thaw, thaw as failed (VMware freezeFail, a failing pre-step). */
export const THAW_SIGNAL = 'SIGUSR2';
export const FAIL_SIGNAL = 'SIGUSR1';

/**
 * Kills the holder and every process it started (a freeze call hanging in `iris` or `sqlplus`): the
 * holder is a group leader (started detached). A group that is already gone is fine.
 */
export function killHolderGroup(holderPid: number): void {
  try {
    process.kill(-holderPid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

type Ending = 'thawed' | 'failed' | 'timed-out';

/**
 * The detached process that owns the database session for the length of a snapshot: takes the lock,
 * records the snapshot, waits for thaw or the timeout, releases. Exits 0 after a thaw, 1 otherwise.
 */
export async function runHolder(options: HolderOptions): Promise<number> {
  const listener = new EndingListener();
  try {
    return await holdUntilThaw(options, listener);
  } finally {
    listener.close();
  }
}

async function holdUntilThaw(options: HolderOptions, listener: EndingListener): Promise<number> {
  const { ipcFolder, snapshotId, timeoutSeconds, events } = options;
  const systemId = await options.engine.systemId();
  if (options.waitForGo && !(await listener.waitForGo(options.freezeDeadlineMs ?? Date.now() + timeoutSeconds * 1000))) return 1;
  const previous = await readFreezeState(ipcFolder);
  const base: FreezeState = {
    ...(previous?.snapshotId === snapshotId ? previous : { startedAt: new Date().toISOString(), snapshotId }),
    state: 'freezing',
    holderPid: process.pid,
  };
  const deadlineMs = Date.now() + timeoutSeconds * 1000;
  const freezeDeadlineMs = options.freezeDeadlineMs ?? deadlineMs;
  const lockAskedAt = performance.now();
  // A global freeze outlives this process: its watchdog runs before the freeze is asked for, so a holder
  // that dies or hangs inside the freeze call still leaves nothing frozen.
  const global = options.engine.forceRelease !== undefined;
  const watchdogPid = global ? options.startWatchdog?.(freezeDeadlineMs) : undefined;
  const freezing: FreezeState = { ...base, systemId, ...(watchdogPid ? { watchdogPid } : {}) };
  if (global && !watchdogPid) {
    const message = 'could not start the freeze watchdog: a global freeze is never taken without one';
    await writeFreezeState(ipcFolder, { ...freezing, state: 'failed', message, releasedAt: new Date().toISOString() });
    return 1;
  }
  await writeFreezeState(ipcFolder, freezing);
  // The post hook's fast path (see thaw-fifo.ts), made ready while the lock is being taken.
  const fifoReady = listener.openFifo(ipcFolder, snapshotId);

  let quiesced: Quiesced;
  try {
    // A global freeze call bounds itself by the deadline and undoes itself on failure: waiting for it
    // (rather than racing it) means nothing it started is still running when this process gives up.
    const quiescing = options.engine.quiesce({ snapshotId, deadlineMs: freezeDeadlineMs });
    quiesced = global ? await quiescing : await withDeadline(quiescing, freezeDeadlineMs, 'taking the lock', timeoutSeconds);
  } catch (error) {
    // stderr is <ipc_folder>/holder.log: the reason stays there after the pre-step has reported it.
    process.stderr.write(`${new Date().toISOString()} snapshot ${snapshotId}: could not take the lock: ${describeError(error)}\n`);
    const failed: FreezeState = { ...freezing, state: 'failed', message: describeError(error) };
    await writeFreezeState(ipcFolder, failed);
    if (global) {
      // The freeze call undoes itself; the database confirms it. Still frozen, or no answer: end it once more, and
      // if that fails too the watchdog tries again once this process is gone.
      const ask = options.engine.globalFreezeInForce?.bind(options.engine);
      const inForce = ask ? await ask().catch(() => 'unknown') : 'unknown';
      const ended =
        inForce === undefined ||
        (await options.engine.forceRelease!().then(
          () => true,
          () => false,
        ));
      if (ended) await writeFreezeState(ipcFolder, { ...failed, releasedAt: new Date().toISOString() });
    }
    return 1;
  }
  const frozenAt = new Date();
  const lockMs = Math.round(performance.now() - lockAskedAt);
  const record: SnapshotRecord = {
    formatVersion: 1,
    id: snapshotId,
    systemId,
    engine: options.engine.kind,
    time: frozenAt.toISOString(),
    status: 'frozen',
    position: quiesced.position,
    frozenAt: frozenAt.toISOString(),
    product: options.product,
    host: hostname(),
    serverVersion: quiesced.serverVersion,
    ...(quiesced.serverFlavor ? { serverFlavor: quiesced.serverFlavor } : {}),
    method: quiesced.method,
    ...(options.disks?.length ? { details: { disks: options.disks } } : {}),
  };
  const frozen: FreezeState = {
    ...freezing,
    state: 'frozen',
    lockMs,
    frozenAt: record.time,
    deadline: new Date(deadlineMs).toISOString(),
    method: quiesced.method,
    position: quiesced.position,
    product: options.product,
  };
  try {
    await withDeadline(options.archive.writeSnapshot(systemId, record), deadlineMs, 'writing the snapshot record to the archive', timeoutSeconds);
    // The hook writes to the FIFO only once the state says frozen: it exists (or failed to) by then.
    await fifoReady;
    await writeFreezeState(ipcFolder, frozen);
  } catch (error) {
    await quiesced.release().catch(() => undefined);
    await writeFreezeState(ipcFolder, { ...frozen, state: 'failed', message: describeError(error), releasedAt: new Date().toISOString() });
    return 1;
  }
  await events.emit('frozen', 'info', { snapshotId, systemId, position: quiesced.position, method: quiesced.method, deadline: frozen.deadline });

  const ending = await listener.wait(deadlineMs);
  let releaseError: unknown;
  try {
    await quiesced.release();
  } catch (error) {
    // The session ends with this process anyway, which releases the lock.
    releaseError = error;
  }
  const releasedAt = new Date();
  const frozenMs = releasedAt.getTime() - frozenAt.getTime();
  const stillFrozen = quiesced.global === true && releaseError !== undefined;
  const stateName: FreezeStateName = stillFrozen ? 'failed' : ending;
  const message = stillFrozen
    ? `releasing the freeze failed: ${describeError(releaseError)}. The database may still be frozen: end it by hand`
    : ending === 'timed-out'
      ? `no thaw within ${timeoutSeconds} s: the lock was released at the timeout, the snapshot is not application-consistent`
      : ending === 'failed'
        ? 'released on request and marked failed'
        : undefined;
  listener.closeFifo();
  const releasedVia = listener.via === 'fifo' ? { releasedVia: 'fifo' as const } : {};
  const released: FreezeState = {
    ...frozen,
    state: stateName,
    releasedAt: releasedAt.toISOString(),
    frozenMs,
    ...releasedVia,
    ...(message ? { message } : {}),
  };
  await writeFreezeState(ipcFolder, released);
  const status: SnapshotStatus = stillFrozen ? 'failed' : ending;
  await withDeadline(
    options.archive.writeSnapshot(systemId, { ...record, status, thawedAt: releasedAt.toISOString(), frozenMs, ...(message ? { error: message } : {}) }),
    Date.now() + 30_000,
    'updating the snapshot record',
    30,
  ).then(
    async () => {
      // Keep what a thaw may have added meanwhile (its report of a fast-path release).
      const current = await readFreezeState(ipcFolder);
      await writeFreezeState(ipcFolder, { ...released, ...(current?.snapshotId === snapshotId ? current : {}), recordUpdated: true });
    },
    async (error) => {
      await events.emit('snapshot-record-failed', 'alert', {
        snapshotId,
        message: describeError(error),
        hint: 'the snapshot record in the archive still says frozen: restore cannot use this snapshot',
      });
    },
  );
  await events.emit(
    stillFrozen ? 'thaw-failed' : ending === 'thawed' ? 'thawed' : ending === 'timed-out' ? 'freeze-timeout' : 'freeze-failed',
    ending === 'thawed' && !stillFrozen ? 'info' : 'alert',
    {
      snapshotId,
      systemId,
      frozenMs,
      ...(message ? { message } : {}),
      ...(releaseError ? { releaseError: describeError(releaseError) } : {}),
    },
  );
  return ending === 'thawed' && !stillFrozen ? 0 : 1;
}

/** Listens from the holder's first moment, so a thaw that arrives early is not lost (nor kills the process). */
class EndingListener {
  private ending: Ending | undefined;
  /** How the ending arrived: a signal (snaplog thaw, the pre-step's undo) or the post hook's FIFO. */
  via: 'signal' | 'fifo' | undefined;
  private notify: ((ending: Ending) => void) | undefined;
  private fifo: ThawFifo | undefined;
  private closed = false;
  private readonly onThaw = (): void => this.end('thawed', 'signal');
  private readonly onFail = (): void => this.end('failed', 'signal');

  constructor() {
    process.on(THAW_SIGNAL, this.onThaw);
    process.on(FAIL_SIGNAL, this.onFail);
    process.on('SIGTERM', this.onFail);
    process.on('SIGINT', this.onFail);
  }

  private end(ending: Ending, via?: 'signal' | 'fifo'): void {
    if (!this.ending) {
      this.ending = ending;
      this.via = via;
    }
    this.notify?.(this.ending);
    this.stopWaitingForGo?.();
  }

  private stopWaitingForGo: (() => void) | undefined;

  /** True on a `go` line on stdin; false at its end, on a failure signal or at the deadline. */
  waitForGo(deadlineMs: number): Promise<boolean> {
    if (this.ending) return Promise.resolve(false);
    const waiting = waitForGoLine(process.stdin, deadlineMs);
    this.stopWaitingForGo = waiting.cancel;
    return waiting.go;
  }

  /**
   * Creates the FIFO and acts on a message naming this snapshot, unless another product's hook joined the
   * freeze (the last of their thaws releases: that is snaplog thaw's call). Anything else is logged and ignored.
   * A FIFO that cannot be made leaves the signal path, which always works.
   */
  async openFifo(ipcFolder: string, snapshotId: string): Promise<void> {
    const ignore = (why: string): void => {
      process.stderr.write(`${new Date().toISOString()} snapshot ${snapshotId}: ignored a thaw message on the FIFO: ${why}\n`);
    };
    const onMessage = (message: FifoMessage | undefined, line: string): void => {
      if (!message) ignore(`not a thaw message: ${JSON.stringify(line)}`);
      else if (message.snapshotId !== snapshotId) ignore(`it names snapshot ${message.snapshotId}`);
      else if (hasNestedFreezeSync(ipcFolder, snapshotId)) ignore("another product's hook joined this freeze: snaplog thaw decides");
      else this.end(message.request === 'fail' ? 'failed' : 'thawed', 'fifo');
    };
    try {
      this.fifo = await ThawFifo.open(ipcFolder, onMessage);
      if (this.closed) this.closeFifo();
    } catch (error) {
      process.stderr.write(
        `${new Date().toISOString()} snapshot ${snapshotId}: no thaw FIFO (the post hook falls back to snaplog thaw): ${describeError(error)}\n`,
      );
    }
  }

  closeFifo(): void {
    this.fifo?.close();
    this.fifo = undefined;
  }

  wait(deadlineMs: number): Promise<Ending> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.end('timed-out'), Math.max(0, deadlineMs - Date.now()));
      this.notify = (ending) => {
        clearTimeout(timer);
        resolve(ending);
      };
      if (this.ending) this.notify(this.ending);
    });
  }

  close(): void {
    this.closed = true;
    this.closeFifo();
    process.off(THAW_SIGNAL, this.onThaw);
    process.off(FAIL_SIGNAL, this.onFail);
    process.off('SIGTERM', this.onFail);
    process.off('SIGINT', this.onFail);
  }
}
