import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { openIpcLogSync } from '../state/ipc-folder.js';
import type { SnaplogConfig } from '../config/index.js';
import { openConfiguredArchive } from '../archive/open.js';
import { describeError, SnaplogError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import { ensurePrivateFolder } from '../state/ipc-folder.js';
import type { Engine } from '../engines/types.js';
import type { LogPosition } from '../archive/snapshot-record.js';
import { watchIpcFiles } from './ipc-watch.js';
import { isServiceShipping, prepareShipOnce, shipThrough } from './ship-through.js';
import type { PreparedShip } from './ship-through.js';
import {
  canJoinFreeze,
  FREEZE_STATE_FILE,
  isActive,
  isHolderProcess,
  newSnapshotId,
  readFreezeState,
  readNestedFreeze,
  writeFreezeState,
  writeNestedFreeze,
} from '../state/freeze-state.js';
import type { FreezeState } from '../state/freeze-state.js';
import { FreezeTimeoutError, freezeBudget, sleep, withDeadline } from './deadline.js';
import type { FreezeBudget } from './deadline.js';
import { FAIL_SIGNAL, killHolderGroup } from './holder.js';

export class FreezeInProgressError extends SnaplogError {
  constructor(state: FreezeState) {
    super(
      `a freeze is already in force: snapshot ${state.snapshotId}, ${state.state} since ${state.frozenAt ?? state.startedAt} (holder pid ${state.holderPid ?? state.prePid})`,
      {
        hint: 'run snaplog thaw to end it (it also ends by itself at the timeout)',
      },
    );
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
  /**
   * The calling backup agent kills the hook this many seconds after `agentStartedMs` (google-guest-agent's
   * `[Snapshots] timeout_in_seconds`): the pre-step keeps a margin before it, and a lock confirmed after it is undone.
   */
  agentTimeoutSeconds?: number;
  agentStartedMs?: number;
}

export interface FreezeResult {
  snapshotId: string;
  position: LogPosition;
  method: string;
  closedLog: string;
  shippedBy: 'service' | 'freeze' | 'joined';
  preStepMs: number;
  /**
   * Where the pre-step's time went, in ms: the process start up to the pre-step (runtime, config, engine),
   * then each step. The holder starts with the first step and gets ready while the log ships; `lock` is
   * from `go` to the lock recorded (of it, `lockGranted` the database's own freeze call).
   */
  stepsMs?: { start: number; archive: number; list: number; flush: number; ship: number; lock: number; lockGranted?: number };
  /** This freeze joined one another product's hook had taken for the same snapshot: no second lock. */
  joined?: { owner: string; frozenAt?: string };
}

class FrozenTooLateError extends SnaplogError {
  constructor(budget: FreezeBudget) {
    super(
      `the lock was taken after the backup agent's ${budget.agentTimeoutSeconds ?? '?'} s script timeout: the agent had already given up on this snapshot`,
      {
        hint: "the freeze was undone and the database is writable; give the agent's hooks more time (google-guest-agent: [Snapshots] timeout_in_seconds, then restart it)",
      },
    );
  }
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
  const agent =
    request.agentTimeoutSeconds === undefined ? undefined : { startedMs: request.agentStartedMs ?? started, timeoutSeconds: request.agentTimeoutSeconds };
  const budget = freezeBudget(started, timeoutSeconds, agent);
  const deadlineMs = budget.deadlineMs;
  const stepSeconds = budget.seconds;
  await ensurePrivateFolder(ipcFolder);

  const existing = await readFreezeState(ipcFolder);
  if (existing) {
    const holderAlive = await isHolderProcess(existing.holderPid, existing.snapshotId);
    if (canJoinFreeze(existing, holderAlive, request.product)) return joinFreeze(request, existing, started);
    if (isActive(existing, holderAlive)) throw new FreezeInProgressError(existing);
  }

  const snapshotId = newSnapshotId();
  const state: FreezeState = {
    state: 'freezing',
    snapshotId,
    prePid: process.pid,
    startedAt: new Date(started).toISOString(),
    product: request.product,
    ...(budget.agentDeadlineMs === undefined ? {} : { agentDeadline: new Date(budget.agentDeadlineMs).toISOString() }),
  };
  await writeFreezeState(ipcFolder, state);
  await events.emit('freeze-start', 'info', {
    snapshotId,
    product: request.product,
    disks: request.disks,
    ...(budget.agentTimeoutSeconds === undefined ? {} : { agentTimeoutSeconds: budget.agentTimeoutSeconds, stepBudgetSeconds: budget.seconds }),
  });

  let holderPid: number | undefined;
  let prepared: PreparedShip | undefined;
  let step = 'starting the freeze holder';
  try {
    // The holder's runtime start, config and connection overlap the log's close and ship; it takes the lock on `go`.
    const holder = startHolder(request, snapshotId, ipcFolder, deadlineMs);
    holderPid = holder.pid;
    // So does the shipping child's (unless the ship service ships the closed log first: then it is cancelled).
    if (!(await isServiceShipping(ipcFolder))) prepared = prepareShipOnce(request.holderCommand, deadlineMs);
    await writeFreezeState(ipcFolder, { ...state, holderPid });
    const lap = stopwatch();
    step = 'opening the archive';
    const archive = await withDeadline(openConfiguredArchive(config), deadlineMs, step, stepSeconds, budget);
    const archiveMs = lap();
    step = 'listing the binlogs';
    const before = await withDeadline(engine.listSourceLogs(), deadlineMs, step, stepSeconds, budget);
    const listedLast = before[before.length - 1]?.name;
    const listMs = lap();
    step = 'closing the open log';
    const switched = await withDeadline(engine.switchLog(), deadlineMs, step, stepSeconds, budget);
    const closedLog = typeof switched === 'string' ? switched : listedLast;
    if (!closedLog) throw new SnaplogError('the server lists no log', { hint: 'is binary logging (archiving, journaling) on?' });
    const flushMs = lap();
    await events.emit('logs-flushed', 'info', { snapshotId, closedLog });

    step = `shipping ${closedLog} to the archive`;
    const shipped = await withDeadline(
      shipThrough({ engine, archive, ipcFolder, snaplogCommand: request.holderCommand, closedLog, deadlineMs, prepared }),
      deadlineMs,
      step,
      stepSeconds,
      budget,
    );
    const shipMs = lap();
    await events.emit('logs-shipped', 'info', { snapshotId, through: closedLog, by: shipped.by });

    step = 'taking the lock';
    holder.go();
    const frozen = await withDeadline(waitForHolder(ipcFolder, snapshotId, holder), deadlineMs, step, stepSeconds, budget);
    const lockMs = lap();
    if (budget.agentDeadlineMs !== undefined && Date.now() >= budget.agentDeadlineMs) throw new FrozenTooLateError(budget);
    const stepsMs = {
      start: Math.round(started - performance.timeOrigin),
      archive: archiveMs,
      list: listMs,
      flush: flushMs,
      ship: shipMs,
      lock: lockMs,
      ...(frozen.lockMs === undefined ? {} : { lockGranted: frozen.lockMs }),
    };
    return { snapshotId, position: frozen.position!, method: frozen.method ?? '', closedLog, shippedBy: shipped.by, preStepMs: Date.now() - started, stepsMs };
  } catch (caught) {
    // A step's own timer (the shipping child's) may fire first at the agent's budget: say what really ran out.
    const budgetSpent =
      budget.limitedBy === 'agent-timeout' && Date.now() >= deadlineMs && !(caught instanceof FreezeTimeoutError) && !(caught instanceof FrozenTooLateError);
    const error = budgetSpent ? new FreezeTimeoutError(step, stepSeconds, budget) : caught;
    prepared?.cancel();
    await undo(request, state, holderPid, error);
    await events.emit('freeze-failed', 'alert', { snapshotId, message: describeError(error) });
    throw error;
  }
}

/**
 * A second freeze for the same snapshot from another product's hook (Veeam's pre-freeze script, then VMware
 * Tools' pre-freeze-script for the quiesced VM snapshot Veeam asked for): the lock is already held and the
 * logs shipped, so this one takes no second lock. It is recorded, so that its thaw does not release the lock
 * while the other product's snapshot still needs it (see decideNestedThaw).
 */
async function joinFreeze(request: FreezeRequest, existing: FreezeState, started: number): Promise<FreezeResult> {
  const { config, events } = request;
  const ipcFolder = config.workload.ipcFolder;
  const owner = existing.product ?? 'unknown';
  const product = request.product ?? 'unknown';
  const nested = (await readNestedFreeze(ipcFolder, existing.snapshotId)) ?? { snapshotId: existing.snapshotId, owner, participants: [] };
  nested.participants.push({ product, joinedAt: new Date().toISOString() });
  await writeNestedFreeze(ipcFolder, nested);
  await events.emit('freeze-nested', 'warning', {
    snapshotId: existing.snapshotId,
    product,
    owner,
    message: `${product}'s hook froze while ${owner}'s freeze of the same snapshot holds the lock: no second lock taken; the lock is released when both have thawed`,
    hint: `two backup products run snaplog hooks on this host: \`snaplog hooks status\` lists them; keep only one if the job does not need both`,
  });
  return {
    snapshotId: existing.snapshotId,
    position: existing.position!,
    method: existing.method ?? '',
    closedLog: existing.position?.file ?? '',
    shippedBy: 'joined',
    preStepMs: Date.now() - started,
    joined: { owner, ...(existing.frozenAt ? { frozenAt: existing.frozenAt } : {}) },
  };
}

/** Whole ms since the last call (or since it was made). */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const lapMs = Math.round(now - last);
    last = now;
    return lapMs;
  };
}

