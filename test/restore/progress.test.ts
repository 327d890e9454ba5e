import { describe, expect, it } from 'vitest';
import { bytesDone, formatProgress, formatRates, replayRates } from '../../src/engines/restore-progress.js';
import { transactionsSince } from '../../src/engines/mysql/restore/gtid.js';

describe('replay progress: rates and transactions (pure)', () => {
  it('transactions between two MariaDB positions: the rise per domain, a new domain from 0; MySQL sets and garbage give none', () => {
    expect(transactionsSince('0-1-100', '0-1-350')).toBe(250);
    expect(transactionsSince('0-1-100,7-2-5', '0-1-110,7-2-9,9-1-3')).toBe(10 + 4 + 3);
    expect(transactionsSince(undefined, '0-1-42')).toBe(42);
    expect(transactionsSince('0-1-50', '0-1-50')).toBe(0);
    expect(transactionsSince('0-1-10', undefined)).toBeUndefined();
    expect(transactionsSince('', '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5')).toBeUndefined();
    expect(transactionsSince('0-1-1', 'not a gtid')).toBeUndefined();
  });

  it('MB/s and transactions/s over the apply time; the progress line carries both and the ETA', () => {
    expect(replayRates(50 * 1048576, 20_000, 2000)).toEqual({ mbPerSecond: 25, transactionsPerSecond: 10_000 });
    expect(replayRates(1048576, undefined, 0).transactionsPerSecond).toBeUndefined();
    expect(formatRates({ mbPerSecond: 25, transactionsPerSecond: 10_000 })).toBe('25.0 MB/s, 10000 transactions/s');
    const line = formatProgress({ doneBytes: 10 * 1048576, totalBytes: 40 * 1048576, currentLog: 'mysql-bin.000003', transactions: 5000 }, 1000);
    expect(line).toBe('replaying mysql-bin.000003: 10.0/40.0 MB (25%), 5000 transactions, 10.0 MB/s, 5000 transactions/s, ETA 3 s');
  });

  it("bytes done count from each log's start offset up to its stop", () => {
    const logs = [
      { size: 1000, from: 400 },
      { size: 500, from: 4, to: 300 },
    ];
    expect(bytesDone(logs, 0, 700)).toBe(300);
    expect(bytesDone(logs, 1, 100)).toBe(600 + 96);
    expect(bytesDone(logs, 2, 0)).toBe(600 + 296);
  });
});
