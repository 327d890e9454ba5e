import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { describeError, SnaplogError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine } from '../engines/types.js';
import type { RoundResult, Shipper } from './shipper.js';
import { writeShipHeartbeat, writeShipStatus } from '../state/ship-status.js';
import type { ShipStatus } from '../state/ship-status.js';
import { backoffDelay } from './backoff.js';
import { readFreezeState } from '../state/freeze-state.js';

export interface ShipLoopOptions {
  ipcFolder: string;
  mode: 'service' | 'once';
  rescanIntervalSeconds: number;
  retryMaxDelaySeconds: number;
  maxLogAgeSeconds?: number;
  tail: boolean;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called after each successful round with the age of the oldest commit not yet archived (metrics). */
  onRound?: (result: RoundResult, unshippedAgeSeconds: number | undefined) => void;
}

/** Tracks what `snaplog status` shows and writes it after each round. */
class StatusRecorder {
  private status: ShipStatus;

  constructor(private readonly options: ShipLoopOptions) {
    this.status = { updatedAt: new Date().toISOString(), pid: process.pid, mode: options.mode, pending: [], lagSeconds: 0, gaps: [], consecutiveFailures: 0 };
  }

  async success(result: RoundResult, unshippedAge: number | undefined): Promise<void> {
    const last = result.lastArchived;
    this.status = {
      ...this.status,
      updatedAt: new Date().toISOString(),
      systemId: result.systemId,
      lastShipped: last ? { name: last.name, time: last.lastCommitTime, shippedAt: last.shippedAt } : this.status.lastShipped,
      pending: result.pending.map((log) => log.name),
      openLog: result.openLog?.name,
      lagSeconds: Math.round(unshippedAge ?? 0),
      gaps: result.gaps.map((gap) => ({ before: gap.before, after: gap.after, missing: `${gap.fromSequence}-${gap.toSequence}` })),
      consecutiveFailures: 0,
    };
    delete this.status.lastError;
    await writeShipStatus(this.options.ipcFolder, this.status);
  }

  async failure(error: unknown): Promise<number> {
    this.status = {
      ...this.status,
      updatedAt: new Date().toISOString(),
      lastError: { time: new Date().toISOString(), kind: error instanceof Error ? error.name : 'Error', message: describeError(error) },
      consecutiveFailures: this.status.consecutiveFailures + 1,
    };
    await writeShipStatus(this.options.ipcFolder, this.status).catch(() => undefined);
    return this.status.consecutiveFailures;
  }
}

/** The service's heartbeat (not written by `ship --once`): proof of life for `snaplog status`. A failed write never fails a round. */
class Heartbeat {
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: ShipLoopOptions) {}

  beat(stopped = false): Promise<void> {
    if (this.options.mode !== 'service') return Promise.resolve();
    const now = new Date().toISOString();
    const quietSeconds = Math.max(this.options.rescanIntervalSeconds, this.options.retryMaxDelaySeconds);
    const heartbeat = { pid: process.pid, startedAt: this.startedAt, heartbeatAt: now, quietSeconds, ...(stopped ? { stoppedAt: now } : {}) };
    return writeShipHeartbeat(this.options.ipcFolder, heartbeat).catch(() => undefined);
  }
}

/**
 * The shipping loop: a round on every change in the binlog folder, on a timer as a safety net, and
 * after a forced switch when the open log grows older than max_log_age. Archive errors are retried with
 * backoff; no file is ever skipped because the next round starts again from the oldest unshipped log.
 */
