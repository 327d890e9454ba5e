import type { LogMetadata } from '../../../archive/metadata.js';
import type { RestoreTarget } from '../../restore-target.js';

/**
 * Pure: the stretch of the boundary log that must hold the stop, from its ship-time checkpoints, with one
 * checkpoint of margin on each side (so the transactions just before and after the stop are read too). For a time target: the
 * stop is the first transaction committed after TIME; no transaction before a checkpoint whose
 * `maxCommitTimeBefore` ≤ TIME can be it. Undefined: read the whole log (no index, or a GTID target).
 */
export function stopWindow(
  meta: Pick<LogMetadata, 'checkpoints' | 'size' | 'compression'>,
  target: RestoreTarget,
): { headEnd: number; start: number; end: number } | undefined {
  const checkpoints = meta.checkpoints;
  if (!checkpoints?.length || meta.compression !== 'none') return undefined;
  let k: number;
  if (target.kind === 'time') k = lastIndex(checkpoints, (checkpoint) => checkpoint.maxCommitTimeBefore <= target.time);
  else if (target.kind === 'position') k = lastIndex(checkpoints, (checkpoint) => checkpoint.position < target.position);
  else return undefined;
  if (k < 0) k = 0;
  const start = checkpoints[Math.max(0, k - 1)]!.position;
  const end = checkpoints[k + 2]?.position ?? meta.size;
  return { headEnd: checkpoints[0]!.position, start, end };
}

function lastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (test(items[index]!)) return index;
  return -1;
}
