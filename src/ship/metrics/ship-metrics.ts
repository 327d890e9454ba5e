import { stat } from 'node:fs/promises';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Archive } from '../../archive/archive.js';
import type { SnaplogEvent } from '../../events/channel.js';
import { readFreezeState } from '../../state/freeze-state.js';
import type { FreezeState } from '../../state/freeze-state.js';
import type { RoundResult } from '../shipper.js';
import { lagBytes } from './listen.js';

export interface ShipMetricsOptions {
  ipcFolder: string;
  archive: Pick<Archive, 'freeBytes'>;
  tailing: boolean;
}

const secondsOf = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso) / 1000);

/**
 * The ship service's Prometheus metrics, in a registry of their own. Fed by the events the service emits
 * and by each round's result; freeze state and free space are read when scraped.
 */
export class ShipMetrics {
  readonly registry = new Registry();
  private readonly lagSeconds = new Gauge({
    name: 'snaplog_ship_lag_seconds',
    help: 'Age of the oldest commit not yet in the archive (0 when caught up)',
    registers: [this.registry],
  });
  private readonly lagBytes = new Gauge({
    name: 'snaplog_ship_lag_bytes',
    help: 'Bytes of log the archive is behind the database',
    registers: [this.registry],
  });
  private readonly recoveryPoint = new Gauge({
    name: 'snaplog_last_shipped_commit_timestamp_seconds',
    help: 'Commit time of the newest transaction in the archive: the live recovery point',
    registers: [this.registry],
  });
  private readonly filesShipped = new Counter({
    name: 'snaplog_shipped_files_total',
    help: 'Logs shipped to the archive by this process',
    registers: [this.registry],
  });
  private readonly bytesShipped = new Counter({
    name: 'snaplog_shipped_bytes_total',
    help: 'Bytes of log shipped to the archive by this process (before compression)',
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'snaplog_errors_total',
    help: 'Failures and warnings by kind (ship-failed kinds, log-conflict, archive-slow, gap)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly gaps = new Gauge({
    name: 'snaplog_gaps',
    help: 'Gaps in the archived log chain (logs purged before they were shipped)',
    registers: [this.registry],
  });
  private readonly pendingLogs = new Gauge({ name: 'snaplog_pending_logs', help: 'Closed logs not yet shipped', registers: [this.registry] });
  private recoveryPointValue: number | undefined;
  private readonly lastRound = new Gauge({
    name: 'snaplog_last_successful_round_timestamp_seconds',
    help: 'When the ship service last completed a round',
    registers: [this.registry],
  });

  constructor(private readonly options: ShipMetricsOptions) {
    collectDefaultMetrics({ register: this.registry, prefix: 'snaplog_process_' });
    const { ipcFolder, archive } = options;
    const freezeGauge = (name: string, help: string, read: (state: FreezeState | undefined) => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const value = read(await readFreezeState(ipcFolder).catch(() => undefined));
          if (value !== undefined) this.set(value);
        },
      });
    };
    freezeGauge('snaplog_frozen', '1 while a snapshot freeze holds the database (freezing or frozen), else 0', (state) =>
      state?.state === 'frozen' || state?.state === 'freezing' ? 1 : 0,
    );
    freezeGauge('snaplog_last_frozen_duration_seconds', 'How long the last finished freeze held the database', (state) =>
      state?.frozenMs === undefined ? undefined : state.frozenMs / 1000,
    );
    freezeGauge('snaplog_last_freeze_failed', '1 when the last freeze failed or timed out (the snapshot is not application-consistent)', (state) =>
      state?.state === 'failed' || state?.state === 'timed-out' ? 1 : 0,
    );
    new Gauge({
      name: 'snaplog_archive_free_bytes',
      help: 'Free space of the archive file system (absent when the driver cannot tell)',
      registers: [this.registry],
      async collect() {
        const free = await archive.freeBytes().catch(() => undefined);
        if (free !== undefined) this.set(free);
      },
    });
  }

  observeEvent(event: SnaplogEvent): void {
    if (event.type === 'log-shipped') {
      this.filesShipped.inc();
      if (typeof event.size === 'number') this.bytesShipped.inc(event.size);
      const committed = secondsOf(typeof event.lastCommitTime === 'string' ? event.lastCommitTime : undefined);
      if (committed !== undefined && committed > (this.recoveryPointValue ?? 0)) this.setRecoveryPoint(committed);
    } else if (event.type === 'ship-failed') {
      this.errors.inc({ kind: typeof event.kind === 'string' ? event.kind : 'Error' });
    } else if (event.type === 'log-conflict' || event.type === 'archive-slow' || event.type === 'gap') {
      this.errors.inc({ kind: event.type });
    }
  }

  async observeRound(result: RoundResult, unshippedAgeSeconds: number | undefined): Promise<void> {
    this.lagSeconds.set(unshippedAgeSeconds ?? 0);
    this.gaps.set(result.gaps.length);
    this.pendingLogs.set(result.pending.length);
    this.lastRound.set(Date.now() / 1000);
    const committed = secondsOf(result.lastArchived?.lastCommitTime);
    if (committed !== undefined && committed > (this.recoveryPointValue ?? 0)) this.setRecoveryPoint(committed);
    const sizeOf = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.size ?? 0;
    const pendingSizes = await Promise.all(result.pending.map((log) => sizeOf(log.path)));
    const openSize = result.openLog ? await sizeOf(result.openLog.path) : undefined;
    this.lagBytes.set(lagBytes(pendingSizes, openSize, this.options.tailing));
  }

  private setRecoveryPoint(seconds: number): void {
    this.recoveryPointValue = seconds;
    this.recoveryPoint.set(seconds);
  }
}
