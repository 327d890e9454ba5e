import type { Archive } from '../../../archive/archive.js';
import { SnaplogError } from '../../../errors.js';
import type { DatadirFacts } from '../datadir-facts.js';
import { identifySnapshot, snapshotForDatadir } from '../snapshot-identity.js';

export interface DatadirSnapshot {
  snapshotId: string;
  /** One line for the terminal: which snapshot and why. */
  line: string;
  json: { id: string; identified: boolean; evidence: string[] };
}

/**
 * The snapshot a restored data directory must be rolled forward from (restore, drill): the one it is.
 * A mismatch with --snapshot, or a directory nothing identifies without --snapshot, is refused.
 */
export async function identifyDatadirSnapshot(
  archive: Archive,
  systemId: string,
  facts: DatadirFacts,
  requested: string | undefined,
): Promise<DatadirSnapshot> {
  const records = await archive.listSnapshots(systemId);
  const identity = identifySnapshot(records, facts);
  const chosen = snapshotForDatadir(identity, requested, { records, innodb: facts.innodb });
  if ('refusal' in chosen) throw new SnaplogError(chosen.refusal, { hint: chosen.hint });
  const identified = identity.kind === 'identified';
  const line = identified
    ? `the data directory is snapshot ${chosen.snapshotId} (${identity.evidence.join('; ')})`
    : `snapshot ${chosen.snapshotId} as given: ${chosen.note ?? ''}`;
  return { snapshotId: chosen.snapshotId, line, json: { id: chosen.snapshotId, identified, evidence: identity.evidence } };
}
