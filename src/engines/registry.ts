/**
 * The engines snaplog knows, by workload_name: how to build each one, its config section, its restore, its
 * archive format check and which commands it supports. The rest of snaplog asks here instead of switching on
 * workload_name (the config loader gets the accepted names and the sections from ENGINE_CONFIG); an engine's code
 * is loaded only when it is used. A new engine is one folder under src/engines/ and one registerEngine call below
 * (a test engine registers itself the same way).
 */
import type { LogMetadata } from '../archive/metadata.js';
import type { SnapshotRecord } from '../archive/snapshot-record.js';
import type { FormatChecker } from '../archive/verify.js';
import { restorableWindow } from './chain-plan.js';
import type { ChainRules, RestorableWindow } from './chain-plan.js';
import type { EngineConfigTable, EngineSection, SnaplogConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Engine, EngineDrill, EngineFind, EngineRestore, FoundDatadir, RestoreOptionSpec, VolumeReader } from './types.js';
import { mysqlRestoreHelp, mysqlRestoreOptions } from './mysql/restore/options.js';
import { oracleRestoreHelp, oracleRestoreOptions } from './oracle/restore/options.js';
import { irisRestoreHelp, irisRestoreOptions } from './iris/restore/options.js';
import { MYSQL_SECTION } from './mysql/config.js';
import { ORACLE_SECTION } from './oracle/config.js';
import { IRIS_SECTION } from './iris/config.js';

/** What `snaplog service install` writes into the ship service's systemd unit for an engine. */
export interface ShipServiceNeeds {
  /**
   * The service starts the database's own programs (IRIS/Caché; Oracle with OS authentication): the unit then has
   * no file-system sandbox and no NoNewPrivileges, since those programs write the database's files and may be setuid.
   */
  startsDatabaseTools: boolean;
  /** Folders the service reads beside the archive (MySQL: the binlog folder). */
  readablePaths: string[];
}

/** The commands and behaviours an engine has beside shipping, freezing and restoring. */
export interface EngineCapabilities {
  /** `snaplog find`: its logs hold statements that can be searched. */
  find: boolean;
  /** `snaplog drill`: a full restore rehearsal on a scratch copy. */
  drill: boolean;
  /** `snaplog restore --tables … --export …`. */
  partialRestore: boolean;
  /** Its freeze is global (outlives the holder's session): a watchdog ends it, thaw asks the database. */
  globalFreeze: boolean;
  /** `snaplog verify` compares the archive with the server's own closed logs. */
  sourceCompare: boolean;
}

export interface EngineEntry {
  /** The workload_name values it answers to. */
  workloadNames: readonly string[];
  /** The name its logs and snapshots carry in the archive (metadata `engine`). */
  archiveName: string;
  /** For messages and help: 'MySQL/MariaDB'. */
  label: string;
  /** Its config section (`[mysql]`), declared in its own config.ts; the config loader learns it from ENGINE_CONFIG. */
  configSection: EngineSection;
  capabilities: EngineCapabilities;
  /** Its own `snaplog restore` options (data: the command is built before the config is read). */
  restoreOptions: readonly RestoreOptionSpec[];
  /** Its paragraph in `snaplog restore --help`. */
  restoreHelp?: string;
  createEngine(config: SnaplogConfig): Promise<Engine>;
  restore(): Promise<EngineRestore>;
  /** The check `verify` runs over each archived log; absent: checksums and continuity only. */
  formatChecker?(config: SnaplogConfig): Promise<FormatChecker | undefined>;
  find?(): Promise<EngineFind>;
  drill?(): Promise<EngineDrill>;
  /** What a snapshot's `position.gtid` is for this engine, in the report: 'GTID', 'SCN', 'journal offset' (default 'position'). */
  positionLabel?: string;
  /** What a `snaplog restore` command needs beside the target, as an example for the report (MySQL: --datadir …). */
  restoreIntoExample?: readonly string[];
  /**
   * The planner's chain rules for how far a snapshot can be rolled forward (`snaplog list`, the report);
   * absent: the catalog's windows (engines with several log streams).
   */
  chainRules?(): Promise<ChainRules>;
  /** What the ship service's unit must allow it; absent: nothing beyond the archive and the ipc folder. */
  shipServiceNeeds?(config: SnaplogConfig): ShipServiceNeeds;
  /** Finds its data directories on an attached volume and tells their snapshot (`snaplog attach`, `drill --image`). */
  volumeReader?(): Promise<VolumeReader>;
}