interface StartedHolder {
  pid: number;
  /** Tells the holder to take the lock now. */
  go: () => void;
  /** Resolves when the holder process exits. */
  exited: Promise<void>;
}

function startHolder(request: FreezeRequest, snapshotId: string, ipcFolder: string, deadlineMs: number): StartedHolder {
  const [executable, ...args] = request.holderCommand;
  if (!executable) throw new SnaplogError('no command to start the freeze holder');
  const logFd = openIpcLogSync(ipcFolder, 'holder.log');
  try {
    const child = spawn(
      executable,
      [
        ...args,
        '__freeze-holder',
        '--snapshot',
        snapshotId,
        '--deadline',
        String(deadlineMs),
        '--wait-go',
        ...(request.product ? ['--product', request.product] : []),
        ...(request.disks?.length ? ['--disks', request.disks.join(',')] : []),
      ],
      { detached: true, stdio: ['pipe', logFd, logFd] },
    );
    child.unref();
    if (!child.pid) throw new SnaplogError('could not start the freeze holder process');
    const stdin = child.stdin!;
    // A holder gone before `go` shows as its exit; the write's EPIPE says nothing more.
    stdin.on('error', () => undefined);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      pid: child.pid,
      go: () => {
        stdin.end('go\n');
      },
      exited,
    };
  } finally {
    closeSync(logFd);
  }
}

