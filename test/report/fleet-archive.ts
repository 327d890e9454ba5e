// A synthetic fleet archive, in snaplog's own format (metadata + snapshot records + empty data files, as
// bench/support/synthetic-archive.mjs writes them): what a DBA's archive root looks like after a week.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs module of the benchmarks, reused for the same archive format
import { logName, snapshotRecord, syntheticLogMetadata, writeLogs, writeSnapshots } from '../../bench/support/synthetic-archive.mjs';
import type { LogMetadata } from '../../src/archive/metadata.js';
import type { SnapshotRecord, SnapshotStatus } from '../../src/archive/snapshot-record.js';

export interface FleetSystemSpec {
  systemId: string;
  /** One log every `slotSeconds`, the last one ending `endsSecondsAgo` before now. */
  logCount: number;
  slotSeconds: number;
  endsSecondsAgo: number;
  /** Sequences (1-based) that are missing: consecutive ones make one gap. */
  missing?: number[];
  /** Snapshots: seconds ago, and status (default thawed), frozen ms. */
  snapshots: { secondsAgo: number; status?: SnapshotStatus; frozenMs?: number; error?: string }[];
}

export interface FleetSystem {
  systemId: string;
  logs: LogMetadata[];
  snapshots: SnapshotRecord[];
  gaps: number;
  recoveryPoint: string;
}

/** Builds the metadata of one system relative to `now` (unix ms), without touching the disk. */
export function fleetSystem(spec: FleetSystemSpec, now: number): FleetSystem {
  const nowS = Math.floor(now / 1000);
  const start = nowS - spec.endsSecondsAgo - spec.logCount * spec.slotSeconds;
  const missing = new Set(spec.missing ?? []);
  const all: LogMetadata[] = [];
  let gtid = 1;
  for (let i = 0; i < spec.logCount; i++) {
    const from = start + i * spec.slotSeconds + 1;
    const to = start + (i + 1) * spec.slotSeconds - 1;
    const transactions = 100;
    all.push(syntheticLogMetadata({ sequence: i + 1, size: 100_000, from, to, firstSeq: gtid, transactions }) as LogMetadata);
    gtid += transactions;
  }
  const logs = all.filter((log) => !missing.has(log.sequence));
  let gaps = 0;
  for (const sequence of missing) if (!missing.has(sequence - 1) && sequence > 1 && sequence < spec.logCount) gaps++;
  const snapshots = spec.snapshots.map((snap, i) => {
    const time = nowS - snap.secondsAgo;
    const index = Math.min(all.length - 1, Math.max(0, Math.floor((time - start) / spec.slotSeconds)));
    const log = all[index]!;
    const within = 50;
    const record = snapshotRecord({
      id: `snap-${String(i + 1).padStart(2, '0')}`,
      systemId: spec.systemId,
      time,
      file: log.name,
      position: 256 + within * 900,
      gtid: `0-1-${Number(log.firstTransaction!.split('-')[2]) + within}`,
    }) as SnapshotRecord;
    return { ...record, status: snap.status ?? 'thawed', frozenMs: snap.frozenMs ?? record.frozenMs, ...(snap.error ? { error: snap.error } : {}) };
  });
  const recoveryPoint = logs[logs.length - 1]!.lastCommitTime!;
  return { systemId: spec.systemId, logs, snapshots, gaps, recoveryPoint };
}

/** Writes the archive marker and every system. */
export async function writeFleetArchive(archivePath: string, systems: FleetSystem[]): Promise<void> {
  await mkdir(archivePath, { recursive: true });
  await writeFile(join(archivePath, '.snaplog-archive'), `${JSON.stringify({ format: 1, createdAt: new Date().toISOString(), createdOn: 'test' })}\n`);
  for (const system of systems) {
    await writeLogs(archivePath, system.systemId, system.logs);
    await writeSnapshots(archivePath, system.systemId, system.snapshots);
  }
}

export { logName };

const HOUR = 3600;
const DAY = 86_400;

/** Three systems: healthy; with two gaps, a failed and a timed-out snapshot; shipping stopped 2 h 10 min ago. */
export function sampleFleet(now: number): FleetSystem[] {
  const daily = (days: number, hour: number): { secondsAgo: number }[] =>
    Array.from({ length: days }, (_, d) => ({ secondsAgo: (days - d - 1) * DAY + hour * HOUR }));
  return [
    fleetSystem(
      { systemId: 'db-healthy', logCount: 7 * 48, slotSeconds: 1800, endsSecondsAgo: 3, snapshots: daily(6, 3).map((snap) => ({ ...snap, frozenMs: 2100 })) },
      now,
    ),
    fleetSystem(
      {
        systemId: 'db-gapped',
        logCount: 7 * 24,
        slotSeconds: 3600,
        endsSecondsAgo: 20,
        missing: [40, 41, 42, 120],
        snapshots: [
          { secondsAgo: 6 * DAY, frozenMs: 3900 },
          { secondsAgo: 5 * DAY, status: 'failed', frozenMs: 400, error: 'the freeze holder died' },
          { secondsAgo: 4 * DAY, frozenMs: 4100 },
          { secondsAgo: 2 * DAY, status: 'timed-out', frozenMs: 90_000 },
          { secondsAgo: 1 * DAY + 1 * HOUR, frozenMs: 1500 },
        ],
      },
      now,
    ),
    fleetSystem({ systemId: 'db-stale', logCount: 6 * 24, slotSeconds: 3600, endsSecondsAgo: 2 * HOUR + 10 * 60, snapshots: daily(5, 4) }, now),
  ];
}
