import { describe, expect, it } from 'vitest';
import { planPrune } from '../../src/archive/retention.js';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

const log = (sequence: number): LogMetadata => ({
  formatVersion: 1,
  name: `mysql-bin.${String(sequence).padStart(6, '0')}`,
  engine: 'mysql',
  sequence,
  size: 1,
  sha256: 'x',
  headSha256: 'y',
  compression: 'none',
  storedName: `mysql-bin.${String(sequence).padStart(6, '0')}`,
  storedSize: 1,
  shippedAt: NOW.toISOString(),
  shippedBy: 'h',
});
const snapshot = (id: string, days: number, file: number, status: SnapshotRecord['status'] = 'thawed'): SnapshotRecord => ({
  formatVersion: 1,
  id,
  systemId: 's',
  engine: 'mysql',
  time: daysAgo(days),
  status,
  position: { file: log(file).name, position: 4 },
  host: 'h',
});

describe('prune plan (pure)', () => {
  const logs = Array.from({ length: 10 }, (_, i) => log(i + 1));

  it('keeps the newest snapshot before the cut and every log from its position on', () => {
    const snapshots = [snapshot('d9', 9, 2), snapshot('d8', 8, 4), snapshot('d3', 3, 7), snapshot('d1', 1, 9)];
    const plan = planPrune(snapshots, logs, 7, NOW);
    expect(plan.oldestKept?.id).toBe('d8');
    expect(plan.removeSnapshots.map((s) => s.id)).toEqual(['d9']);
    expect(plan.removeLogs.map((l) => l.sequence)).toEqual([1, 2, 3]);
  });

  it('a failed or timed-out snapshot never anchors retention', () => {
    const snapshots = [snapshot('good', 9, 2), snapshot('bad', 8, 6, 'timed-out'), snapshot('new', 1, 9)];
    const plan = planPrune(snapshots, logs, 7, NOW);
    expect(plan.oldestKept?.id).toBe('good');
    expect(plan.removeLogs.map((l) => l.sequence)).toEqual([1]);
  });

  it('without any usable snapshot nothing is removed', () => {
    const plan = planPrune([snapshot('bad', 9, 5, 'failed')], logs, 7, NOW);
    expect(plan.removeLogs).toEqual([]);
    expect(plan.reason).toMatch(/nothing is removed/);
  });
});
