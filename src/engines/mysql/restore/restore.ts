import { defaultApplierThreads, dialectFromVersion } from '../dialect.js';
import type { ServerDialect } from '../dialect.js';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Archive } from '../../../archive/archive.js';
import { describeError, SnaplogError } from '../../../errors.js';
import type { EventChannel } from '../../../events/channel.js';
import type { MysqlEndpoint } from '../connection.js';
import { queryRows } from '../connection.js';
import { localServerDialect, startPrivateServer } from '../private-server.js';
import { availableParallelism } from 'node:os';
import type { BinlogKeys } from '../binlog-key.js';
import type { PrivateServer } from '../private-server.js';
import { lastCheckpointLog, recoverSnapshotDatadir } from './recovery.js';
import { applyThroughRelay, prepareRelayLogs, removeReplayFiles } from './relay-apply.js';
import { ReplayError, ReplayInterruptedError } from './relay-apply.js';
import { applyThroughPipe, binlogDumpArgs } from './pipe-apply.js';
import { readOwnFile, removeOwnFile, writeOwnFile } from '../own-files.js';
import type { Owner } from '../own-files.js';
import { comparePositions } from '../snapshot-identity.js';
import mysql from 'mysql2/promise';
import { fetchLogs, plannedLog } from '../../../archive/fetch.js';
import type { FetchedLog } from '../../../archive/fetch.js';
import type { RestorePlan } from './plan.js';
import { describeTarget } from '../../restore-target.js';
import { bytesDone, formatProgress, replayRates } from '../../restore-progress.js';
import { decideRestoreStart, readRestoreRecord, RESTORE_RECORD, writeRestoreRecord } from './restore-record.js';
import type { BinlogPoint, RestoreRecord, RestoreStart } from './restore-record.js';
import type { RestoreEventFields } from '../../types.js';
import { findAppliedPoint } from './applied-point.js';
import { checkRoom } from './preflight.js';

export type ReplayMethod = 'relay' | 'pipe';

export interface ReplayRequest {
  archive: Archive;
  systemId: string;
  plan: RestorePlan;
  events: EventChannel;
  /** A restored data directory (a private server is started on it, as its owner) … */
  datadir?: string;
  /** … or a server the DBA runs. */
  target?: MysqlEndpoint;
  method: ReplayMethod;
  stagingDir: string;
  resume?: boolean;
  replayServerId?: number;
  /** Extra mariadbd options for the private server (e.g. the restored server's innodb settings). */
  serverArgs?: string[];
  /** Encrypted binlogs ([mysql] binlog_key_file): snaplog reads them with the key, the private servers load the same key file. */
  binlogKeys?: BinlogKeys;
  /** The data directory's owner (default: read from it): the private server runs as this user. */
  owner?: Owner;
  /** SIGINT/SIGTERM: the replay stops between transactions, the private server shuts down, --resume goes on. */
  signal?: AbortSignal;
  /** What the data directory's restore record says to do, decided when the restore was planned (default: read now). */
  start?: RestoreStart;
  /** Filled with what restore-failed reports if the restore throws (the record's status). */
  failure?: Record<string, unknown>;
  say: (line: string) => void;
  progress?: (line: string) => void;
}

export interface RestoreResult {
  method: ReplayMethod;
  /** restored: replayed now; already-restored: an earlier run reached this very target, nothing was done. */
  outcome: 'restored' | 'already-restored';
  appliedThrough: RestorePlan['stop'];
  gtidSlavePos?: string;
  bytesReplayed: number;
  elapsedMs: number;
  stagingDir: string;
  /** The replay itself (not fetch, recovery, server start and stop): its time and apply rates. Absent when nothing was replayed now. */
  replay?: ReplayStats;
}

export interface ReplayStats {
  bytes: number;
  /** From the GTID positions before and after (MariaDB); absent when they cannot tell. */
  transactions?: number;
  applyMs: number;
  mbPerSecond: number;
  transactionsPerSecond?: number;
}

/** Marks a staging folder as snaplog's: an existing folder without it is never used (nor removed). */
const STAGING_MARK = '.snaplog-staging';

/**
 * Next to the data directory (same file system: relay logs are hard links); for a restore into a running
 * server, in snaplog's private folder (never a predictable name in a shared temp folder).
 */
