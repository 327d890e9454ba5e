/** InterSystems IRIS / Caché engine: what the rest of snaplog uses from this folder. */
export { createIrisEngine, irisClient } from './factory.js';
export { IrisEngine } from './engine.js';
export { irisConfig } from './config.js';
export type { IrisConfig } from './config.js';
export { planIrisChain } from './restore/restore.js';
export type { JournalRestoreOptions, IrisRestoreResult } from './restore/restore.js';
export { irisRestoreScript } from './restore/script.js';
export { consecutiveNumbers, journalGaps } from './journal-names.js';
