import type { SourceLog } from '../engines/types.js';

export interface ArchivedIdentity {
  name: string;
  sequence: number;
  stream?: string;
  size: number;
  headSha256: string;
  /** false when the archived copy is marked open (crash-closed): the shipper keeps comparing it with the server's file. */
  cleanClose?: boolean;
}

export interface SequenceGap {
  /** Sequence numbers of the logs that are neither on the server nor in the archive. */
  fromSequence: number;
  toSequence: number;
  after?: string;
  before: string;
}

export interface RoundPlan {
  /** Closed logs not yet archived, oldest first. */
  toShip: SourceLog[];
  /** Logs the engine will not read (outside the log folder, a symlink): never shipped, reported. */
  refused: SourceLog[];
  /** Closed logs the archive already has under the same name: their identity is checked before they count as shipped. */
  alreadyArchived: SourceLog[];
  /** Logs purged from the server before they reached the archive. */
  gaps: SequenceGap[];
}

/**
 * Pure: which of the server's closed logs still need shipping, and whether the server lost some before
 * they were shipped (its oldest unshipped log is not the successor of the archive's newest).
 */
export function planRound(source: SourceLog[], archived: ArchivedIdentity[]): RoundPlan {
  const archivedNames = new Set(archived.map((log) => log.name));
  const closed = source.filter((log) => log.closed && !log.refused);
  const toShip = closed.filter((log) => !archivedNames.has(log.name));
  const alreadyArchived = closed.filter((log) => archivedNames.has(log.name));
  const refused = source.filter((log) => log.refused);
  const streams = new Set(source.map((log) => log.stream ?? ''));
  const gaps = [...streams].flatMap((stream) =>
    gapsOfStream(
      source.filter((log) => (log.stream ?? '') === stream),
      archived.filter((log) => (log.stream ?? '') === stream),
      archivedNames,
    ),
  );
  return { toShip, refused, alreadyArchived, gaps };
}

/** The server's oldest unshipped log of a stream must follow the archive's newest of that stream. */
function gapsOfStream(source: SourceLog[], archived: ArchivedIdentity[], archivedNames: Set<string>): SequenceGap[] {
  const first = source.find((log) => log.closed && !archivedNames.has(log.name)) ?? source.find((log) => !archivedNames.has(log.name));
  if (!first || archived.length === 0) return [];
  const below = archived.filter((log) => log.sequence < first.sequence).sort((a, b) => a.sequence - b.sequence);
  const newest = below[below.length - 1];
  const serverHasPredecessor = source.some((log) => log.sequence === first.sequence - 1);
  if (newest && newest.sequence < first.sequence - 1 && !serverHasPredecessor) {
    return [{ fromSequence: newest.sequence + 1, toSequence: first.sequence - 1, after: newest.name, before: first.name }];
  }
  return [];
}