export async function runShipLoop(engine: Engine, shipper: Shipper, events: EventChannel, options: ShipLoopOptions): Promise<RoundResult | undefined> {
  const recorder = new StatusRecorder(options);
  const heartbeat = new Heartbeat(options);
  let wake: (() => void) | undefined;
  let dirty = true;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  options.signal.addEventListener('abort', poke, { once: true });
  let watcher: FSWatcher | undefined;
  let lastResult: RoundResult | undefined;
  let failures = 0;
  let lastWarnings = '';

  try {
    for (;;) {
      if (options.signal.aborted) break;
      dirty = false;
      await heartbeat.beat();
      try {
        lastResult = await oneRound(engine, shipper, options);
        const oldestUnshipped = lastResult.pending[0] ?? lastResult.openLog;
        const age = oldestUnshipped ? await engine.firstTransactionAgeSeconds(oldestUnshipped).catch(() => undefined) : undefined;
        await recorder.success(lastResult, age);
        await heartbeat.beat();
        options.onRound?.(lastResult, age);
        lastWarnings = await reportEngineWarnings(engine, events, options.ipcFolder, lastWarnings);
        if (failures > 0) await events.emit('ship-recovered', 'info', { afterFailures: failures });
        failures = 0;
        if (options.mode === 'once') return lastResult;
        if (!watcher) {
          const folders = lastResult.sourceFolders;
          // A log that lands before the watcher is ready raises no event: one more round once it is.
          if (folders.length) watcher = watchFolder(folders, poke).once('ready', poke);
        }
      } catch (error) {
        failures = await recorder.failure(error);
        await heartbeat.beat();
        await events.emit('ship-failed', 'alert', { kind: error instanceof Error ? error.name : 'Error', message: describeError(error), attempt: failures });
        options.log(`snaplog ship: ${describeError(error)}`);
        if (options.mode === 'once' || isPermanent(error)) throw error;
        await sleep(backoffDelay(failures, options.retryMaxDelaySeconds * 1000), options.signal);
        continue;
      }
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.rescanIntervalSeconds * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  } finally {
    await watcher?.close();
    // A clean stop (SIGTERM) says so; a service that dies of an error leaves its last beat, and status sees the pid gone.
    if (options.signal.aborted) await heartbeat.beat(true);
  }
  return lastResult;
}

async function oneRound(engine: Engine, shipper: Shipper, options: ShipLoopOptions): Promise<RoundResult> {
  let result = await shipper.round(options.signal);
  for (const metadata of result.shipped) options.log(`shipped ${metadata.name} (${metadata.size} bytes, last commit ${metadata.lastCommitTime ?? 'none'})`);
  const open = result.openLog;
  if (open && options.maxLogAgeSeconds !== undefined && !options.signal.aborted) {
    const age = await engine.firstTransactionAgeSeconds(open);
    if (age !== undefined && age >= options.maxLogAgeSeconds) {
      options.log(`${open.name} holds a transaction ${Math.round(age)} s old (max_log_age ${options.maxLogAgeSeconds} s): switching logs`);
      await engine.switchLog();
      result = await shipper.round(options.signal);
      for (const metadata of result.shipped) options.log(`shipped ${metadata.name} (${metadata.size} bytes, last commit ${metadata.lastCommitTime ?? 'none'})`);
    }
  }
  if (options.tail && result.openLog && !options.signal.aborted) await shipper.tailOpenLog(result.systemId, result.openLog);
  return result;
}

/** Errors that no retry can fix: refuse to go on, loudly. */
function isPermanent(error: unknown): boolean {
  return error instanceof SnaplogError && error.exitCode === 2;
}

function watchFolder(folders: string[], onChange: () => void): FSWatcher {
  return watch(folders, { ignoreInitial: true, depth: 0, awaitWriteFinish: false }).on('all', onChange);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Asks the engine what is wrong outside a freeze; a changed answer becomes a warning event. Never fails the round. */
async function reportEngineWarnings(engine: Engine, events: EventChannel, ipcFolder: string, previous: string): Promise<string> {
  if (!engine.warningsWhenNotFrozen) return previous;
  const freeze = await readFreezeState(ipcFolder).catch(() => undefined);
  if (freeze?.state === 'frozen' || freeze?.state === 'freezing') return previous;
  const warnings = await engine.warningsWhenNotFrozen().catch(() => [] as string[]);
  const key = warnings.join('\n');
  if (key && key !== previous) for (const message of warnings) await events.emit('database-warning', 'warning', { message });
  return key;
}
