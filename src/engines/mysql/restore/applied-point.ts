import type { BinlogKey } from '../binlog/decrypt.js';
import { scanBinlogFile } from '../binlog/index.js';
import type { BinlogTransaction } from '../binlog/index.js';
import { GtidSet, parseGtid } from './gtid.js';

/**
 * Pure: the last transaction of the replay that the server has applied, from @@gtid_slave_pos (the SQL
 * thread updates it in the same InnoDB transaction as the data, so it survives a crash or a kill -9).
 * Only the GTID streams that moved since the replay began count (a restored replica has its own).
 * `logs` are in replay order; returns the index of the log and the offset just after that transaction.
 */
export interface AppliedPoint {
  fileIndex: number;
  position: number;
  gtid: string;
}

export function lastAppliedIn(
  logs: { from: number; transactions: BinlogTransaction[] }[],
  baselineGtid: string | undefined,
  currentGtid: string | undefined,
): AppliedPoint | undefined {
  const before = GtidSet.parse(baselineGtid);
  const now = GtidSet.parse(currentGtid);
  let last: AppliedPoint | undefined;
  logs.forEach((log, fileIndex) => {
    for (const transaction of log.transactions) {
      if (transaction.startPosition < log.from || !transaction.gtid) continue;
      const gtid = parseGtid(transaction.gtid);
      const max = gtid ? now.highest(gtid.stream) : 0;
      if (!gtid || max === 0 || max === before.highest(gtid.stream) || gtid.seq > max) continue;
      last = { fileIndex, position: transaction.endPosition, gtid: transaction.gtid };
    }
  });
  return last;
}

/** Scans the fetched logs of a replay for their transaction boundaries and finds where the server stands. */
export async function findAppliedPoint(
  logs: { path: string; from: number }[],
  baselineGtid: string | undefined,
  currentGtid: string | undefined,
  key?: BinlogKey,
): Promise<AppliedPoint | undefined> {
  const scanned = [];
  for (const log of logs) scanned.push({ from: log.from, transactions: (await scanBinlogFile(log.path, { keepTransactions: true, key })).transactions });
  return lastAppliedIn(scanned, baselineGtid, currentGtid);
}
