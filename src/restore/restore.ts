import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Archive } from '../archive/archive.js';
import { describeError, SnaplogError } from '../errors.js';
import type { EventChannel } from '../events/channel.js';
import type { MysqlEndpoint } from '../engines/mysql/connection.js';
import { startPrivateServer } from '../engines/mysql/private-server.js';
import { lastCheckpointLog, recoverSnapshotDatadir } from '../engines/mysql/recovery.js';
import { applyThroughRelay, prepareRelayLogs, relayServerArgs, ReplayError } from '../engines/mysql/replay/relay-apply.js';
import { applyThroughPipe, binlogDumpArgs } from '../engines/mysql/replay/pipe-apply.js';
import { fetchLogs } from './fetch.js';
import type { FetchedLog } from './fetch.js';
import type { RestorePlan } from './plan.js';
import { bytesDone, formatProgress } from './progress.js';

export type ReplayMethod = 'relay' | 'pipe';

export interface RestoreRequest {
  archive: Archive;
  systemId: string;
  plan: RestorePlan;
  events: EventChannel;
  /** A restored data directory (a private server is started on it) … */
  datadir?: string;
  /** … or a server the DBA runs. */
  target?: MysqlEndpoint;
  method: ReplayMethod;
  stagingDir?: string;
  resume?: boolean;
  replayServerId?: number;
  /** Extra mariadbd options for the private server (e.g. the restored server's innodb settings). */
  serverArgs?: string[];
  say: (line: string) => void;
  progress?: (line: string) => void;
}

export interface RestoreResult {
  method: ReplayMethod;
  appliedThrough: RestorePlan['stop'];
  gtidSlavePos?: string;
  bytesReplayed: number;
  elapsedMs: number;
  stagingDir: string;
}

interface RestoreState {
  planStop: RestorePlan['stop'];
  snapshotId: string;
  method: ReplayMethod;
  status: 'fetching' | 'replaying' | 'failed' | 'done';
  /** Where the replay stood when it failed: --resume continues from here. */
  resumeFrom?: { logIndex: number; position: number };
  error?: string;
}

/** Next to the data directory (same file system: relay logs are hard links), else in the temp folder. */
export function defaultStagingDir(datadir: string | undefined, snapshotId: string): string {
  return datadir ? join(dirname(resolve(datadir)), `${resolve(datadir).split('/').pop()}.snaplog-restore`) : join(tmpdir(), `snaplog-restore-${snapshotId}`);
}

async function readState(stagingDir: string): Promise<RestoreState | undefined> {
  try {
    return JSON.parse(await readFile(join(stagingDir, 'restore-state.json'), 'utf8')) as RestoreState;
  } catch {
    return undefined;
  }
}

