import type { SnapshotRecord } from '../../../archive/snapshot-record.js';
import type { FoundDatadir, SnapshotIdentity, VolumeReader } from '../../types.js';
import { readDatadirFacts } from '../datadir-facts.js';
import { identifySnapshot } from '../snapshot-identity.js';
import { findDatadirs } from './find-datadir.js';

/**
 * Which snapshot a data directory found on a restored volume is: the marker freeze left in it, InnoDB's
 * recorded binlog position, and the newest binlog (in or beside the data directory, or anywhere on the
 * volume as the walk found it). The same rules restore applies.
 */
async function identifyFoundDatadir(snapshots: SnapshotRecord[], found: FoundDatadir): Promise<SnapshotIdentity> {
  const facts = await readDatadirFacts(found.datadir).catch(() => undefined);
  return identifySnapshot(snapshots, {
    marker: facts?.marker,
    markerProblem: facts?.markerProblem,
    newestBinlog: facts?.newestBinlog ?? (found.newestBinlog && found.binlogIndex ? { ...found.newestBinlog, index: found.binlogIndex } : undefined),
    innodb: facts?.innodb,
  });
}

export const mysqlVolumeReader: VolumeReader = { findDatadirs, identify: identifyFoundDatadir };
