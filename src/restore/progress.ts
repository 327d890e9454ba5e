/** Progress of a replay for a terminal: bytes, current log, ETA. Pure formatting + a tiny rate tracker. */
export interface ReplayProgress {
  doneBytes: number;
  totalBytes: number;
  currentLog: string;
}

export function formatProgress(progress: ReplayProgress, elapsedMs: number): string {
  const fraction = progress.totalBytes > 0 ? Math.min(1, progress.doneBytes / progress.totalBytes) : 1;
  const rate = elapsedMs > 0 ? progress.doneBytes / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? Math.round((progress.totalBytes - progress.doneBytes) / rate) : undefined;
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  return `replaying ${progress.currentLog}: ${mb(progress.doneBytes)}/${mb(progress.totalBytes)} MB (${Math.round(fraction * 100)}%)${eta !== undefined ? `, ETA ${eta} s` : ''}`;
}

/** Bytes replayed so far when the replay stands at `position` in the `index`-th planned log. */
export function bytesDone(logs: { size: number; from: number; to?: number }[], index: number, position: number): number {
  let done = 0;
  for (let i = 0; i < index && i < logs.length; i++) done += Math.max(0, (logs[i]!.to ?? logs[i]!.size) - logs[i]!.from);
  const current = logs[index];
  if (current) done += Math.max(0, Math.min(position, current.to ?? current.size) - current.from);
  return done;
}
