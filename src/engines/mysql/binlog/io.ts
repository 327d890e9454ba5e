import type { BinlogKey } from './decrypt.js';
import { open } from 'node:fs/promises';
import { BinlogFormatError } from './errors.js';
import { BinlogScanner } from './scanner.js';
import type { BinlogEvent, BinlogProblem, BinlogScan, ScannerOptions } from './types.js';

/** The file I/O edge of the binlog reader: files and streams in, scans and events out. */

/** Read size of scanBinlogFile: large enough that per-read costs vanish, with the next read overlapping the scan. */
export const DEFAULT_CHUNK_SIZE = 4 << 20;

export interface ScanFileOptions extends Omit<ScannerOptions, 'onEvent'> {
  /** Read size in bytes (default 4 MiB; two buffers of it are in use). */
  chunkSize?: number;
}

/**
 * Reads a file from its start to its current end in `chunkSize` pieces, the next read already running
 * while the consumer works on the current piece (two buffers, reused): each chunk is valid only until the
 * consumer asks for the one after the next.
 */
export async function* readFileChunks(path: string, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)] as const;
  let which = 0;
  let position = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = handle.read(buffers[0], 0, chunkSize, 0);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      const current = buffers[which]!;
      position += bytesRead;
      which ^= 1;
      pending = handle.read(buffers[which]!, 0, chunkSize, position);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    if (pending) await pending.catch(() => undefined);
    await handle.close();
  }
}

/** Scans a binlog file in one sequential pass. Never throws for malformed content (see `problems`); I/O errors do throw. */
export async function scanBinlogFile(path: string, options: ScanFileOptions = {}): Promise<BinlogScan> {
  const { chunkSize, ...scannerOptions } = options;
  const scanner = new BinlogScanner(scannerOptions);
  for await (const chunk of readFileChunks(path, chunkSize)) scanner.push(chunk);
  return scanner.finish();
}

/** Scans a binlog arriving as a stream (a gunzip stream of an archived copy, a network copy, …). */
export async function scanBinlogStream(source: AsyncIterable<Buffer | Uint8Array>, options: Omit<ScannerOptions, 'onEvent'> = {}): Promise<BinlogScan> {
  const scanner = new BinlogScanner(options);
  for await (const chunk of source) scanner.push(chunk);
  return scanner.finish();
}

export interface ReadEventsOptions {
  /** Problems (damage, unreadable format) go here instead of being thrown; reading stops after a fatal one. */
  onProblem?: (problem: BinlogProblem) => void;
  /** For messages when `source` is a stream. */
  name?: string;
  chunkSize?: number;
  checkLogPos?: boolean;
  /** The key of an encrypted MariaDB binlog. */
  key?: BinlogKey;
}

/**
 * Every whole event of a binlog with its kind-specific fields decoded: query text and database, table map,
 * GTID (also on the events inside a transaction), XID, rotate target. An incomplete tail ends the
 * iteration quietly; damage throws BinlogFormatError after the events before it (or goes to onProblem).
 */
export async function* readBinlogEvents(source: string | AsyncIterable<Buffer | Uint8Array>, options: ReadEventsOptions = {}): AsyncGenerator<BinlogEvent> {
  const name = typeof source === 'string' ? source : options.name;
  const pending: BinlogEvent[] = [];
  const scanner = new BinlogScanner({
    keepTransactions: false,
    onEvent: (event) => pending.push(event),
    key: options.key,
    ...(options.checkLogPos === undefined ? {} : { checkLogPos: options.checkLogPos }),
  });
  const chunks = typeof source === 'string' ? readFileChunks(source, options.chunkSize) : source;
  let reported = 0;
  const problems = function* (found: readonly BinlogProblem[], fatal: BinlogProblem | undefined): Generator<BinlogProblem> {
    while (reported < found.length) {
      const problem = found[reported++]!;
      if (problem === fatal && !options.onProblem) throw new BinlogFormatError(name, problem.position, problem.problem);
      yield problem;
    }
  };
  for await (const chunk of chunks) {
    scanner.push(chunk);
    yield* pending.splice(0);
    for (const problem of problems(scanner.problems, scanner.fatalProblem)) options.onProblem?.(problem);
    if (scanner.fatalProblem) return;
  }
  scanner.finish();
  yield* pending.splice(0);
  for (const problem of problems(scanner.problems, scanner.fatalProblem)) options.onProblem?.(problem);
}