export function defaultStagingDir(datadir: string | undefined, snapshotId: string, privateFolder: string): string {
  return datadir ? join(dirname(resolve(datadir)), `${resolve(datadir).split('/').pop()}.snaplog-restore`) : join(privateFolder, `restore-${snapshotId}`);
}

/**
 * The staging folder: created new (non-recursive mkdir, 0711 so the server's user can reach its run
 * folder), or an earlier run's, which must carry snaplog's mark, be owned by root and writable by no one
 * else. Returns whether it was created now.
 */
export async function openStaging(stagingDir: string): Promise<boolean> {
  const existing = await lstat(stagingDir).catch(() => undefined);
  if (!existing) {
    await mkdir(stagingDir, { mode: 0o711 });
    await writeOwnFile(join(stagingDir, STAGING_MARK), 'snaplog restore staging\n');
    return true;
  }
  const uid = process.getuid?.() ?? 0;
  const marked = async (): Promise<boolean> => (await readOwnFile(join(stagingDir, STAGING_MARK)).catch(() => undefined)) !== undefined;
  const ours = existing.isDirectory() && existing.uid === uid && (existing.mode & 0o022) === 0 && (await marked());
  if (!ours) {
    throw new SnaplogError(`the staging folder ${stagingDir} already exists and was not made by snaplog (or is writable by others)`, {
      hint: 'give --staging with a new folder, or remove that one if it is yours',
    });
  }
  return false;
}

/** The commands a restore would run, for --dry-run. Pure. */
export function describeRestoreCommands(plan: RestorePlan, method: ReplayMethod, stagingDir: string): string[] {
  const paths = plan.logs.map((log) => join(stagingDir, 'logs', log.name));
  const dialect = sourceDialect(plan);
  const stopPosition = plan.stop.endOfChain ? undefined : plan.stop.position;
  if (method === 'pipe')
    return [
      `${dialect.binlogTool} ${binlogDumpArgs({ paths, startPosition: plan.logs[0]!.from, stopPosition }).join(' ')} | ${dialect.clientTool} --binary-mode`,
    ];
  const last = `relay-bin.${String(plan.logs.length).padStart(6, '0')}`;
  const control = dialect.replica;
  return [
    `link ${plan.logs.length} fetched logs into the data directory as relay-bin.000001 … ${last} (+ relay-bin.index)`,
    `${dialect.serverBinary} --user=<data directory owner> --skip-networking --skip-log-bin --skip-symbolic-links --secure-file-priv=<private> --relay-log=relay-bin ${dialect.skipReplicaStart} …`,
    control.startAt('relay-bin.000001', plan.logs[0]!.from, { file: plan.logs[0]!.name, position: plan.logs[0]!.from }),
    stopPosition === undefined ? `${control.startToEnd}  (until every relay log is read)` : control.startUntil(last, stopPosition),
    `${control.stop}; ${control.reset}; clean shutdown`,
  ];
}

function interrupted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new SnaplogError(`restore interrupted ${where}`, { hint: 'run the same snaplog restore command with --resume to finish it' });
}

/**
 * Fetches and checks the planned logs, then replays them onto the restored data directory (through a
 * private server) or into the DBA's server, stopping exactly at the planned position.
 */
export async function runRestore(request: ReplayRequest): Promise<RestoreResult> {
  return request.datadir ? restoreDatadir(request, request.datadir) : restoreIntoTarget(request);
}

const pointOf = (plan: RestorePlan): BinlogPoint & { gtid?: string } => ({
  file: plan.stop.file,
  position: plan.stop.position,
  ...(plan.stop.lastApplied?.gtid ? { gtid: plan.stop.lastApplied.gtid } : {}),
});

/** What the data directory's restore record (an earlier run's) says to do for this plan: start fresh, go on, resume, nothing, or refuse. */
export async function restoreStartOf(datadir: string, plan: RestorePlan, method: ReplayMethod, resume: boolean): Promise<RestoreStart> {
  return decideRestoreStart(await readRestoreRecord(datadir), { snapshotId: plan.snapshot.id, stop: pointOf(plan), method }, resume);
}

