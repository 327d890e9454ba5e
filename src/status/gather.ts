import { readFile, stat } from 'node:fs/promises';
import type { SnaplogConfig } from '../config/index.js';
import type { Archive } from '../archive/archive.js';
import { buildCatalog, snapshotWindows } from '../archive/catalog.js';
import { archiveLocation, openConfiguredArchive } from '../archive/open.js';
import type { Engine } from '../engines/types.js';
import { describeError } from '../errors.js';
import { readFreezeState } from '../state/freeze-state.js';
import { isProcessAlive } from '../processes.js';
import { readShipHeartbeat, readShipStatus } from '../state/ship-status.js';
import type { ArchiveFacts, ServerFacts, StatusInputs } from './evaluate.js';

/** One line of an error for the status report: the message without its HINT. */
function firstLine(error: unknown): string {
  return describeError(error).split('\n')[0] ?? '';
}

/** Asks the server which logs it has, what is open and when it last committed; never throws. */
async function serverFacts(engine: Engine | undefined, createError: unknown, archivedNames: Set<string> | undefined): Promise<ServerFacts> {
  if (!engine) return { error: firstLine(createError), unshipped: [] };
  try {
    const logs = await engine.listSourceLogs();
    const open = logs.find((log) => !log.closed);
    // Without the archive's list, only the open log is known to be unshipped.
    const unshipped = logs.filter((log) => !log.closed || (archivedNames !== undefined && !archivedNames.has(log.name)));
    let oldestUnshippedAgeSeconds: number | undefined;
    for (const log of unshipped) {
      oldestUnshippedAgeSeconds = await engine.firstTransactionAgeSeconds(log);
      if (oldestUnshippedAgeSeconds !== undefined) break;
    }
    const [lastCommit, transactionId, openLogSize] = await Promise.all([
      open && engine.lastCommitIn ? engine.lastCommitIn(open).catch(() => undefined) : undefined,
      engine.currentTransactionId ? engine.currentTransactionId().catch(() => undefined) : undefined,
      open
        ? stat(open.path).then(
            (info) => info.size,
            () => undefined,
          )
        : undefined,
    ]);
    return { openLog: open?.name, openLogSize, lastCommit, transactionId, unshipped: unshipped.map((log) => log.name), oldestUnshippedAgeSeconds };
  } catch (error) {
    return { error: firstLine(error), unshipped: [] };
  }
}

/** Reads the archive itself (not a state file): its last log and commit, gaps, the newest restorable window. */
async function archiveFacts(archive: Archive, systemId: string): Promise<{ facts: ArchiveFacts; names: Set<string> }> {
  const archived = await archive.listLogs(systemId);
  const catalog = buildCatalog(archived);
  const byTime = catalog.logs.filter((log) => log.lastCommitTime).sort((a, b) => Date.parse(a.lastCommitTime!) - Date.parse(b.lastCommitTime!));
  const newestCommit = byTime[byTime.length - 1];
  const lastLog = [...catalog.logs].sort((a, b) => a.sequence - b.sequence || Date.parse(a.shippedAt) - Date.parse(b.shippedAt)).pop();
  const snapshots = await archive.listSnapshots(systemId);
  const windows = snapshotWindows(snapshots, catalog).flatMap((window) =>
    window.restorable && !window.problem ? [{ ...window.restorable, snapshotId: window.snapshot.id }] : [],
  );
  // The window that reaches furthest, from its earliest snapshot: windows end where a gap in the logs breaks the chain.
  const newestTo = Math.max(...windows.map((window) => Date.parse(window.to)));
  const restorable = windows.filter((window) => Date.parse(window.to) === newestTo).sort((a, b) => Date.parse(a.from) - Date.parse(b.from))[0];
  return {
    names: new Set(catalog.logs.map((log) => log.name)),
    facts: {
      location: archive.location,
      logCount: catalog.logs.length,
      lastLog: lastLog ? { name: lastLog.name, shippedAt: lastLog.shippedAt } : undefined,
      lastCommit: newestCommit?.lastCommitTime,
      lastCommitLog: newestCommit?.name,
      gaps: catalog.gaps.map(({ after, before, missingSequences }) => ({ after, before, missingSequences })),
      restorable,
      snapshotCount: snapshots.length,
    },
  };
}

async function isShipProcess(pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  // Without /proc (or for another user's process) the pid is all there is to go by.
  return cmdline === undefined || cmdline.split('\0').includes('ship');
}

/** Everything `snaplog status` shows, asked live: the server, the archive, the ship service's heartbeat. */
export async function gatherStatus(
  config: SnaplogConfig,
  engineFactory: () => Promise<Engine>,
  maxLag: { seconds: number; source: string },
): Promise<StatusInputs> {
  const ipcFolder = config.workload.ipcFolder;
  const [ship, freeze, heartbeat] = await Promise.all([readShipStatus(ipcFolder), readFreezeState(ipcFolder), readShipHeartbeat(ipcFolder)]);
  let engine: Engine | undefined;
  let engineError: unknown;
  try {
    engine = await engineFactory();
  } catch (error) {
    engineError = error;
  }
  try {
    let systemId = config.archive.systemId;
    if (!systemId && engine) systemId = await engine.systemId().catch((error: unknown) => void (engineError ??= error));
    systemId ??= ship?.systemId;
    let archive: ArchiveFacts = { location: archiveLocation(config), logCount: 0, gaps: [], snapshotCount: 0 };
    let archivedNames: Set<string> | undefined;
    try {
      const opened = await openConfiguredArchive(config);
      if (!systemId) {
        const systems = await opened.systemIds();
        if (systems.length === 1) systemId = systems[0];
      }
      if (systemId) ({ facts: archive, names: archivedNames } = await archiveFacts(opened, systemId));
      else if ((await opened.systemIds()).length > 1) archive.error = 'it holds several systems; which is this one? set [archive] system_id';
      else archivedNames = new Set();
    } catch (error) {
      archive = { ...archive, error: firstLine(error) };
    }
    const server = await serverFacts(engineError === undefined ? engine : undefined, engineError, archivedNames);
    const alive = heartbeat ? await isShipProcess(heartbeat.pid) : false;
    const service = { heartbeat, alive };
    return { now: Date.now(), systemId, server, archive, service, ship, freeze, maxLagSeconds: maxLag.seconds, maxLagSource: maxLag.source };
  } finally {
    await engine?.close().catch(() => undefined);
  }
}