const entries: EngineEntry[] = [];

/**
 * Adds an engine. Programming errors: a workload name or a config section registered twice, a name that is not
 * lower case (workload_name is matched without case), a section for workloads the engine does not answer to.
 */
export function registerEngine(entry: EngineEntry): void {
  const taken = entry.workloadNames.filter((name) => entries.some((known) => known.workloadNames.includes(name)));
  if (taken.length) throw new Error(`workload_name ${taken.join(', ')} is registered already`);
  const notLower = entry.workloadNames.filter((name) => name !== name.toLowerCase() || name.trim() === '');
  if (notLower.length) throw new Error(`workload_name ${notLower.join(', ')} must be lower case and not empty`);
  const section = entry.configSection.name.toLowerCase();
  if (entries.some((known) => known.configSection.name.toLowerCase() === section)) throw new Error(`config section [${section}] is registered already`);
  const foreign = (entry.configSection.workloads ?? []).filter((name) => !entry.workloadNames.includes(name));
  if (foreign.length) throw new Error(`config section [${section}] is for workload_name ${foreign.join(', ')}, which ${entry.label} does not answer to`);
  entries.push(entry);
}

/** What the config loader is handed: a live, read-only view of the registered engines' workload names and sections. */
export const ENGINE_CONFIG: EngineConfigTable = Object.freeze({
  get workloadNames(): readonly string[] {
    return entries.flatMap((entry) => entry.workloadNames);
  },
  get sections(): readonly EngineSection[] {
    return entries.map((entry) => entry.configSection);
  },
});

/** Every registered engine, in registration order. */
export function registeredEngines(): readonly EngineEntry[] {
  return entries;
}

export function engineEntry(workloadName: string): EngineEntry {
  const entry = entries.find((candidate) => candidate.workloadNames.includes(workloadName));
  if (!entry) {
    const known = entries.flatMap((candidate) => candidate.workloadNames).join(', ');
    throw new UsageError(`workload_name = ${workloadName} is not supported by this snaplog version`, `[workload] workload_name is one of ${known}`);
  }
  return entry;
}

export function engineOf(config: SnaplogConfig): EngineEntry {
  return engineEntry(config.workload.name);
}

export function createEngine(config: SnaplogConfig): Promise<Engine> {
  return engineOf(config).createEngine(config);
}

/** The format check for logs archived by the engine named `archiveName` (metadata `engine`). */
export async function formatCheckerFor(archiveName: string | undefined, config: SnaplogConfig): Promise<FormatChecker | undefined> {
  return engineOfArchive(archiveName)?.formatChecker?.(config);
}

/** What the ship service's systemd unit must allow the configured engine (`snaplog service install`). */
export function shipServiceNeedsOf(config: SnaplogConfig): ShipServiceNeeds {
  return engineOf(config).shipServiceNeeds?.(config) ?? { startsDatabaseTools: false, readablePaths: [] };
}

/** The engine whose logs and snapshots carry `archiveName` (metadata `engine`); archives written before the name was recorded are MySQL's. */
export function engineOfArchive(archiveName: string | undefined): EngineEntry | undefined {
  const name = archiveName ?? 'mysql';
  return entries.find((entry) => entry.archiveName === name) ?? entries.find((entry) => entry.workloadNames.includes(name));
}

/** The planner's window function of the engine whose snapshots carry `archiveName`; undefined: the catalog's windows. */
export async function restorableWindowFor(
  archiveName: string | undefined,
): Promise<((snapshot: SnapshotRecord, logs: LogMetadata[]) => RestorableWindow) | undefined> {
  const rules = await engineOfArchive(archiveName)?.chainRules?.();
  return rules ? (snapshot, logs) => restorableWindow(snapshot, logs, rules) : undefined;
}

/**
 * The volume readers for `snaplog attach`: the configured engine's, or every engine's when there is no config
 * (attach works before snaplog is set up on a recovery VM). Each found data directory says whose reader found it.
 */
