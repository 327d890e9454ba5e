import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogPosition } from '../archive/snapshot-record.js';
import { READ_NO_FOLLOW, readIpcJson, writeIpcJson } from './ipc-folder.js';
import { isProcessAlive } from '../processes.js';

export const FREEZE_STATE_FILE = 'freeze.json';

export type FreezeStateName = 'freezing' | 'frozen' | 'thawed' | 'timed-out' | 'failed';

/** The ipc folder's account of the current or last freeze: who holds what since when. */
export interface FreezeState {
  state: FreezeStateName;
  snapshotId: string;
  systemId?: string;
  /** The pre-step's process while it runs, then the detached holder that owns the database session. */
  prePid?: number;
  holderPid?: number;
  startedAt: string;
  frozenAt?: string;
  deadline?: string;
  releasedAt?: string;
  frozenMs?: number;
  /** How long the database took to grant the lock (the holder's freeze call). */
  lockMs?: number;
  method?: string;
  position?: LogPosition;
  product?: string;
  message?: string;
  /** The snapshot record in the archive carries the final state (written after the lock is released). */
  recordUpdated?: boolean;
  /** When the backup agent that called the pre-step gives up on it (its script timeout). */
  agentDeadline?: string;
  /** The watchdog process of a global freeze (IRIS, Oracle) while it watches. */
  watchdogPid?: number;
  /** The holder released on the post hook's FIFO message, before snaplog thaw ran. */
  releasedVia?: 'fifo';
  /** snaplog thaw has reported that release (the next thaw says "nothing frozen"). */
  thawReported?: boolean;
  /** Who ended the freeze when the holder could not: the watchdog. */
  releasedBy?: 'watchdog';
  /** The pre-step while it undoes a failed freeze: the watchdog leaves ending the freeze to it. */
  undoPid?: number;
  /** A thaw has reported this failed freeze (the next one says "nothing frozen"). */
  failureReported?: boolean;
}

export function readFreezeState(ipcFolder: string): Promise<FreezeState | undefined> {
  return readIpcJson<FreezeState>(ipcFolder, FREEZE_STATE_FILE);
}

export function writeFreezeState(ipcFolder: string, state: FreezeState): Promise<void> {
  return writeIpcJson(ipcFolder, FREEZE_STATE_FILE, state);
}

export { isProcessAlive } from '../processes.js';

/** A pid from a state file is only signalled if it is still our holder (pids get reused). */
export async function isHolderProcess(pid: number | undefined, snapshotId: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.includes('__freeze-holder') && cmdline.includes(snapshotId);
  } catch {
    return false;
  }
}

/** Pure: a freeze that is still in force (its holder alive) blocks a second one. */
export function isActive(state: FreezeState | undefined, holderAlive: boolean): boolean {
  if (!state) return false;
  if (state.state === 'frozen') return holderAlive;
  if (state.state === 'freezing') return holderAlive || isProcessAlive(state.prePid);
  return false;
}

export function newSnapshotId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

export const NESTED_FREEZE_FILE = 'freeze-nested.json';

/** A backup product's hook that joined a freeze another product's hook had taken (one snapshot, two hooks). */
export interface NestedParticipant {
  product: string;
  joinedAt: string;
  thawedAt?: string;
  /** The product reported the snapshot as failed (VMware freezeFail). */
  failed?: boolean;
}

/**
 * Who takes part in the freeze `snapshotId`: the product whose hook took the lock (`owner`) and the products
 * whose freeze joined it. The lock is released by the thaw of the last participant still open.
 */
export interface NestedFreeze {
  snapshotId: string;
  owner: string;
  ownerThawedAt?: string;
  ownerFailed?: boolean;
  participants: NestedParticipant[];
}

export async function readNestedFreeze(ipcFolder: string, snapshotId: string): Promise<NestedFreeze | undefined> {
  const nested = await readIpcJson<NestedFreeze>(ipcFolder, NESTED_FREEZE_FILE);
  return nested?.snapshotId === snapshotId && Array.isArray(nested.participants) ? nested : undefined;
}

/**
 * Does a nested freeze record name `snapshotId`? Synchronous (the holder asks it on the post hook's FIFO
 * message, where each async hop delays the release). A record that cannot be read counts as yes: then
 * snaplog thaw, not the fast path, decides.
 */
export function hasNestedFreezeSync(ipcFolder: string, snapshotId: string): boolean {
  let text: string;
  try {
    const fd = openSync(join(ipcFolder, NESTED_FREEZE_FILE), READ_NO_FOLLOW);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  try {
    return (JSON.parse(text) as Partial<NestedFreeze>).snapshotId === snapshotId;
  } catch {
    return true;
  }
}

export function writeNestedFreeze(ipcFolder: string, nested: NestedFreeze): Promise<void> {
  return writeIpcJson(ipcFolder, NESTED_FREEZE_FILE, nested);
}

/** Pure: a second freeze joins the one in force when it comes from another product's hook and the lock is held. */
export function canJoinFreeze(state: FreezeState, holderAlive: boolean, product: string | undefined): boolean {
  return state.state === 'frozen' && holderAlive && product !== undefined && state.product !== undefined && state.product !== product;
}

export type NestedThawDecision = { action: 'release'; failed: boolean } | { action: 'keep'; stillOpen: string[]; nested: NestedFreeze };

/**
 * Pure: what a thaw from `product` does to a freeze with participants. The lock stays while another
 * participant has not thawed yet; the last thaw releases it (marked failed when any participant failed).
 * A thaw without a product, or from a product that is not taking part, releases as before.
 */
export function decideNestedThaw(nested: NestedFreeze, product: string | undefined, failed: boolean, now: string): NestedThawDecision {
  const next: NestedFreeze = { ...nested, participants: nested.participants.map((participant) => ({ ...participant })) };
  const anyFailed = (): boolean => next.ownerFailed === true || next.participants.some((participant) => participant.failed === true);
  if (product === undefined) return { action: 'release', failed };
  if (product === next.owner && next.ownerThawedAt === undefined) {
    next.ownerThawedAt = now;
    if (failed) next.ownerFailed = true;
  } else {
    const open = next.participants.find((participant) => participant.product === product && participant.thawedAt === undefined);
    if (!open) return { action: 'release', failed: failed || anyFailed() };
    open.thawedAt = now;
    if (failed) open.failed = true;
  }
  const stillOpen = [
    ...(next.ownerThawedAt === undefined ? [next.owner] : []),
    ...next.participants.filter((participant) => participant.thawedAt === undefined).map((participant) => participant.product),
  ];
  if (stillOpen.length === 0) return { action: 'release', failed: anyFailed() };
  return { action: 'keep', stillOpen, nested: next };
}
