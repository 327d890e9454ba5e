import type { BinlogKey } from './binlog/decrypt.js';
import { stat } from 'node:fs/promises';
import { unixToIso } from '../../archive/metadata.js';
import { scanBinlogFile } from './binlog/index.js';
import { firstTransactionAgeSeconds } from './log-facts.js';

/** Read whole up to this size (≈0.1 s); a larger open binlog is judged by its last write instead. */
export const LAST_COMMIT_SCAN_LIMIT = 64 * 1024 * 1024;

/**
 * When the newest transaction in a binlog was committed, for `snaplog status`: exact from a scan of a
 * binlog up to 64 MiB; above that, the file's last write (a binlog is written at commit), marked estimated.
 * Undefined when the binlog holds no transaction.
 */
export async function lastCommitInBinlog(path: string, key?: BinlogKey): Promise<{ time: string; estimated: boolean } | undefined> {
  const info = await stat(path);
  if (info.size <= LAST_COMMIT_SCAN_LIMIT) {
    const scan = await scanBinlogFile(path, { keepTransactions: false, key });
    const time = unixToIso(scan.lastCommitTime);
    return time === undefined ? undefined : { time, estimated: false };
  }
  if ((await firstTransactionAgeSeconds(path, Date.now(), key)) === undefined) return undefined;
  return { time: info.mtime.toISOString(), estimated: true };
}
