import { dirname } from 'node:path';
import PQueue from 'p-queue';
import type { Archive, Compression } from '../archive/archive.js';
import { ArchiveDuplicateError } from '../archive/errors.js';
import type { LogMetadata } from '../archive/metadata.js';
import { headDigest, pushLog } from '../archive/push.js';
import type { EventChannel } from '../events/channel.js';
import type { Engine, SourceLog } from '../engines/types.js';
import { readSourceFile, sourceFileSize } from '../source-file.js';
import type { PushRequest, PushResult } from '../archive/push.js';
import { planRound } from './round-plan.js';
import type { ArchivedIdentity, SequenceGap } from './round-plan.js';

export interface ShipperOptions {
  compression: Compression;
  concurrency: number;
}

export interface RoundResult {
  systemId: string;
  shipped: LogMetadata[];
  pending: SourceLog[];
  openLog?: SourceLog;
  gaps: SequenceGap[];
  /** Logs the engine would not read (outside the log folder, a symlink, not a regular file): not shipped. */
  refused: SourceLog[];
  lastArchived?: LogMetadata;
  /** The folders the server's logs are in (binlog dir, Oracle archive destinations, journal dir). */
  sourceFolders: string[];
}

/** One pass of the shipping loop: find closed logs the archive lacks and ship them in order. */
export class Shipper {
  /** Archived logs whose identity this process has already checked against the server's file of the same name. */
  private readonly confirmed = new Set<string>();
  private readonly reportedGaps = new Set<string>();
  private readonly reportedRefusals = new Set<string>();
  private tempsCleaned = false;

  constructor(
    private readonly engine: Engine,
    private readonly archive: Archive,
    private readonly events: EventChannel,
    private readonly options: ShipperOptions,
  ) {}

  async round(signal?: AbortSignal): Promise<RoundResult> {
    await this.archive.assertMounted();
    const systemId = await this.engine.systemId();
    if (!this.tempsCleaned) {
      const removed = await this.archive.removeAbandonedTemps(systemId);
      if (removed.length) await this.events.emit('abandoned-temps-removed', 'info', { systemId, files: removed });
      this.tempsCleaned = true;
    }
    const source = await this.engine.listSourceLogs();
    const archivedLogs = await this.archive.listLogs(systemId);
    const identities: ArchivedIdentity[] = archivedLogs.flatMap((log) =>
      log.metadata
        ? [
            {
              name: log.name,
              sequence: log.metadata.sequence,
              stream: log.metadata.stream,
              size: log.metadata.size,
              headSha256: log.metadata.headSha256,
              cleanClose: log.metadata.cleanClose,
            },
          ]
        : [],
    );
    const plan = planRound(source, identities);
    // pushLog trusts this listing for the names it lacks: one listing of logs/ per round, not one per log.
    const listed = new Set(archivedLogs.map((log) => log.name));

    for (const gap of plan.gaps) await this.reportGap(systemId, gap);
    for (const log of plan.refused) await this.reportRefusal(systemId, log);
    for (const log of plan.alreadyArchived) await this.confirmIdentity(systemId, log, identities);

    const shipped: LogMetadata[] = [];
    const queue = new PQueue({ concurrency: this.options.concurrency });
    let failure: unknown;
    for (const log of plan.toShip) {
      void queue.add(async () => {
        if (failure !== undefined || signal?.aborted) return;
        try {
          shipped.push(await this.shipOne(systemId, log, listed));
        } catch (error) {
          failure ??= error;
        }
      });
    }
    await queue.onIdle();
    if (failure !== undefined) throw failure;

    const metadataByName = new Map(archivedLogs.flatMap((log) => (log.metadata ? [[log.name, log.metadata] as const] : [])));
    for (const metadata of shipped) metadataByName.set(metadata.name, metadata);
    const shippedNames = new Set(metadataByName.keys());
    const lastArchived = [...metadataByName.values()].sort((a, b) => a.sequence - b.sequence).pop();
    return {
      systemId,
      shipped: shipped.sort((a, b) => a.sequence - b.sequence),
      pending: source.filter((log) => log.closed && !shippedNames.has(log.name)),
      openLog: source.find((log) => !log.closed && !log.refused),
      gaps: plan.gaps,
      refused: plan.refused,
      lastArchived,
      sourceFolders: [...new Set(source.filter((log) => !log.refused).map((log) => dirname(log.path)))],
    };
  }

  private pushRequest(systemId: string, log: SourceLog): PushRequest {
    return {
      systemId,
      engine: this.engine.kind,
      name: log.name,
      sequence: log.sequence,
      stream: log.stream,
      sourcePath: log.path,
      compression: this.options.compression,
      observer: this.engine.observeLog(log),
      closeMarker: this.engine.closeMarker,
    };
  }

