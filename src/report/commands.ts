import { shQuote } from '../shell-quote.js';

/** What the DBA types to check a restore first, and to run it. */
export interface RestoreCommands {
  plan: string;
  restore: string;
}

/** The placeholder a window's command template carries where the clicked time goes. */
export const TIME_PLACEHOLDER = '{TIME}';

const PLAIN_WORD = /^[A-Za-z0-9._:@%+=,/-]+$/;

/** A word for POSIX sh: bare when it needs no quoting (readable), single-quoted otherwise (names come from the archive). */
function word(text: string): string {
  return PLAIN_WORD.test(text) ? text : shQuote(text);
}

/**
 * `snaplog plan …` and `snaplog restore …` that reach the end of a snapshot's restorable window
 * (`--latest` from that snapshot: replay stops at the end of its unbroken chain of logs) or a time inside it.
 * Pure.
 */
export function restoreCommands(input: {
  systemId: string;
  snapshotId: string;
  restoreInto: readonly string[];
  to?: string;
  toPosition?: string;
}): RestoreCommands {
  const target = input.to !== undefined ? ['--to', input.to] : input.toPosition !== undefined ? ['--to-position', word(input.toPosition)] : ['--latest'];
  const common = ['--system', word(input.systemId), '--snapshot', word(input.snapshotId), ...target];
  return { plan: ['snaplog', 'plan', ...common].join(' '), restore: ['snaplog', 'restore', ...common, ...input.restoreInto.map(word)].join(' ') };
}
