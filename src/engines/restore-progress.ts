/** Progress of a replay for a terminal: bytes, transactions, rates, current log, ETA. Pure formatting. */

export interface ReplayProgress {
  doneBytes: number;
  totalBytes: number;
  currentLog: string;
  /** Transactions applied so far (undefined when the server cannot tell). */
  transactions?: number;
}

/** Apply rates over `elapsedMs` of replay: MB/s (MiB) and transactions/s. */
export interface ReplayRates {
  mbPerSecond: number;
  transactionsPerSecond?: number;
}

export function replayRates(bytes: number, transactions: number | undefined, elapsedMs: number): ReplayRates {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    mbPerSecond: Math.round((bytes / 1048576 / seconds) * 100) / 100,
    ...(transactions !== undefined ? { transactionsPerSecond: Math.round(transactions / seconds) } : {}),
  };
}

/** "12.3 MB/s, 4567 transactions/s" */
export function formatRates(rates: ReplayRates): string {
  return `${rates.mbPerSecond.toFixed(1)} MB/s${rates.transactionsPerSecond !== undefined ? `, ${rates.transactionsPerSecond} transactions/s` : ''}`;
}

/** `elapsedMs`: time since the replay itself started (the rates are apply rates). */
export function formatProgress(progress: ReplayProgress, elapsedMs: number): string {
  const fraction = progress.totalBytes > 0 ? Math.min(1, progress.doneBytes / progress.totalBytes) : 1;
  const rate = elapsedMs > 0 ? progress.doneBytes / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? Math.round((progress.totalBytes - progress.doneBytes) / rate) : undefined;
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  const rates = formatRates(replayRates(progress.doneBytes, progress.transactions, elapsedMs));
  return (
    `replaying ${progress.currentLog}: ${mb(progress.doneBytes)}/${mb(progress.totalBytes)} MB (${Math.round(fraction * 100)}%)` +
    `${progress.transactions !== undefined ? `, ${progress.transactions} transactions` : ''}, ${rates}${eta !== undefined ? `, ETA ${eta} s` : ''}`
  );
}

/** Bytes replayed so far when the replay stands at `position` in the `index`-th planned log. */
export function bytesDone(logs: { size: number; from: number; to?: number }[], index: number, position: number): number {
  let done = 0;
  for (let i = 0; i < index && i < logs.length; i++) done += Math.max(0, (logs[i]!.to ?? logs[i]!.size) - logs[i]!.from);
  const current = logs[index];
  if (current) done += Math.max(0, Math.min(position, current.to ?? current.size) - current.from);
  return done;
}