/** How often the state file is read besides its change events (a missed event costs at most this). */
const STATE_RECHECK_MS = 250;

/** Waits for the holder's word in the state file, woken by the file's changes and by the holder's exit. */
async function waitForHolder(ipcFolder: string, snapshotId: string, holder: StartedHolder): Promise<FreezeState> {
  const changes = watchIpcFiles(ipcFolder, [FREEZE_STATE_FILE]);
  let exited = false;
  const holderGone = holder.exited.then(() => {
    exited = true;
  });
  try {
    for (;;) {
      const state = await readFreezeState(ipcFolder);
      if (state?.snapshotId === snapshotId) {
        if (state.state === 'frozen' && state.position) return state;
        if (state.state === 'failed') throw holderFailed(state.message, ipcFolder);
      }
      if (exited) throw holderFailed('the holder process ended before it held the lock', ipcFolder);
      await Promise.race([changes.next(STATE_RECHECK_MS), holderGone]);
    }
  } finally {
    changes.close();
  }
}

/** The holder's own reason (and HINT), the path of its log, and for a missing privilege the command that lists them all. */
function holderFailed(message: string | undefined, ipcFolder: string): SnaplogError {
  const [reason = 'no reason given', holderHint] = (message ?? 'no reason given').split('\nHINT: ');
  const log = join(ipcFolder, 'holder.log');
  const hint = /access denied/i.test(reason)
    ? "the database user lacks a privilege: 'snaplog config check --database' lists every missing one and the GRANT that fixes them " +
      `(the holder's log is ${log})`
    : `${holderHint ? `${holderHint}; ` : ''}the holder's log is ${log}`;
  return new SnaplogError(`the freeze holder could not take the lock: ${reason}`, { hint });
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