async function writeState(stagingDir: string, state: RestoreState): Promise<void> {
  await writeFile(join(stagingDir, 'restore-state.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The commands a restore would run, for --dry-run. Pure. */
export function describeRestoreCommands(plan: RestorePlan, method: ReplayMethod, stagingDir: string): string[] {
  const paths = plan.logs.map((log) => join(stagingDir, 'logs', log.name));
  if (method === 'pipe') return [`mariadb-binlog ${binlogDumpArgs({ paths, startPosition: plan.logs[0]!.from, stopPosition: plan.stop.endOfChain ? undefined : plan.stop.position }).join(' ')} | mariadb --binary-mode`];
  const last = `relay-bin.${String(plan.logs.length).padStart(6, '0')}`;
  return [
    `link ${plan.logs.length} fetched logs into the data directory as relay-bin.000001 … ${last} (+ relay-bin.index)`,
    'mariadbd --skip-networking --skip-log-bin --innodb-flush-log-at-trx-commit=0 --relay-log=relay-bin --skip-slave-start …',
    `CHANGE MASTER TO MASTER_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=${plan.logs[0]!.from}, MASTER_USE_GTID=no`,
    plan.stop.endOfChain ? 'START SLAVE SQL_THREAD  (until every relay log is read)' : `START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE='${last}', RELAY_LOG_POS=${plan.stop.position}`,
    'STOP SLAVE; RESET SLAVE ALL; clean shutdown',
  ];
}

/**
 * Fetches and checks the planned logs, then replays them onto the restored data directory (through a
 * private server) or into the DBA's server, stopping exactly at the planned position.
 */
export async function runRestore(request: RestoreRequest): Promise<RestoreResult> {
  const { plan, events } = request;
  const started = Date.now();
  const stagingDir = request.stagingDir ?? defaultStagingDir(request.datadir, plan.snapshot.id);
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const previous = request.resume ? await readState(stagingDir) : undefined;
  if (request.resume && (!previous || previous.status !== 'failed')) {
    throw new SnaplogError(`nothing to resume in ${stagingDir}${previous ? ` (last restore is ${previous.status})` : ''}`, { exitCode: 2, hint: 'run the restore without --resume' });
  }
  if (previous && previous.snapshotId !== plan.snapshot.id) {
    throw new SnaplogError(`the interrupted restore in ${stagingDir} used snapshot ${previous.snapshotId}, this plan uses ${plan.snapshot.id}`, { exitCode: 2, hint: 'give the same target and --snapshot as the first run' });
  }
  const state: RestoreState = { planStop: plan.stop, snapshotId: plan.snapshot.id, method: request.method, status: 'fetching' };
  await writeState(stagingDir, state);
  await events.emit('restore-start', 'info', { snapshotId: plan.snapshot.id, stop: plan.stop, method: request.method, logs: plan.logs.length, bytes: plan.bytesToReplay, resume: request.resume ?? false });

  const fetched = await fetchLogs(request.archive, request.systemId, plan.logs, join(stagingDir, 'logs'), (log) => request.say(`fetched and checked ${log.name} (sha256 ok)`));
  await events.emit('restore-logs-fetched', 'info', { snapshotId: plan.snapshot.id, logs: fetched.map((log) => log.name) });

  const resumeFrom = previous?.resumeFrom;
  const toApply = resumeFrom ? fetched.slice(resumeFrom.logIndex).map((log, i) => (i === 0 ? { ...log, from: resumeFrom.position } : log)) : fetched;
  const offset = resumeFrom?.logIndex ?? 0;
  state.status = 'replaying';
  await writeState(stagingDir, state);
  try {
    const result = request.datadir ? await replayOnDatadir(request, toApply, stagingDir, offset, started) : await replayIntoTarget(request, toApply);
    state.status = 'done';
    delete state.resumeFrom;
    await writeState(stagingDir, state);
    // The fetched copies are only kept for --resume.
    await rm(join(stagingDir, 'logs'), { recursive: true, force: true });
    await events.emit('restore-done', 'info', { snapshotId: plan.snapshot.id, stop: plan.stop, gtidSlavePos: result.gtidSlavePos, elapsedMs: Date.now() - started });
    return { method: request.method, appliedThrough: plan.stop, gtidSlavePos: result.gtidSlavePos, bytesReplayed: plan.bytesToReplay, elapsedMs: Date.now() - started, stagingDir };
  } catch (error) {
    state.status = 'failed';
    state.error = describeError(error);
    if (error instanceof ReplayError) state.resumeFrom = { logIndex: offset + error.failedAt.fileIndex, position: error.failedAt.position };
    await writeState(stagingDir, state);
    await events.emit('restore-failed', 'alert', { snapshotId: plan.snapshot.id, message: describeError(error), resumeFrom: state.resumeFrom });
    throw error;
  }
}

async function replayOnDatadir(request: RestoreRequest, logs: FetchedLog[], stagingDir: string, offset: number, started: number): Promise<{ gtidSlavePos?: string }> {
  const relayDir = request.datadir!;
  const serverId = request.replayServerId ?? 4_000_000_000;
  if (offset === 0) {
    const first = logs[0]!;
    const earlier = await fetchRecoveryLogs(request, first, stagingDir);
    request.say(`crash recovery of ${request.datadir} against ${first.name} cut at the snapshot position ${first.from}`);
    await recoverSnapshotDatadir({
      datadir: request.datadir!,
      runDir: join(stagingDir, 'run'),
      snapshotLogPath: first.path,
      snapshotLogName: first.name,
      snapshotPosition: first.from,
      earlierLogs: earlier.map((log) => ({ path: log.path, name: log.name })),
      serverArgs: request.serverArgs,
    });
  }
  const server = await startPrivateServer({
    runDir: join(stagingDir, 'run'),
    datadir: request.datadir!,
    args: [...(request.method === 'relay' ? relayServerArgs(serverId) : [`--server-id=${serverId}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--skip-slave-start']), ...(request.serverArgs ?? [])],
  });
  request.say(`private server on ${request.datadir} (socket ${server.socket}, networking off)`);
  try {
    const last = logs[logs.length - 1]!;
    const stopPosition = request.plan.stop.endOfChain ? undefined : request.plan.stop.position;
    if (request.method === 'relay') {
      await prepareRelayLogs(relayDir, logs);
      const result = await applyThroughRelay({
        socket: server.socket,
        relayDir,
        logs,
        stopPosition,
        lastLogSize: last.size,
        onProgress: ({ fileIndex, position }) => {
          const log = logs[fileIndex];
          if (log) request.progress?.(formatProgress({ doneBytes: bytesDone(request.plan.logs, offset + fileIndex, position), totalBytes: request.plan.bytesToReplay, currentLog: log.name }, Date.now() - started));
        },
      });
      return { gtidSlavePos: result.gtidSlavePos };
    }
    await applyThroughPipe({ endpoint: { socket: server.socket, port: 0, user: 'root', credentialSource: 'the private replay server' }, paths: logs.map((log) => log.path), startPosition: logs[0]!.from, stopPosition });
    return {};
  } finally {
    await server.stop();
  }
}

async function replayIntoTarget(request: RestoreRequest, logs: FetchedLog[]): Promise<{ gtidSlavePos?: string }> {
  if (request.method === 'relay') {
    throw new SnaplogError('the relay-log path needs a private server on the restored data directory', { exitCode: 2, hint: 'use --datadir DIR, or --method pipe with --target-socket' });
  }
  await applyThroughPipe({ endpoint: request.target!, paths: logs.map((log) => log.path), startPosition: logs[0]!.from, stopPosition: request.plan.stop.endOfChain ? undefined : request.plan.stop.position });
  return {};
}

/** The archived logs crash recovery reads before the snapshot's: from its last binlog checkpoint on. */
async function fetchRecoveryLogs(request: RestoreRequest, first: FetchedLog, stagingDir: string): Promise<FetchedLog[]> {
  const head = (await readFile(first.path)).subarray(0, first.from);
  const checkpoint = lastCheckpointLog(head);
  if (!checkpoint || checkpoint === first.name) return [];
  const archived = (await request.archive.listLogs(request.systemId)).flatMap((log) => (log.metadata ? [log.metadata] : []));
  const from = archived.find((log) => log.name === checkpoint);
  if (!from) {
    throw new SnaplogError(`crash recovery of the snapshot needs ${checkpoint} (named by the binlog checkpoint in ${first.name}), which is not in the archive`, {
      hint: 'restore from an older snapshot, or copy that binlog from the restored disk into the archive',
    });
  }
  const needed = archived.filter((log) => log.sequence >= from.sequence && log.sequence < first.sequence).sort((a, b) => a.sequence - b.sequence);
  return fetchLogs(request.archive, request.systemId, needed.map((log) => ({ name: log.name, sequence: log.sequence, size: log.size, sha256: log.sha256, storedName: log.storedName, compression: log.compression, from: 4 })), join(stagingDir, 'logs'));
}
