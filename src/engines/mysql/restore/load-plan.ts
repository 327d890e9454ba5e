import type { BinlogKey } from '../binlog/decrypt.js';
import type { Archive } from '../../../archive/archive.js';
import { buildCatalog } from '../../../archive/catalog.js';
import { BinlogScanner } from '../binlog/index.js';
import { locateStop, planChain, PlanError } from './plan.js';
import { stopWindow } from './stop-window.js';
import type { ChainPlan, RestorePlan } from './plan.js';
import type { LogMetadata } from '../../../archive/metadata.js';
import type { RestoreTarget } from '../../restore-target.js';

/**
 * The full plan: phase one from metadata, then the boundary log's transaction index, read once from
 * the archive, for the exact stop offset.
 */
export async function loadPlan(archive: Archive, systemId: string, target: RestoreTarget, snapshotId?: string, key?: BinlogKey): Promise<RestorePlan> {
  await archive.assertMounted();
  const [archived, snapshots] = await Promise.all([archive.listLogs(systemId), archive.listSnapshots(systemId)]);
  const catalog = buildCatalog(archived);
  const chain = await planWithRanges(archive, systemId, catalog.logs, key, (logs) => planChain({ snapshots, logs, target, snapshotId }));
  const lastLog = chain.logs[chain.logs.length - 1]!;
  const boundaryMeta = catalog.logs.find((log) => log.name === lastLog.name);
  if (!chain.boundaryLog) return locateStop(chain, [], boundaryMeta);
  const window = boundaryMeta ? stopWindow(boundaryMeta, target) : undefined;
  if (window && boundaryMeta) {
    const scanner = new BinlogScanner({ keepTransactions: true, key });
    for await (const chunk of archive.openLogRange(systemId, boundaryMeta, 0, window.headEnd)) scanner.push(chunk as Buffer);
    scanner.skipTo(window.start);
    for await (const chunk of archive.openLogRange(systemId, boundaryMeta, window.start, window.end)) scanner.push(chunk as Buffer);
    const partial = scanner.finish();
    if (partial.problems.length === 0) {
      try {
        return { ...locateStop(chain, partial.transactions, boundaryMeta), boundaryBytesScanned: window.headEnd + (window.end - window.start) };
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        // The stop is not in the stretch (an index older than the log's content?): read the whole log.
      }
    }
  }
  const scanner = new BinlogScanner({ keepTransactions: true, key });
  for await (const chunk of archive.openLog(systemId, lastLog)) scanner.push(chunk as Buffer);
  return { ...locateStop(chain, scanner.finish().transactions, boundaryMeta), boundaryBytesScanned: lastLog.size };
}

/**
 * Phase one, and for GTID targets over logs shipped before per-domain GTID ranges were recorded: read each
 * log the planner names (once, whole), add its ranges to the metadata in memory, and plan again. Logs shipped
 * since carry the ranges and are never read here.
 */
async function planWithRanges(
  archive: Archive,
  systemId: string,
  logs: LogMetadata[],
  key: BinlogKey | undefined,
  plan: (logs: LogMetadata[]) => ChainPlan,
): Promise<ChainPlan> {
  const known = new Map(logs.map((log) => [log.name, log]));
  for (;;) {
    try {
      return plan([...known.values()]);
    } catch (error) {
      const unindexed = error instanceof PlanError ? error.unindexedLogs?.filter((name) => !known.get(name)?.gtidRanges) : undefined;
      if (!unindexed?.length) throw error;
      for (const name of unindexed) {
        const meta = known.get(name)!;
        const scanner = new BinlogScanner({ keepTransactions: false, key });
        for await (const chunk of archive.openLog(systemId, meta)) scanner.push(chunk as Buffer);
        known.set(name, { ...meta, gtidRanges: scanner.finish().gtidRanges });
      }
    }
  }
}
