import type { Archive } from '../archive/archive.js';
import { buildCatalog } from '../archive/catalog.js';
import { BinlogScanner } from '../engines/mysql/binlog/index.js';
import { locateStop, planChain } from './plan.js';
import type { RestorePlan } from './plan.js';
import type { RestoreTarget } from './target.js';

/**
 * The full plan: phase one from metadata, then the boundary log's transaction index, read once from
 * the archive, for the exact stop offset.
 */
export async function loadPlan(archive: Archive, systemId: string, target: RestoreTarget, snapshotId?: string): Promise<RestorePlan> {
  await archive.assertMounted();
  const [archived, snapshots] = await Promise.all([archive.listLogs(systemId), archive.listSnapshots(systemId)]);
  const catalog = buildCatalog(archived);
  const chain = planChain({ snapshots, logs: catalog.logs, target, snapshotId });
  const lastLog = chain.logs[chain.logs.length - 1]!;
  const boundaryMeta = catalog.logs.find((log) => log.name === lastLog.name);
  if (!chain.boundaryLog) return locateStop(chain, [], boundaryMeta);
  const scanner = new BinlogScanner({ keepTransactions: true });
  for await (const chunk of archive.openLog(systemId, lastLog)) scanner.push(chunk as Buffer);
  return locateStop(chain, scanner.finish().transactions, boundaryMeta);
}
