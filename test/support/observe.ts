import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Polls `probe` until it gives something other than undefined/false; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface RecordedEvent {
  type: string;
  level: string;
  [field: string]: unknown;
}

/** The events snaplog wrote to `<ipc folder>/events.jsonl` so far (none when the file is absent). */
export async function readEvents(ipcFolder: string): Promise<RecordedEvent[]> {
  const text = await readFile(join(ipcFolder, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedEvent);
}

/**
 * The deadlines the freeze's holder and watchdog were started with (their `--deadline` argument, unix ms), and
 * when the pre-step started, from the ipc folder's freeze.json and /proc.
 */
export async function freezeDeadlines(ipcFolder: string): Promise<{ startedAt: number; holder: number; watchdog: number }> {
  const record = JSON.parse(await readFile(join(ipcFolder, 'freeze.json'), 'utf8')) as { startedAt: string; holderPid: number; watchdogPid: number };
  const deadlineOf = async (pid: number): Promise<number> => {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return Number(argv[argv.indexOf('--deadline') + 1]);
  };
  return { startedAt: Date.parse(record.startedAt), holder: await deadlineOf(record.holderPid), watchdog: await deadlineOf(record.watchdogPid) };
}

/** Waits (bounded) until `check` holds; returns whether it did (for asserting that something does NOT happen, too). */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
