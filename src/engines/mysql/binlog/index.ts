import { createReadStream } from 'node:fs';
import { BinlogScanner } from './scanner.js';
import type { BinlogEvent, BinlogScan } from './scanner.js';

export { BinlogScanner } from './scanner.js';
export type { BinlogEvent, BinlogProblem, BinlogScan, BinlogTransaction, ScannerOptions } from './scanner.js';
export { isBinlogMagic } from './decode.js';
export { EventType } from './constants.js';

const CHUNK = 1 << 20;

export async function scanBinlogFile(path: string, options: { keepTransactions?: boolean } = {}): Promise<BinlogScan> {
  const scanner = new BinlogScanner(options);
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) scanner.push(chunk as Buffer);
  return scanner.finish();
}

export function scanBinlogBuffer(buffer: Buffer, options: { keepTransactions?: boolean } = {}): BinlogScan {
  const scanner = new BinlogScanner(options);
  scanner.push(buffer);
  return scanner.finish();
}

/** Every event of a binlog with its query text, table name and GTID decoded (for `snaplog find`). */
export async function* readBinlogEvents(source: string | AsyncIterable<Buffer>): AsyncGenerator<BinlogEvent> {
  const pending: BinlogEvent[] = [];
  const scanner = new BinlogScanner({ keepTransactions: false, onEvent: (event) => pending.push(event) });
  const chunks = typeof source === 'string' ? (createReadStream(source, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) : source;
  for await (const chunk of chunks) {
    scanner.push(chunk);
    yield* pending.splice(0);
  }
  scanner.finish();
  yield* pending.splice(0);
}
