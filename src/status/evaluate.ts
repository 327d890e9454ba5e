import type { ShipHeartbeat, ShipStatus } from '../state/ship-status.js';
import type { FreezeState } from '../state/freeze-state.js';

/** What `snaplog status` learned from the server (undefined fields: it could not be asked). */
export interface ServerFacts {
  error?: string;
  openLog?: string;
  /** Bytes written to the open log so far. */
  openLogSize?: number;
  lastCommit?: { time: string; estimated: boolean };
  transactionId?: string;
  /** Logs the server has that the archive lacks, oldest first: closed ones, then the open one. */
  unshipped: string[];
  /** Age of the oldest transaction in those logs; undefined when they hold none (caught up). */
  oldestUnshippedAgeSeconds?: number;
}

/** What `snaplog status` read from the archive itself (not from a state file). */
export interface ArchiveFacts {
  location: string;
  error?: string;
  logCount: number;
  lastLog?: { name: string; shippedAt?: string };
  /** The newest commit in the archive: the recovery point. */
  lastCommit?: string;
  /** The log that holds it. */
  lastCommitLog?: string;
  gaps: { after: string; before: string; missingSequences: string }[];
  /** The newest continuous window a restore can reach, from its oldest snapshot to the last shipped commit. */
  restorable?: { from: string; to: string; snapshotId: string };
  snapshotCount: number;
}

export type ServiceState = 'running' | 'stalled' | 'stopped' | 'dead' | 'never-ran';

export interface ServiceFacts {
  heartbeat?: ShipHeartbeat;
  /** The heartbeat's pid is a live process that is a snaplog ship. */
  alive: boolean;
}

export interface StatusInputs {
  now: number;
  systemId?: string;
  server: ServerFacts;
  archive: ArchiveFacts;
  service: ServiceFacts;
  ship?: ShipStatus;
  freeze?: FreezeState;
  maxLagSeconds: number;
  maxLagSource: string;
}

export interface ServiceReport {
  state: ServiceState;
  pid: number | null;
  startedAt: string | null;
  heartbeatAt: string | null;
  heartbeatAgeSeconds: number | null;
  stoppedAt: string | null;
}

export interface StatusReport {
  ok: boolean;
  /** Why ok is false, one sentence each. */
  problems: string[];
  warnings: string[];
  checkedAt: string;
  systemId: string | null;
  /** Age of the oldest commit the archive does not hold yet; 0 when caught up (judged against maxLagSeconds). */
  lagSeconds: number | null;
  /** Data at risk now: seconds since the last shipped commit while the server has newer ones; 0 when caught up. */
  rpoSeconds: number | null;
  maxLagSeconds: number;
  maxLagSource: string;
  recoveryPoint: string | null;
  lastShipped: { name: string; time: string | null; shippedAt: string | null } | null;
  server: {
    reachable: boolean;
    error: string | null;
    openLog: string | null;
    openLogSize: number | null;
    lastCommit: string | null;
    lastCommitEstimated: boolean;
    transactionId: string | null;
    unshipped: string[];
  };
  archive: {
    location: string;
    error: string | null;
    logs: number;
    lastLog: string | null;
    lastCommit: string | null;
    gaps: ArchiveFacts['gaps'];
    snapshots: number;
  };
  restorable: { from: string; to: string; snapshotId: string } | null;
  service: ServiceReport;
  pending: string[];
  openLog: string | null;
  gaps: ShipStatus['gaps'];
  lastError: ShipStatus['lastError'] | null;
  updatedAt: string | null;
  freeze: FreezeState | { state: 'idle' };
}

/** A service is stuck when it has not beaten for this long although it beats at least every `quietSeconds`. */
export function stalledAfterSeconds(quietSeconds: number): number {
  return Math.max(120, 3 * quietSeconds);
}

/** Pure: a running, stalled, cleanly stopped or dead ship service, from its heartbeat. */
export function serviceReport(facts: ServiceFacts, now: number): ServiceReport {
  const beat = facts.heartbeat;
  if (!beat) return { state: 'never-ran', pid: null, startedAt: null, heartbeatAt: null, heartbeatAgeSeconds: null, stoppedAt: null };
  const age = Math.max(0, Math.round((now - Date.parse(beat.heartbeatAt)) / 1000));
  const state: ServiceState = beat.stoppedAt ? 'stopped' : !facts.alive ? 'dead' : age > stalledAfterSeconds(beat.quietSeconds) ? 'stalled' : 'running';
  return { state, pid: beat.pid, startedAt: beat.startedAt, heartbeatAt: beat.heartbeatAt, heartbeatAgeSeconds: age, stoppedAt: beat.stoppedAt ?? null };
}

/**
 * Pure: the live status. Lag and RPO come from the server and the archive as they are now; the ship
 * status file only adds what the last round saw (purged-log gaps, the last error).
 */