/** What the restore events say about a MySQL/MariaDB restore (the conductor and the drill emit them); undefined when it changes nothing. */
export function restoreEventFields(plan: RestorePlan, method: ReplayMethod, start: RestoreStart | undefined): RestoreEventFields | undefined {
  if (start?.kind === 'done' || start?.kind === 'refuse') return undefined;
  return {
    plan: { snapshotId: plan.snapshot.id },
    start: { stop: plan.stop, method, logs: plan.logs.length, bytes: plan.bytesToReplay, ...(start ? { start: start.kind } : {}) },
  };
}

async function restoreDatadir(request: ReplayRequest, datadir: string): Promise<RestoreResult> {
  const { plan, events, say, signal } = request;
  const started = Date.now();
  const stop = pointOf(plan);
  const start = request.start ?? (await restoreStartOf(datadir, plan, request.method, request.resume ?? false));
  let replay: ReplayStats | undefined;
  const result = (outcome: RestoreResult['outcome'], gtidSlavePos?: string, bytes = plan.bytesToReplay): RestoreResult => ({
    method: request.method,
    outcome,
    appliedThrough: plan.stop,
    gtidSlavePos,
    bytesReplayed: bytes,
    elapsedMs: Date.now() - started,
    stagingDir: request.stagingDir,
    ...(replay ? { replay } : {}),
  });
  if (start.kind === 'refuse') throw new SnaplogError(start.message, { hint: start.hint });
  if (start.kind === 'done') {
    const gtid = start.record.lastAppliedGtid ? ` (GTID ${start.record.lastAppliedGtid})` : '';
    say(`already restored: an earlier snaplog restore brought ${datadir} to ${stop.file}:${stop.position}${gtid}; nothing to do`);
    return result('already-restored', start.record.lastAppliedGtid, 0);
  }
  const owner: Owner = request.owner ?? (await lstat(datadir).then((info) => ({ uid: info.uid, gid: info.gid })));
  const stagingDir = request.stagingDir;
  // Where this run's logs begin: a later target goes on from the last one, a resume from where the last replay began.
  const resumeFile = start.kind === 'resume' ? start.record.replayFrom?.file : undefined;
  const fetchFrom = start.kind === 'continue' ? start.from.file : (resumeFile ?? plan.logs[0]!.name);
  const firstIndex = Math.max(
    0,
    plan.logs.findIndex((log) => log.name === fetchFrom),
  );
  await checkRoom(
    datadir,
    stagingDir,
    plan.logs.slice(firstIndex).reduce((sum, log) => sum + log.size, 0),
    plan.bytesToReplay,
  );
  const created = await openStaging(stagingDir);
  const record: RestoreRecord = {
    formatVersion: 1,
    snapshotId: plan.snapshot.id,
    method: request.method,
    status: 'recovering',
    target: describeTarget(plan.target),
    stop,
    stagingDir,
    updatedAt: '',
    ...(start.kind === 'resume' ? { replayFrom: start.record.replayFrom, baselineGtid: start.record.baselineGtid } : {}),
  };
  let fetched: FetchedLog[];
  let earlier: FetchedLog[] = [];
  try {
    const announce = (log: FetchedLog): void => say(`fetched and checked ${log.name} (sha256 ok)`);
    fetched = await fetchLogs(request.archive, request.systemId, plan.logs.slice(firstIndex), join(stagingDir, 'logs'), announce);
    const recover = start.kind === 'fresh' || (start.kind === 'resume' && start.record.status === 'recovering');
    if (recover) earlier = await fetchRecoveryLogs(request, fetched[0]!, stagingDir);
    await events.emit('restore-logs-fetched', 'info', { snapshotId: plan.snapshot.id, logs: fetched.map((log) => log.name) });
    interrupted(signal, 'while fetching logs (the data directory is unchanged)');
  } catch (error) {
    // Nothing in the data directory was touched yet: leave nothing behind either.
    if (created) await rm(stagingDir, { recursive: true, force: true });
    throw error;
  }

  const runDir = join(stagingDir, 'run');
  let server: PrivateServer | undefined;
  // Until this run writes the record, an earlier run's record (done, interrupted …) stays as it is.
  let touched = false;
  try {
    let from: BinlogPoint = start.kind === 'continue' ? start.from : { file: fetched[0]!.name, position: fetched[0]!.from };
    if (start.kind === 'fresh' || (start.kind === 'resume' && start.record.status === 'recovering')) {
      await writeRestoreRecord(datadir, record);
      touched = true;
      await removeReplayFiles(datadir);
      const first = fetched[0]!;
      say(`crash recovery of ${datadir} against ${first.name} cut at the snapshot position ${first.from}`);
      const recovered = await recoverSnapshotDatadir({
        datadir,
        runDir,
        snapshotLogPath: first.path,
        snapshotLogName: first.name,
        snapshotPosition: first.from,
        earlierLogs: earlier.map((log) => ({ path: log.path, name: log.name })),
        serverArgs: request.serverArgs,
        binlogKey: request.binlogKeys?.server,
        owner,
        signal,
      });
      const snapshotAt = plan.snapshot.position;
      if (recovered.innodbBinlog && snapshotAt && comparePositions(recovered.innodbBinlog, snapshotAt) > 0) {
        // Only redo was applied (what any server start does): the data directory can still be restored from the right snapshot.
        await removeOwnFile(join(datadir, RESTORE_RECORD));
        touched = false;
        throw new SnaplogError(
          `InnoDB in the data directory has commits up to ${recovered.innodbBinlog.file}:${recovered.innodbBinlog.position}, ` +
            `after snapshot ${plan.snapshot.id}'s position ${snapshotAt.file}:${snapshotAt.position}: it is a later copy`,
          { hint: 'give the --snapshot the disk was restored from (snaplog list; snaplog attach names it)' },
        );
      }
      interrupted(signal, 'after crash recovery');
    }
    const serverId = request.replayServerId ?? 4_000_000_000;
    // An interrupted run's relay files: the server must not open them (RESET SLAVE would delete the new ones).
    await removeReplayFiles(datadir);
    await rm(join(runDir, 'replay'), { recursive: true, force: true });
    const dialect = await localServerDialect();
    const relayArgs = dialect.privateServerArgs({
      serverId,
      sourceGtids: Boolean(plan.snapshot.position?.gtid),
      applierThreads: defaultApplierThreads(availableParallelism()),
    });
    server = await startPrivateServer({
      runDir: join(runDir, 'replay'),
      datadir,
      owner,
      signal,
      binlogKey: request.binlogKeys?.server,
      args: [
        ...(request.method === 'relay'
          ? relayArgs
          : [`--server-id=${serverId}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', dialect.skipReplicaStart]),
        ...(request.serverArgs ?? []),
      ],
    });
    say(`private server on ${datadir} (socket ${server.socket}, networking off, as uid ${owner.uid})`);
    const currentGtid = await gtidSlavePos(server.socket);
    if (start.kind === 'resume' && start.record.status !== 'recovering' && start.record.replayFrom) {
      const scanFrom = fetched.findIndex((log) => log.name === start.record.replayFrom!.file);
      const logs = fetched.slice(scanFrom).map((log, i) => ({ path: log.path, from: i === 0 ? start.record.replayFrom!.position : log.from }));
      const point = await findAppliedPoint(logs, start.record.baselineGtid, currentGtid, request.binlogKeys?.reader);
      from = point ? { file: fetched[scanFrom + point.fileIndex]!.name, position: point.position } : start.record.replayFrom;
      say(`resuming: the data directory has every transaction up to ${from.file}:${from.position}${point ? ` (GTID ${point.gtid})` : ''}`);
    } else {
      record.baselineGtid = currentGtid;
    }
    if (comparePositions(from, stop) >= 0) {
      if (comparePositions(from, stop) > 0) {
        throw new SnaplogError(`the data directory is already past this target (${from.file}:${from.position})`, {
          hint: "restore a fresh copy of the snapshot's disk for an earlier target",
        });
      }
    } else {
      record.replayFrom = from;
      record.serverPid = server.process.pid;
      record.status = 'replaying';
      await writeRestoreRecord(datadir, record);
      touched = true;
      replay = await replayFrom(request, server, fetched, from, currentGtid || plan.snapshot.position?.gtid, owner);
    }
    const finalGtid = await gtidSlavePos(server.socket);
    record.status = 'done';
    delete record.serverPid;
    record.appliedThrough = stop;
    record.lastAppliedGtid = finalGtid || undefined;
    delete record.error;
    await writeRestoreRecord(datadir, record);
    await server.stop();
    server = undefined;
    // The fetched copies are only kept for --resume.
    await rm(join(stagingDir, 'logs'), { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
    return result('restored', finalGtid || undefined);
  } catch (error) {
    // Stopped before the replay began: crash recovery is run again by --resume (it is idempotent).
    record.status = record.status === 'recovering' ? 'recovering' : error instanceof ReplayInterruptedError || signal?.aborted ? 'interrupted' : 'failed';
    record.error = describeError(error);
    if (touched) await writeRestoreRecord(datadir, record).catch(() => undefined);
    if (request.failure) request.failure['status'] = record.status;
    throw error;
  } finally {
    await server?.stop();
  }
}

/** The dialect of the server that wrote the logs (the snapshot records its version); MariaDB's when unknown. */
function sourceDialect(plan: RestorePlan): ServerDialect {
  try {
    return dialectFromVersion(plan.snapshot.serverVersion ?? '');
  } catch {
    return dialectFromVersion('10.11.0-MariaDB');
  }
}

async function gtidSlavePos(socket: string): Promise<string> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    const [row] = await queryRows(connection, 'SELECT @@gtid_slave_pos AS pos');
    return row?.['pos'] ? String(row['pos']) : '';
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/**
 * Replays the fetched logs from `from` to the planned stop on the private server; `baselineGtids` is the GTID position
 * before `from` (to count transactions). Returns the apply time and rates.
 */
async function replayFrom(
  request: ReplayRequest,
  server: PrivateServer,
  fetched: FetchedLog[],
  from: BinlogPoint,
  baselineGtids: string | undefined,
  owner: Owner,
): Promise<ReplayStats> {
  const { plan } = request;
  const index = fetched.findIndex((log) => log.name === from.file);
  if (index < 0) {
    throw new SnaplogError(`${from.file}, where the replay stands, is not in this plan`, {
      hint: 'give the same --snapshot and a target at or after the earlier one',
    });
  }
  const logs = fetched.slice(index).map((log, i) => (i === 0 ? { ...log, from: from.position } : log));
  const offset = plan.logs.findIndex((log) => log.name === from.file);
  const last = logs[logs.length - 1]!;
  const stopPosition = plan.stop.endOfChain ? undefined : plan.stop.position;
  const bytes = bytesDone(plan.logs, plan.logs.length, 0) - bytesDone(plan.logs, offset, from.position);
  const replayStarted = Date.now();
  const stats = (transactions: number | undefined): ReplayStats => {
    const applyMs = Date.now() - replayStarted;
    return { bytes, ...(transactions !== undefined ? { transactions } : {}), applyMs, ...replayRates(bytes, transactions, applyMs) };
  };
  if (request.method === 'pipe') {
    await applyThroughPipe({
      endpoint: { socket: server.socket, port: 0, user: 'root', credentialSource: 'the private replay server' },
      paths: logs.map((log) => log.path),
      startPosition: from.position,
      stopPosition,
      tools: sourceDialect(plan),
    });
    // The client's transactions leave the private server's GTID position as it was: no count.
    return stats(undefined);
  }
  await prepareRelayLogs(request.datadir!, logs, owner);
  try {
    const applied = await applyThroughRelay({
      socket: server.socket,
      relayDir: request.datadir!,
      logs,
      stopPosition,
      lastLogSize: last.size,
      // To the end of the chain the plan stops where the last complete transaction ends.
      endPosition: plan.stop.endOfChain ? plan.stop.position : undefined,
      baselineGtids,
      signal: request.signal,
      onProgress: ({ fileIndex, position, transactions }) => {
        const log = logs[fileIndex];
        const doneBytes = bytesDone(plan.logs, offset + fileIndex, position) - bytesDone(plan.logs, offset, from.position);
        if (log) request.progress?.(formatProgress({ doneBytes, totalBytes: bytes, currentLog: log.name, transactions }, Date.now() - replayStarted));
      },
    });
    return stats(applied.transactions);
  } catch (error) {
    if (error instanceof ReplayError) {
      const log = logs[error.failedAt.fileIndex];
      if (log) error.message = error.message.replace(/relay-bin\.\d+/, `${log.name} (relay copy)`);
    }
    throw error;
  }
}

interface TargetState {
  planStop: RestorePlan['stop'];
  snapshotId: string;
  method: ReplayMethod;
  status: 'fetching' | 'replaying' | 'failed' | 'done';
  error?: string;
}

async function readTargetState(stagingDir: string): Promise<TargetState | undefined> {
  const text = await readOwnFile(join(stagingDir, 'restore-state.json')).catch(() => undefined);
  return text ? (JSON.parse(text) as TargetState) : undefined;
}

/** Into the DBA's running server, through mariadb-binlog | mariadb. A failed pipe cannot be resumed exactly. */
async function restoreIntoTarget(request: ReplayRequest): Promise<RestoreResult> {
  const { plan, stagingDir } = request;
  const started = Date.now();
  if (request.method === 'relay') {
    throw new SnaplogError('the relay-log path needs a private server on the restored data directory', {
      exitCode: 2,
      hint: 'use --datadir DIR, or --method pipe with --target-socket',
    });
  }
  await mkdir(dirname(stagingDir), { recursive: true, mode: 0o700 });
  await openStaging(stagingDir);
  const previous = await readTargetState(stagingDir);
  if (request.resume) {
    throw new SnaplogError(
      `a replay into a running server cannot be resumed exactly${previous ? ` (the last one in ${stagingDir} is ${previous.status})` : ''}`,
      {
        exitCode: 2,
        hint: 'restore onto a data directory (--datadir) to be able to resume, or restore the target server again and run without --resume',
      },
    );
  }
  const state: TargetState = { planStop: plan.stop, snapshotId: plan.snapshot.id, method: request.method, status: 'fetching' };
  const save = (): Promise<void> => writeOwnFile(join(stagingDir, 'restore-state.json'), `${JSON.stringify(state, null, 2)}\n`);
  await save();
  const fetched = await fetchLogs(request.archive, request.systemId, plan.logs, join(stagingDir, 'logs'), (log) =>
    request.say(`fetched and checked ${log.name} (sha256 ok)`),
  );
  state.status = 'replaying';
  await save();
  try {
    await applyThroughPipe({
      endpoint: request.target!,
      paths: fetched.map((log) => log.path),
      startPosition: fetched[0]!.from,
      stopPosition: plan.stop.endOfChain ? undefined : plan.stop.position,
      tools: sourceDialect(plan),
    });
  } catch (error) {
    state.status = 'failed';
    state.error = describeError(error);
    await save();
    throw error;
  }
  state.status = 'done';
  await save();
  await rm(join(stagingDir, 'logs'), { recursive: true, force: true });
  return {
    method: request.method,
    outcome: 'restored',
    appliedThrough: plan.stop,
    bytesReplayed: plan.bytesToReplay,
    elapsedMs: Date.now() - started,
    stagingDir,
  };
}

/** The archived logs crash recovery reads before the snapshot's: from its last binlog checkpoint on. */
async function fetchRecoveryLogs(request: ReplayRequest, first: FetchedLog, stagingDir: string): Promise<FetchedLog[]> {
  const head = (await readFile(first.path)).subarray(0, first.from);
  const checkpoint = lastCheckpointLog(head, request.binlogKeys?.reader);
  if (!checkpoint || checkpoint === first.name) return [];
  const archived = await request.archive.listLogMetadata(request.systemId);
  const from = archived.find((log) => log.name === checkpoint);
  if (!from) {
    throw new SnaplogError(
      `crash recovery of the snapshot needs ${checkpoint} (named by the binlog checkpoint in ${first.name}), which is not in the archive`,
      {
        hint: 'restore from an older snapshot, or copy that binlog from the restored disk into the archive',
      },
    );
  }
  const needed = archived.filter((log) => log.sequence >= from.sequence && log.sequence < first.sequence).sort((a, b) => a.sequence - b.sequence);
  return fetchLogs(
    request.archive,
    request.systemId,
    needed.map((log) => plannedLog(log, 4)),
    join(stagingDir, 'logs'),
  );
}
