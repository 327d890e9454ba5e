import { SnaplogError } from '../errors.js';

export class FreezeTimeoutError extends SnaplogError {
  constructor(what: string, seconds: number) {
    super(`${what} did not finish within the freeze timeout (${seconds} s)`, {
      hint: 'check the archive mount and the database; the freeze was undone and the database is writable; raise [workload] timeout if this host is slow',
    });
  }
}

/** Bounds a step of the freeze protocol: a hanging archive or database must not hang the snapshot. */
export async function withDeadline<T>(work: Promise<T>, deadlineMs: number, what: string, timeoutSeconds: number): Promise<T> {
  const remaining = deadlineMs - Date.now();
  if (remaining <= 0) throw new FreezeTimeoutError(what, timeoutSeconds);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FreezeTimeoutError(what, timeoutSeconds)), remaining);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
