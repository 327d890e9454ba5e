/**
 * A toy database for the "fourth engine" test: its state is a folder of files (key → value), and every
 * write is first appended to the open log as `<unix seconds> <key> <value>` (a log is `toy.NNNNNN`;
 * the newest is open). Quiesce reads the position (the open log and its size); switchLog opens the next log.
 */
import { appendFile, cp, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogFacts, LogObserver } from '../../../src/archive/metadata.js';
import type { Engine, Quiesced, SourceLog } from '../../../src/engines/types.js';

const LOG_NAME = /^toy\.(\d{6})$/;
export const toyLogName = (sequence: number): string => `toy.${String(sequence).padStart(6, '0')}`;

/** One write of a toy log line; pure. Lines are `<unix seconds> <key> <value>`. */
export interface ToyWrite {
  time: number;
  key: string;
  value: string;
}

export function parseToyLines(text: string): ToyWrite[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [time, key, value] = line.split(' ');
      return { time: Number(time), key: key!, value: value! };
    });
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** Learns a toy log's facts (commit times, transaction count, where its last complete line ends) as it streams past. */
export function toyObserver(): LogObserver {
  let text = '';
  return {
    push: (chunk) => void (text += chunk.toString('utf8')),
    finish: (): LogFacts => {
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const writes = parseToyLines(complete);
      const first = writes[0];
      const last = writes[writes.length - 1];
      return {
        startPosition: 0,
        endPosition: text.length,
        lastCompleteTransactionEnd: Buffer.byteLength(complete),
        transactionCount: writes.length,
        ...(first && last
          ? { firstCommitTime: iso(first.time), lastCommitTime: iso(last.time), firstEventTime: iso(first.time), lastEventTime: iso(last.time) }
          : {}),
      };
    },
  };
}

/** The toy database itself, for the test to write to: the log first, then the state folder. */
export class ToyDatabase {
  constructor(
    readonly logDir: string,
    readonly dataDir: string,
  ) {}

  async newestLog(): Promise<string> {
    const names = (await readdir(this.logDir)).filter((name) => LOG_NAME.test(name)).sort();
    return names[names.length - 1] ?? toyLogName(1);
  }

  async write(change: ToyWrite): Promise<void> {
    await appendFile(join(this.logDir, await this.newestLog()), `${change.time} ${change.key} ${change.value}\n`);
    await writeFile(join(this.dataDir, change.key), change.value);
  }

  /** A "disk snapshot" of the state folder. */
  async snapshotTo(folder: string): Promise<void> {
    await cp(this.dataDir, folder, { recursive: true });
  }
}

export class ToyEngine implements Engine {
  readonly kind = 'toy';

  constructor(private readonly database: ToyDatabase) {}

  async systemId(): Promise<string> {
    return 'toy-system';
  }

  async listSourceLogs(): Promise<SourceLog[]> {
    const names = (await readdir(this.database.logDir)).filter((name) => LOG_NAME.test(name)).sort();
    return names.map((name, i) => ({ name, path: join(this.database.logDir, name), sequence: Number(LOG_NAME.exec(name)![1]), closed: i < names.length - 1 }));
  }

  observeLog(): LogObserver {
    return toyObserver();
  }

  async switchLog(): Promise<void> {
    const newest = await this.database.newestLog();
    const sequence = Number(LOG_NAME.exec(newest)![1]) + 1;
    await writeFile(join(this.database.logDir, toyLogName(sequence)), '', { flag: 'wx' });
  }

  async firstTransactionAgeSeconds(): Promise<number | undefined> {
    return undefined;
  }

  /** The position is the open log and its size: every write before it is in the snapshot, none after. */
  async quiesce(): Promise<Quiesced> {
    const file = await this.database.newestLog();
    const position = (await stat(join(this.database.logDir, file))).size;
    return { position: { file, position }, serverVersion: 'toy 1', method: 'toy-lock', release: async () => undefined };
  }

  async close(): Promise<void> {}
}