  private async shipOne(systemId: string, log: SourceLog, listed: ReadonlySet<string>): Promise<LogMetadata> {
    const started = Date.now();
    // Ship the final file: the server may still be finishing the close (MariaDB clears the in-use flag after indexing the successor).
    const closeState = await this.engine.settleClosedLog?.(log);
    const result = await pushLog(this.archive, this.pushRequest(systemId, log), { listed });
    const durationMs = Date.now() - started;
    const { metadata } = result;
    if (isSettled(metadata)) this.confirmed.add(log.name);
    await this.reportReplacement(systemId, result);
    await this.events.emit(result.outcome === 'shipped' ? 'log-shipped' : 'log-already-archived', 'info', {
      systemId,
      log: log.name,
      size: metadata.size,
      sha256: metadata.sha256,
      lastCommitTime: metadata.lastCommitTime,
      outcome: result.outcome,
      ...(closeState ? { closeState } : {}),
      durationMs,
    });
    if (result.outcome === 'shipped' && isSlowCopy(metadata.size, durationMs)) {
      await this.events.emit('archive-slow', 'warning', {
        systemId,
        log: log.name,
        size: metadata.size,
        durationMs,
        mibPerSecond: Number((metadata.size / 1048576 / (durationMs / 1000)).toFixed(2)),
      });
    }
    await this.archive.removePartialCopy(systemId, log.name).catch(() => undefined);
    return metadata;
  }

  /**
   * A server restored from a snapshot or a failed-over replica reuses binlog names. Size and the hash of
   * the first 4 KiB tell a renumbered log from the archived one without reading it all; a mismatch is
   * settled by the full checksum inside pushLog, which replaces a copy that differs only in the close
   * marker (shipped before the server finished closing the log) and refuses any other difference.
   */
  private async confirmIdentity(systemId: string, log: SourceLog, archived: ArchivedIdentity[]): Promise<void> {
    if (this.confirmed.has(log.name)) return;
    const identity = archived.find((entry) => entry.name === log.name);
    if (!identity) return;
    const size = await sourceFileSize(log.path);
    if (size === identity.size && (await headDigest(log.path)) === identity.headSha256) {
      if (isSettled(identity)) this.confirmed.add(log.name);
      return;
    }
    try {
      await this.engine.settleClosedLog?.(log);
      const result = await pushLog(this.archive, this.pushRequest(systemId, log));
      await this.reportReplacement(systemId, result);
      if (isSettled(result.metadata)) this.confirmed.add(log.name);
    } catch (error) {
      if (error instanceof ArchiveDuplicateError) {
        await this.events.emit('log-conflict', 'alert', { systemId, log: log.name, kind: error.kind, message: error.message, hint: error.hint });
      }
      throw error;
    }
  }

  private async reportReplacement(systemId: string, result: PushResult): Promise<void> {
    if (result.outcome !== 'replaced-closed-copy' || !result.replaced) return;
    await this.events.emit('log-replaced', 'warning', {
      systemId,
      log: result.metadata.name,
      sha256: result.metadata.sha256,
      replacedSha256: result.replaced.sha256,
      cleanClose: result.metadata.cleanClose,
      message: `${result.metadata.name} had been archived before the server finished closing it (it differed only in ${this.engine.closeMarker?.description ?? 'its close marker'}): the archived copy is now the server's cleanly closed file`,
    });
  }

  private async reportRefusal(systemId: string, log: SourceLog): Promise<void> {
    const key = `${systemId}:${log.name}:${log.refused}`;
    if (this.reportedRefusals.has(key)) return;
    this.reportedRefusals.add(key);
    await this.events.emit('source-log-refused', 'alert', {
      systemId,
      log: log.name,
      message: `not shipped: ${log.refused}`,
      hint: 'a log must be a regular file directly in the binlog folder; find out who changed the index or the file (the database user could make root read any file), put the real log back, then snaplog ship ships it',
    });
  }

  private async reportGap(systemId: string, gap: SequenceGap): Promise<void> {
    const key = `${systemId}:${gap.fromSequence}-${gap.toSequence}`;
    if (this.reportedGaps.has(key)) return;
    this.reportedGaps.add(key);
    await this.events.emit('gap', 'alert', {
      systemId,
      after: gap.after,
      before: gap.before,
      missingSequences: `${gap.fromSequence}-${gap.toSequence}`,
      message: `logs ${gap.fromSequence}..${gap.toSequence} were purged from the server before they were shipped: point-in-time restore across them is impossible`,
    });
  }

  /** Copies the open log's bytes so far into partial/ so the recovery point does not wait for rotation. */
  async tailOpenLog(systemId: string, log: SourceLog): Promise<number> {
    await this.archive.assertMounted();
    const size = await sourceFileSize(log.path);
    if (size === 0) return 0;
    await this.archive.writePartialCopy(systemId, log.name, readSourceFile(log.path, { end: size }));
    return size;
  }
}

/**
 * An archived log marked open (crash-closed, or shipped before a slow server finished closing it) is compared
 * with the server's file again on every round (size and first 4 KiB), so a late clean close replaces it.
 */
function isSettled(log: { cleanClose?: boolean }): boolean {
  return log.cleanClose !== false;
}

/** A copy that took long and crawled: the archive (NFS server, network) is the bottleneck, and the RPO grows. */
export function isSlowCopy(bytes: number, durationMs: number): boolean {
  const SLOW_AFTER_MS = 5_000;
  const SLOW_BELOW_BYTES_PER_SECOND = 8 * 1048576;
  return durationMs >= SLOW_AFTER_MS && bytes / (durationMs / 1000) < SLOW_BELOW_BYTES_PER_SECOND;
}
