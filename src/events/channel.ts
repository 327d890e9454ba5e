import { lstat, open, readFile, rename } from 'node:fs/promises';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { APPEND_NO_FOLLOW, ensurePrivateFolder, READ_NO_FOLLOW } from '../state/ipc-folder.js';

export type EventLevel = 'info' | 'warning' | 'alert';

/** One line of events.jsonl. Never carries a credential: callers pass facts, not config. */
export interface SnaplogEvent {
  time: string;
  type: string;
  level: EventLevel;
  host: string;
  pid: number;
  [field: string]: unknown;
}

export const EVENTS_FILE = 'events.jsonl';
const SECRET_KEYS = /pass(word)?|secret|cred|token/i;

function scrub(fields: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) clean[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
  return clean;
}

/** The messaging channel for external tools: JSON lines appended to <ipc folder>/events.jsonl, rotated by size. */
export class EventChannel {
  readonly path: string;
  private readonly listeners: ((event: SnaplogEvent) => void)[] = [];

  /**
   * `reportWriteError` says that an event could not be written (default: on stderr). Hooks pass their own:
   * Veeam fails a script that writes anything to stderr.
   */
  constructor(
    readonly folder: string,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly reportWriteError: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {
    this.path = join(folder, EVENTS_FILE);
  }

  /** In-process observers (metrics) see every event as it is emitted, whether or not the file write succeeds. */
  onEmit(listener: (event: SnaplogEvent) => void): void {
    this.listeners.push(listener);
  }

  async emit(type: string, level: EventLevel, fields: Record<string, unknown> = {}): Promise<SnaplogEvent> {
    const event: SnaplogEvent = { time: new Date().toISOString(), type, level, host: hostname(), pid: process.pid, ...scrub(fields) };
    for (const listener of this.listeners) listener(event);
    try {
      await ensurePrivateFolder(this.folder);
      await this.rotateIfLarge();
      const handle = await open(this.path, APPEND_NO_FOLLOW, 0o600);
      try {
        await handle.appendFile(`${JSON.stringify(event)}\n`);
      } finally {
        await handle.close();
      }
    } catch (error) {
      // The channel must never stop shipping or a freeze: report it and go on.
      this.reportWriteError(`snaplog: could not write event ${type} to ${this.path}: ${(error as Error).message}`);
    }
    return event;
  }

  private async rotateIfLarge(): Promise<void> {
    try {
      const info = await lstat(this.path);
      if (info.size >= this.maxBytes) await rename(this.path, `${this.path}.1`);
    } catch {
      // no file yet
    }
  }
}

export async function readEvents(path: string): Promise<SnaplogEvent[]> {
  let text = '';
  try {
    text = await readFile(path, { encoding: 'utf8', flag: READ_NO_FOLLOW });
  } catch {
    return [];
  }
  return parseEventLines(text);
}

export function parseEventLines(text: string): SnaplogEvent[] {
  const events: SnaplogEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as SnaplogEvent);
    } catch {
      // a torn last line while another process appends: skip it
    }
  }
  return events;
}

/** Follows events.jsonl like `tail -f`, across rotation; stops when `signal` aborts. */
export async function followEvents(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  let offset = 0;
  try {
    offset = (await lstat(path)).size;
  } catch {
    offset = 0;
  }
  let pending = '';
  const readMore = async (): Promise<void> => {
    let size: number;
    try {
      size = (await lstat(path)).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0;
    if (size === offset) return;
    const handle = await open(path, READ_NO_FOLLOW);
    try {
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      offset = size;
      pending += buffer.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    } finally {
      await handle.close();
    }
  };
  const timer = setInterval(() => void readMore(), 500);
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path, () => void readMore());
  } catch {
    watcher = undefined;
  }
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(timer);
  watcher?.close();
}
