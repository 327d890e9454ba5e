import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { transactionsBetween, demoSystemId } from '../../src/demo/scenario.js';
import { makeTempDir, removeDirs } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';

describe('the demo (pure parts)', () => {
  it('counts the transactions between two GTIDs of one server; each run gets its own system id', () => {
    expect(transactionsBetween('0-1-52', '0-1-173')).toBe(120);
    expect(() => transactionsBetween('0-1-52', '0-2-173')).toThrow(/different servers/);
    expect(demoSystemId(new Date('2026-11-30T01:37:15.926Z'))).toBe('demo-20261130T013715926Z');
  });
});

describe('snaplog demo, twice in a row on one archive (real MariaDB, loop-mounted images)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('demo');
  });
  afterAll(async () => {
    await removeDirs(dir);
  });

  it('runs again on the same archive as a new system, and says how many transactions the snapshot alone would have lost', async () => {
    const archive = join(dir, 'archive');
    for (const run of [1, 2]) {
      const result = await snaplog(['demo', '--dir', join(dir, `work-${run}`), '--archive', archive], { timeoutMs: 600_000 });
      expect(result.stderr).not.toMatch(/snaplog: /);
      expect(result.code).toBe(0);
      // 3 × 40 orders are committed after the snapshot and before the DROP: counted from the GTIDs and the restored rows.
      expect(result.stdout).toMatch(
        /the snapshot alone would have lost 120 transactions: 0-1-\d+ … 0-1-\d+, committed after it and before the DROP \(50 orders in the snapshot, 170 before the DROP\)/,
      );
      expect(result.stdout).toMatch(/snaplog got all 120 back from the archived binlogs: 120 orders more than the snapshot/);
    }
    const systems = (await readdir(archive)).filter((entry) => !entry.startsWith('.'));
    expect(systems).toHaveLength(2);
    for (const system of systems) expect(system).toMatch(/^demo-\d{8}T\d{9}Z$/);
    for (const system of systems)
      expect((await readdir(join(archive, system, 'logs'))).filter((file) => file.endsWith('.json')).length).toBeGreaterThanOrEqual(5);
  }, 900_000);
});
