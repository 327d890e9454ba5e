import type { BinlogKey } from './binlog/decrypt.js';
import { open } from 'node:fs/promises';
import type { LogFacts, LogObserver } from '../../archive/metadata.js';
import { unixToIso } from '../../archive/metadata.js';
import { BinlogScanner, scanBinlogBuffer } from './binlog/index.js';
import type { BinlogScan } from './binlog/index.js';
import { parseVersion } from './dialect.js';

/** Maps what the binlog reader found to the archive's metadata fields. Pure. */
export function factsFromScan(scan: BinlogScan): LogFacts {
  return {
    firstEventTime: unixToIso(scan.firstEventTime),
    lastEventTime: unixToIso(scan.lastEventTime),
    firstCommitTime: unixToIso(scan.firstCommitTime),
    lastCommitTime: unixToIso(scan.lastCommitTime),
    startPosition: scan.startPosition,
    endPosition: scan.endPosition,
    lastCompleteTransactionEnd: scan.lastCompleteTransactionEnd,
    transactionCount: scan.transactionCount,
    firstTransaction: scan.firstGtid,
    lastTransaction: scan.lastGtid,
    previousTransactions: scan.previousGtids,
    ...(Object.keys(scan.gtidRanges).length ? { gtidRanges: scan.gtidRanges } : {}),
    serverId: scan.serverId,
    serverVersion: scan.serverVersion,
    serverFlavor: flavorOf(scan.serverVersion),
    cleanClose: !scan.inUseFlag,
    nextLog: scan.rotateTo?.file,
    details: {
      checksum: scan.checksum,
      gtidFlavor: scan.gtidFlavor,
      stopped: scan.stopped,
      eventCount: scan.eventCount,
      incompleteTail: scan.incompleteTail,
      problems: scan.problems,
      ...(scan.unreadableFrom !== undefined ? { unreadableFrom: scan.unreadableFrom } : {}),
      // XA steps (prepare / commit / rollback with their positions): the planner names the XA transactions a stop leaves prepared.
      ...(scan.xa.length ? { xa: scan.xa } : {}),
      ...(scan.xaOverflow ? { xaOverflow: true } : {}),
      ...(scan.compressedTransactions ? { compressedTransactions: scan.compressedTransactions } : {}),
      ...(scan.partialRowEvents ? { partialRowEvents: scan.partialRowEvents } : {}),
    },
  };
}

/** The flavor a binlog's format description names; undefined when its version string is not a server version. */
function flavorOf(serverVersion: string): string | undefined {
  try {
    return serverVersion ? parseVersion(serverVersion).flavor : undefined;
  } catch {
    return undefined;
  }
}

/** Learns a binlog's facts from the chunks that the archive copies; keeps no transaction index in memory. */
export const CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** Pure: a sparse index over transactions (log order) — a checkpoint at the first one and then every `every` bytes. */
export class CheckpointRecorder {
  readonly checkpoints: { position: number; maxCommitTimeBefore: number }[] = [];
  private nextAt = 0;
  private maxCommit = 0;

  constructor(private readonly every = CHECKPOINT_BYTES) {}

  add(transaction: { startPosition: number; commitTime: number }): void {
    if (transaction.startPosition >= this.nextAt) {
      this.checkpoints.push({ position: transaction.startPosition, maxCommitTimeBefore: this.maxCommit });
      this.nextAt = transaction.startPosition + this.every;
    }
    if (transaction.commitTime > this.maxCommit) this.maxCommit = transaction.commitTime;
  }
}

export function binlogObserver(checkpointBytes = CHECKPOINT_BYTES, key?: BinlogKey): LogObserver {
  const recorder = new CheckpointRecorder(checkpointBytes);
  const scanner = new BinlogScanner({ keepTransactions: false, onTransaction: (transaction) => recorder.add(transaction), key });
  return {
    push: (chunk) => scanner.push(chunk),
    finish: () => ({ ...factsFromScan(scanner.finish()), ...(recorder.checkpoints.length ? { checkpoints: recorder.checkpoints } : {}) }),
  };
}

const PREFIX_BYTES = 1 << 20;

/** Age of the first transaction in a binlog, from its first MiB; undefined when it holds none yet. */
export async function firstTransactionAgeSeconds(path: string, now = Date.now(), key?: BinlogKey): Promise<number | undefined> {
  const handle = await open(path, 'r');
  let prefix: Buffer;
  let size: number;
  try {
    size = (await handle.stat()).size;
    prefix = Buffer.alloc(Math.min(size, PREFIX_BYTES));
    await handle.read(prefix, 0, prefix.length, 0);
  } finally {
    await handle.close();
  }
  const scan = scanBinlogBuffer(prefix, { key });
  const firstCommit = scan.transactions[0]?.commitTime;
  if (firstCommit !== undefined) return Math.max(0, now / 1000 - firstCommit);
  // A first transaction larger than the prefix: the file's creation time bounds its age.
  if (size > PREFIX_BYTES && scan.firstEventTime !== undefined) return Math.max(0, now / 1000 - scan.firstEventTime);
  return undefined;
}

/** For `verify`: what a re-read of an archived binlog says is wrong with it. */
export function binlogProblems(facts: LogFacts, recorded: { endPosition?: number; lastCompleteTransactionEnd?: number }): string[] {
  const problems: string[] = [];
  const found = (facts.details?.['problems'] ?? []) as { position: number; problem: string }[];
  for (const problem of found) problems.push(`${problem.problem} (at byte ${problem.position})`);
  if (recorded.lastCompleteTransactionEnd !== undefined && facts.lastCompleteTransactionEnd !== recorded.lastCompleteTransactionEnd) {
    problems.push(`last complete transaction ends at ${facts.lastCompleteTransactionEnd}, metadata says ${recorded.lastCompleteTransactionEnd}`);
  }
  return problems;
}