export function evaluateStatus(inputs: StatusInputs): StatusReport {
  const { server, archive, ship, now } = inputs;
  const problems: string[] = [];
  const warnings: string[] = [];
  const service = serviceReport(inputs.service, now);
  const reachable = server.error === undefined;

  let lagSeconds: number | null = null;
  let rpoSeconds: number | null = null;
  if (reachable && archive.error === undefined) {
    const behind = server.oldestUnshippedAgeSeconds !== undefined;
    lagSeconds = behind ? Math.round(server.oldestUnshippedAgeSeconds!) : 0;
    const sinceLastShipped = archive.lastCommit ? Math.max(0, (now - Date.parse(archive.lastCommit)) / 1000) : server.oldestUnshippedAgeSeconds!;
    rpoSeconds = behind ? Math.round(sinceLastShipped) : 0;
  }

  if (!reachable) problems.push(`cannot ask the database: ${server.error} (lag and RPO unknown)`);
  if (archive.error !== undefined) problems.push(`cannot read the archive: ${archive.error}`);
  if (lagSeconds !== null && lagSeconds > inputs.maxLagSeconds) {
    const limit = `--max-lag ${inputs.maxLagSeconds} s (${inputs.maxLagSource})`;
    problems.push(`shipping is stale: the oldest commit not in the archive is ${lagSeconds} s old, more than ${limit}`);
  }
  const pid = `the ship service (pid ${service.pid})`;
  if (service.state === 'dead') problems.push(`${pid} is not running: it died; its last heartbeat was ${service.heartbeatAgeSeconds} s ago`);
  if (service.state === 'stopped') problems.push(`the ship service is stopped (since ${service.stoppedAt}): nothing is shipped until it runs again`);
  if (service.state === 'stalled') problems.push(`${pid} has not reported for ${service.heartbeatAgeSeconds} s: stuck on the archive or the database?`);
  const neverShipped = !ship && service.state === 'never-ran' && archive.error === undefined && archive.logCount === 0;
  if (neverShipped) problems.push('nothing has been shipped yet: ship has never run');
  if (ship && ship.consecutiveFailures > 0 && ship.lastError) {
    problems.push(`the last ship round failed (${ship.consecutiveFailures}× in a row): ${ship.lastError.message.split('\n')[0]}`);
  }
  if (ship?.gaps.length) {
    problems.push(`logs were purged before they were shipped: ${ship.gaps.map((gap) => `${gap.missing} before ${gap.before}`).join('; ')}`);
  }
  if (archive.gaps.length) {
    warnings.push(`the archive has gaps: ${archive.gaps.map((gap) => `${gap.missingSequences} between ${gap.after} and ${gap.before}`).join('; ')}`);
  }
  if (server.lastCommit?.estimated) warnings.push(`the open log ${server.openLog} is large: its last commit time is its last write`);
  if (archive.error === undefined && archive.snapshotCount === 0) warnings.push('no snapshot recorded yet: the backup product has not run snaplog freeze');

  return {
    ok: problems.length === 0,
    problems,
    warnings,
    checkedAt: new Date(now).toISOString(),
    systemId: inputs.systemId ?? null,
    lagSeconds,
    rpoSeconds,
    maxLagSeconds: inputs.maxLagSeconds,
    maxLagSource: inputs.maxLagSource,
    recoveryPoint: archive.lastCommit ?? null,
    lastShipped: archive.lastLog
      ? { name: archive.lastLog.name, time: archive.lastCommit ?? null, shippedAt: archive.lastLog.shippedAt ?? null }
      : ship?.lastShipped
        ? { name: ship.lastShipped.name, time: ship.lastShipped.time ?? null, shippedAt: ship.lastShipped.shippedAt }
        : null,
    server: {
      reachable,
      error: server.error ?? null,
      openLog: server.openLog ?? null,
      openLogSize: server.openLogSize ?? null,
      lastCommit: server.lastCommit?.time ?? null,
      lastCommitEstimated: server.lastCommit?.estimated ?? false,
      transactionId: server.transactionId ?? null,
      unshipped: server.unshipped,
    },
    archive: {
      location: archive.location,
      error: archive.error ?? null,
      logs: archive.logCount,
      lastLog: archive.lastLog?.name ?? null,
      lastCommit: archive.lastCommit ?? null,
      gaps: archive.gaps,
      snapshots: archive.snapshotCount,
    },
    restorable: archive.restorable ?? null,
    service,
    pending: reachable ? server.unshipped.filter((name) => name !== server.openLog) : (ship?.pending ?? []),
    openLog: server.openLog ?? ship?.openLog ?? null,
    gaps: ship?.gaps ?? [],
    lastError: ship?.lastError ?? null,
    updatedAt: ship?.updatedAt ?? null,
    freeze: inputs.freeze ?? { state: 'idle' },
  };
}

/** Pure: the default --max-lag: max_log_age plus time for a rescan, the forced switch and the copy; 1 h without max_log_age. */
export function defaultMaxLag(ship: { maxLogAgeSeconds?: number; rescanIntervalSeconds: number }): { seconds: number; source: string } {
  if (ship.maxLogAgeSeconds === undefined) return { seconds: 3600, source: 'default 1 h: [ship] max_log_age is not set' };
  const margin = 2 * ship.rescanIntervalSeconds + 60;
  return { seconds: ship.maxLogAgeSeconds + margin, source: `[ship] max_log_age ${ship.maxLogAgeSeconds} s + ${margin} s margin` };
}
