/**
 * MySQL/MariaDB binlog reader: a streaming scanner (CRC32 of every event, transaction-boundary index,
 * GTIDs, close state) and an event decoder, over files, streams or buffers.
 */
export { BinlogScanner, scanBinlogBuffer } from './scanner.js';
export type { BinlogEvent, BinlogProblem, BinlogScan, BinlogTransaction, ScannerOptions } from './types.js';
export { DEFAULT_CHUNK_SIZE, readBinlogEvents, readFileChunks, scanBinlogFile, scanBinlogStream } from './io.js';
export type { ReadEventsOptions, ScanFileOptions } from './io.js';
export { BinlogFormatError } from './errors.js';
export { isBinlogMagic } from './event-header.js';
export type { EventHeader } from './event-header.js';
export { BINLOG_MAGIC, EventFlag, EventType, MariadbGtidFlag, eventTypeName } from './constants.js';
export type { EventDetails, StatementKind } from './events.js';
export { BinlogBuilder } from './builder.js';
export type { BinlogBuilderOptions } from './builder.js';