export async function volumeReaders(config: SnaplogConfig | undefined): Promise<VolumeReader[]> {
  const candidates = config ? [engineOf(config)] : entries;
  const readers = await Promise.all(candidates.map((entry) => entry.volumeReader?.()));
  return readers.filter((reader): reader is VolumeReader => reader !== undefined);
}

/** Every data directory these readers find under `root`. */
export async function findDatadirsWith(readers: VolumeReader[], root: string): Promise<FoundDatadir[]> {
  return (await Promise.all(readers.map((reader) => reader.findDatadirs(root)))).flat();
}

/** A command the configured engine does not have: a usage error that says which engines have it. */
export function requireCapability(config: SnaplogConfig, capability: keyof EngineCapabilities, command: string): EngineEntry {
  const entry = engineOf(config);
  if (entry.capabilities[capability]) return entry;
  const others = entries.filter((candidate) => candidate.capabilities[capability]).map((candidate) => candidate.label);
  throw new UsageError(
    `snaplog ${command} is not available for workload_name = ${config.workload.name} (${entry.label})`,
    others.length
      ? `${command} works with ${others.join(', ')}; for ${entry.label}, use snaplog plan and snaplog restore`
      : `use snaplog plan and snaplog restore`,
  );
}

registerEngine({
  workloadNames: ['mysql', 'mariadb'],
  archiveName: 'mysql',
  label: 'MySQL/MariaDB',
  configSection: MYSQL_SECTION,
  capabilities: { find: true, drill: true, partialRestore: true, globalFreeze: false, sourceCompare: true },
  restoreOptions: mysqlRestoreOptions,
  restoreHelp: mysqlRestoreHelp,
  createEngine: async (config) => (await import('./mysql/factory.js')).createMysqlEngine(config),
  restore: async () => (await import('./mysql/restore/adapter.js')).mysqlRestore,
  formatChecker: async (config) => (await import('./mysql/factory.js')).mysqlFormatChecker(config),
  find: async () => (await import('./mysql/restore/find.js')).mysqlFind,
  drill: async () => (await import('./mysql/restore/drill.js')).mysqlDrill,
  positionLabel: 'GTID',
  restoreIntoExample: ['--datadir', '/mnt/restored/var/lib/mysql'],
  chainRules: async () => (await import('./mysql/restore/plan.js')).mysqlChainRules,
  volumeReader: async () => (await import('./mysql/restore/volume.js')).mysqlVolumeReader,
  shipServiceNeeds: (config) => ({ startsDatabaseTools: false, readablePaths: config.mysql?.binlogDir ? [config.mysql.binlogDir] : [] }),
});

registerEngine({
  workloadNames: ['oracle'],
  archiveName: 'oracle',
  label: 'Oracle',
  configSection: ORACLE_SECTION,
  capabilities: { find: false, drill: false, partialRestore: false, globalFreeze: true, sourceCompare: false },
  restoreOptions: oracleRestoreOptions,
  restoreHelp: oracleRestoreHelp,
  createEngine: async (config) => (await import('./oracle/index.js')).createOracleEngine(config),
  restore: async () => (await import('./oracle/restore/adapter.js')).oracleRestore,
  formatChecker: async () => (await import('./oracle/redo-header.js')).oracleFormatChecker,
  positionLabel: 'SCN',
  // Without a password file, sqlplus and rman log in with OS authentication, as [workload] linux_user.
  shipServiceNeeds: (config) => ({
    startsDatabaseTools: !Object.keys(config.oracle ?? {}).some((key) => key.toLowerCase() === 'password_file'),
    readablePaths: [],
  }),
});

registerEngine({
  workloadNames: ['iris', 'cache'],
  archiveName: 'iris',
  label: 'IRIS/Caché',
  configSection: IRIS_SECTION,
  capabilities: { find: false, drill: false, partialRestore: false, globalFreeze: true, sourceCompare: false },
  restoreOptions: irisRestoreOptions,
  restoreHelp: irisRestoreHelp,
  createEngine: async (config) => (await import('./iris/index.js')).createIrisEngine(config),
  restore: async () => (await import('./iris/restore/adapter.js')).irisRestore,
  positionLabel: 'journal offset',
  shipServiceNeeds: () => ({ startsDatabaseTools: true, readablePaths: [] }),
});
