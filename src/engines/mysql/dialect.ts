import { SnaplogError } from '../../errors.js';

/**
 * The SQL dialect of one MySQL-family server, chosen from its version string (`SELECT VERSION()`, the
 * version in a binlog's format description event, or `mysqld --version`). Pure: every statement and
 * option snaplog sends to a MySQL or MariaDB server for freeze, status and restore comes from here.
 *
 * Version boundaries (MySQL reference manual, checked against the 5.7, 8.0, 8.4 and 9.x pages):
 * - START/STOP/RESET REPLICA and SHOW REPLICA STATUS (new output column names too) from 8.0.22:
 *   https://dev.mysql.com/doc/refman/8.0/en/start-replica.html, …/show-replica-status.html
 * - CHANGE REPLICATION SOURCE TO (SOURCE_* option names) from 8.0.23:
 *   https://dev.mysql.com/doc/refman/8.0/en/change-replication-source-to.html
 * - --skip-replica-start and replica_parallel_workers from 8.0.26 (the slave_* names deprecated):
 *   https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html
 * - SHOW BINARY LOG STATUS added in 8.2.0, SHOW MASTER STATUS deprecated there:
 *   https://dev.mysql.com/doc/refman/8.2/en/show-binary-log-status.html
 * - 8.4 removed SHOW MASTER STATUS, CHANGE MASTER TO, START/STOP/RESET SLAVE, SHOW SLAVE STATUS:
 *   https://dev.mysql.com/doc/refman/8.4/en/show-master-status.html ("no longer supported"), 8.4 release notes.
 * MariaDB (https://mariadb.com/kb/en/backup-stage/, …/start-replica/, …/show-binlog-status/): BACKUP STAGE
 * from 10.4; START SLAVE … UNTIL RELAY_LOG_FILE/RELAY_LOG_POS and SHOW SLAVE STATUS in every supported
 * version (the REPLICA aliases arrive in 10.5.1); MASTER_USE_GTID is MariaDB-only; GTIDs in @@gtid_binlog_pos.
 */

export type ServerFlavor = 'mysql' | 'mariadb';

export interface ServerVersion {
  major: number;
  minor: number;
  patch: number;
}

export type FreezeMethodName = 'backup-stage' | 'ftwrl';

/** The statements that take and release the snapshot lock on the holder's session. */
export interface FreezeStatements {
  method: FreezeMethodName;
  lock: string[];
  unlock: string;
}

/** How the binlog position is read while the lock is held. */
export interface BinlogStatusQuery {
  statement: string;
  fileColumn: 'File';
  positionColumn: 'Position';
  /** MySQL: the status row's Executed_Gtid_Set (the same set as @@gtid_executed); MariaDB has no such column. */
  gtidColumn?: 'Executed_Gtid_Set';
  /** The global variable that holds the server's GTID position (MariaDB gtid_binlog_pos, MySQL gtid_executed). */
  gtidVariable: 'gtid_binlog_pos' | 'gtid_executed';
}

/** The status row's column names (SHOW SLAVE STATUS before MySQL 8.0.22 and on MariaDB, SHOW REPLICA STATUS after). */
export interface ReplicaStatusFields {
  sqlRunning: 'Slave_SQL_Running' | 'Replica_SQL_Running';
  sqlState: 'Slave_SQL_Running_State' | 'Replica_SQL_Running_State';
  relayFile: 'Relay_Log_File';
  relayPos: 'Relay_Log_Pos';
  errno: 'Last_SQL_Errno';
  error: 'Last_SQL_Error';
}

/** What the relay-log replay sends to the private server, in this order: stop, reset, startAt, startUntil|startToEnd, status…, stop, reset. */
export interface ReplicaControl {
  /**
   * Points the applier at a relay log offset (the snapshot's position in the first relay log). `sourceLog` names the
   * binlog that relay log is a copy of: MariaDB's parallel workers compare source log names and crash on an empty one
   * (10.11.19, compare_log_name in inc_group_relay_log_pos), so the replay always gives it.
   */
  startAt(relayFile: string, relayPos: number, sourceLog?: { file: string; position: number }): string;
  /** Starts the SQL thread and stops it before the event at relayPos in relayFile. */
  startUntil(relayFile: string, relayPos: number): string;
  /** Starts the SQL thread with no stop (apply every relay log). */
  startToEnd: string;
  status: string;
  stop: string;
  reset: string;
  fields: ReplicaStatusFields;
  /** A one-row query whose `pos` column is the set of applied GTIDs. */
  appliedGtids: string;
  /** The SQL thread's state once it has applied the whole last relay log ("Slave/Replica has read all relay log; …"). */
  caughtUp: RegExp;
}

export interface PrivateServerArgsOptions {
  serverId: number;
  /** Relay log base name in the data directory. */
  relayLog?: string;
  /**
   * MySQL: whether the source's binlogs carry GTIDs (see sourceGtidsOf). A GTID transaction stops the applier of a
   * gtid_mode = OFF server and an anonymous one that of an ON server; 'mixed' (a source that changed gtid_mode) gets
   * ON_PERMISSIVE, which applies both.
   */
  sourceGtids?: boolean | 'mixed';
  /** MariaDB: parallel applier threads (slave_parallel_threads); 0 = the single SQL thread. Default 0 (see defaultApplierThreads). */
  applierThreads?: number;
}

/**
 * Parallel applier threads for a MariaDB replay server on a host with `cpus` CPUs. Exactness does not depend on it
 * (runbooks/replay-notes.md: the UNTIL stop stays exact with workers, commits stay in source order). Speed does: on the
 * 2-core machine every measured worker setting applied OLTP and bulk binlogs slower than the single SQL thread (the apply
 * is CPU-bound with innodb_flush_log_at_trx_commit=0, and the SQL driver thread already takes one core), so up to 2 CPUs
 * the replay keeps one applier; with more, one worker per CPU beyond the driver's, at most 8 (not measured here).
 */
export function defaultApplierThreads(cpus: number): number {
  return cpus <= 2 ? 0 : Math.min(8, cpus - 1);
}

export interface ServerDialect {
  flavor: ServerFlavor;
  version: ServerVersion;
  /** The version string it was chosen from. */
  versionString: string;
  /** "MySQL 8.4.3", "MariaDB 10.11.19": for messages and records. */
  label: string;
  backupStageAvailable: boolean;
  binlogStatus: BinlogStatusQuery;
  /** The grant that allows the binlog status statement. */
  binlogMonitorGrant: 'BINLOG MONITOR' | 'REPLICATION CLIENT';
  replica: ReplicaControl;
  /** The option that keeps a private server's replica threads from starting by themselves (crash recovery, replay). */
  skipReplicaStart: '--skip-slave-start' | '--skip-replica-start';
  /** The server binary a private (restore) server of this flavor runs. */
  serverBinary: 'mariadbd' | 'mysqld';
  /** Reads this flavor's binlogs for the pipe method (mariadb-binlog cannot read MySQL 8 compressed transactions). */
  binlogTool: 'mariadb-binlog' | 'mysqlbinlog';
  clientTool: 'mariadb' | 'mysql';
  freezeStatements(method: FreezeMethodName): FreezeStatements;
  privateServerArgs(options: PrivateServerArgsOptions): string[];
}

export class UnknownServerVersionError extends SnaplogError {
  constructor(version: string) {
    super(`cannot tell the server's dialect from its version '${version.slice(0, 80)}'`, {
      hint: 'snaplog supports MySQL 5.7, 8.0, 8.4 and 9.x and MariaDB 10.4 and later; check that [mysql] socket points at such a server',
    });
  }
}

const MARIADB_HANDSHAKE_PREFIX = /^5\.5\.5-(?=\d+\.\d+\.\d+.*mariadb)/i;

/** Pure: "10.11.19-MariaDB-0+deb12u1" → MariaDB 10.11.19; "8.0.36-0ubuntu0.22.04.1", "8.4.3", "5.7.44-log" → MySQL. */
export function parseVersion(versionString: string): { flavor: ServerFlavor; version: ServerVersion } {
  const text = versionString.trim().replace(MARIADB_HANDSHAKE_PREFIX, '');
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) throw new UnknownServerVersionError(versionString);
  return {
    flavor: /mariadb/i.test(text) ? 'mariadb' : 'mysql',
    version: { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) },
  };
}

/** Pure: the version in `mysqld --version` / `mariadbd --version` output ("mysqld  Ver 8.0.36 for Linux …"). */
export function versionFromServerBinaryOutput(output: string): string {
  const match = /\bVer\s+(\d+\.\d+\.\d+\S*)/.exec(output);
  if (!match) throw new UnknownServerVersionError(output.split('\n')[0] ?? '');
  const version = match[1]!;
  // MySQL's --version names the product after the version: keep the flavor visible either way.
  return /mariadb/i.test(output) && !/mariadb/i.test(version) ? `${version}-MariaDB` : version;
}

/** Pure: true when the version is at least major.minor.patch. */
export function atLeast(version: ServerVersion, major: number, minor = 0, patch = 0): boolean {
  if (version.major !== major) return version.major > major;
  if (version.minor !== minor) return version.minor > minor;
  return version.patch >= patch;
}

const sqlString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const relayPosition = (value: number): number => {
  if (!Number.isSafeInteger(value) || value < 4) throw new Error(`relay log position ${value} is not a binlog offset`);
  return value;
};

/** The replica host name snaplog's private server is pointed at; the receiver thread is never started. */
export const REPLAY_SOURCE_HOST = 'snaplog-replay';

function mariadbReplica(): ReplicaControl {
  return {
    startAt: (file, pos, sourceLog) =>
      `CHANGE MASTER TO MASTER_HOST='${REPLAY_SOURCE_HOST}', ` +
      (sourceLog ? `MASTER_LOG_FILE=${sqlString(sourceLog.file)}, MASTER_LOG_POS=${relayPosition(sourceLog.position)}, ` : '') +
      `RELAY_LOG_FILE=${sqlString(file)}, RELAY_LOG_POS=${relayPosition(pos)}, MASTER_USE_GTID=no`,
    startUntil: (file, pos) => `START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE=${sqlString(file)}, RELAY_LOG_POS=${relayPosition(pos)}`,
    startToEnd: 'START SLAVE SQL_THREAD',
    status: 'SHOW SLAVE STATUS',
    stop: 'STOP SLAVE',
    reset: 'RESET SLAVE ALL',
    fields: statusFields('Slave'),
    appliedGtids: 'SELECT @@gtid_slave_pos AS pos',
    caughtUp: /read all relay log/i,
  };
}

function mysqlReplica(version: ServerVersion): ReplicaControl {
  const replicaWords = atLeast(version, 8, 0, 22);
  const sourceWords = atLeast(version, 8, 0, 23);
  const verb = replicaWords ? 'REPLICA' : 'SLAVE';
  return {
    startAt: (file, pos) =>
      sourceWords
        ? `CHANGE REPLICATION SOURCE TO SOURCE_HOST='${REPLAY_SOURCE_HOST}', RELAY_LOG_FILE=${sqlString(file)}, RELAY_LOG_POS=${relayPosition(pos)}`
        : `CHANGE MASTER TO MASTER_HOST='${REPLAY_SOURCE_HOST}', RELAY_LOG_FILE=${sqlString(file)}, RELAY_LOG_POS=${relayPosition(pos)}`,
    startUntil: (file, pos) => `START ${verb} SQL_THREAD UNTIL RELAY_LOG_FILE=${sqlString(file)}, RELAY_LOG_POS=${relayPosition(pos)}`,
    startToEnd: `START ${verb} SQL_THREAD`,
    status: `SHOW ${verb} STATUS`,
    stop: `STOP ${verb}`,
    reset: `RESET ${verb} ALL`,
    fields: statusFields(replicaWords ? 'Replica' : 'Slave'),
    appliedGtids: 'SELECT @@GLOBAL.gtid_executed AS pos',
    caughtUp: /read all relay log/i,
  };
}

function statusFields(words: 'Slave' | 'Replica'): ReplicaStatusFields {
  return {
    sqlRunning: `${words}_SQL_Running`,
    sqlState: `${words}_SQL_Running_State`,
    relayFile: 'Relay_Log_File',
    relayPos: 'Relay_Log_Pos',
    errno: 'Last_SQL_Errno',
    error: 'Last_SQL_Error',
  };
}

/** The options every private replay server gets, whatever its flavor (verified on MariaDB 10.11; documented for MySQL). */
function commonReplayArgs(serverId: number, relayLog: string): string[] {
  if (!Number.isSafeInteger(serverId) || serverId < 1 || serverId > 4_294_967_295) throw new Error(`server id ${serverId} is out of range`);
  return [`--server-id=${serverId}`, `--relay-log=${relayLog}`, `--relay-log-index=${relayLog}.index`];
}

function mariadbPrivateServerArgs(options: PrivateServerArgsOptions): string[] {
  const relayLog = options.relayLog ?? 'relay-bin';
  return [
    ...commonReplayArgs(options.serverId, relayLog),
    '--skip-slave-start',
    '--relay-log-purge=0',
    '--relay-log-recovery=0',
    '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=0',
    '--sync-binlog=0',
    ...mariadbApplierArgs(options.applierThreads ?? 0),
  ];
}

function mariadbApplierArgs(threads: number): string[] {
  if (!Number.isSafeInteger(threads) || threads < 0 || threads > 256) throw new Error(`applier threads ${threads} is out of range (0–256)`);
  // The mode and queue also apply when a DBA turns workers on with --server-arg=--slave-parallel-threads=N.
  return [
    `--slave-parallel-threads=${threads}`,
    // PARALLEL_MODE_CHOICE
    '--slave-parallel-mode=optimistic',
    // Events a worker may hold queued (default 128 KiB): large row events of bulk loads would otherwise serialise on it.
    '--slave-parallel-max-queued=16777216',
  ];
}

function mysqlPrivateServerArgs(version: ServerVersion, options: PrivateServerArgsOptions): string[] {
  const relayLog = options.relayLog ?? 'relay-bin';
  const replicaNames = atLeast(version, 8, 0, 26);
  return [
    ...commonReplayArgs(options.serverId, relayLog),
    replicaNames ? '--skip-replica-start' : '--skip-slave-start',
    '--relay-log-purge=0',
    '--relay-log-recovery=0',
    '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=0',
    '--sync-binlog=0',
    // One applier thread: UNTIL RELAY_LOG_POS stops exactly there only on a single-threaded applier (8.0.27+ defaults to 4 workers).
    replicaNames ? '--replica-parallel-workers=0' : '--slave-parallel-workers=0',
    // gtid_mode must match the relay logs: a GTID event on a gtid_mode=OFF server stops the applier, an anonymous one on ON too.
    ...gtidModeArgs(options.sourceGtids ?? false),
  ];
}

function gtidModeArgs(sourceGtids: boolean | 'mixed'): string[] {
  if (sourceGtids === 'mixed') return ['--gtid-mode=ON_PERMISSIVE'];
  return sourceGtids ? ['--gtid-mode=ON', '--enforce-gtid-consistency=ON'] : ['--gtid-mode=OFF'];
}

function freezeStatementsFor(backupStageAvailable: boolean, label: string) {
  return (method: FreezeMethodName): FreezeStatements => {
    if (method === 'backup-stage') {
      if (!backupStageAvailable) {
        throw new SnaplogError(`freeze_method = backup-stage needs MariaDB 10.4 or later; this server is ${label}`, {
          exitCode: 2,
          hint: 'set [mysql] freeze_method = ftwrl (or auto)',
        });
      }
      return { method, lock: ['BACKUP STAGE START', 'BACKUP STAGE FLUSH', 'BACKUP STAGE BLOCK_DDL', 'BACKUP STAGE BLOCK_COMMIT'], unlock: 'BACKUP STAGE END' };
    }
    return { method, lock: ['FLUSH TABLES WITH READ LOCK'], unlock: 'UNLOCK TABLES' };
  };
}

/** Pure: the dialect of the server whose version string this is. */
export function dialectFromVersion(versionString: string): ServerDialect {
  const { flavor, version } = parseVersion(versionString);
  const numbers = `${version.major}.${version.minor}.${version.patch}`;
  if (flavor === 'mariadb') {
    const label = `MariaDB ${numbers}`;
    const backupStageAvailable = atLeast(version, 10, 4);
    return {
      flavor,
      version,
      versionString,
      label,
      backupStageAvailable,
      binlogStatus: { statement: 'SHOW MASTER STATUS', fileColumn: 'File', positionColumn: 'Position', gtidVariable: 'gtid_binlog_pos' },
      // BINLOG MONITOR from 10.5.2; REPLICATION CLIENT is its alias there.
      binlogMonitorGrant: atLeast(version, 10, 5) ? 'BINLOG MONITOR' : 'REPLICATION CLIENT',
      replica: mariadbReplica(),
      skipReplicaStart: '--skip-slave-start',
      serverBinary: 'mariadbd',
      binlogTool: 'mariadb-binlog',
      clientTool: 'mariadb',
      freezeStatements: freezeStatementsFor(backupStageAvailable, label),
      privateServerArgs: mariadbPrivateServerArgs,
    };
  }
  const label = `MySQL ${numbers}`;
  return {
    flavor,
    version,
    versionString,
    label,
    backupStageAvailable: false,
    binlogStatus: {
      statement: atLeast(version, 8, 2) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS',
      fileColumn: 'File',
      positionColumn: 'Position',
      // Read in the same statement as the position, under the lock. performance_schema.log_status (8.0.14+) would give
      // both consistently without a lock but needs BACKUP_ADMIN; with FLUSH TABLES WITH READ LOCK held it adds nothing.
      gtidColumn: 'Executed_Gtid_Set',
      gtidVariable: 'gtid_executed',
    },
    binlogMonitorGrant: 'REPLICATION CLIENT',
    replica: mysqlReplica(version),
    skipReplicaStart: atLeast(version, 8, 0, 26) ? '--skip-replica-start' : '--skip-slave-start',
    serverBinary: 'mysqld',
    binlogTool: 'mysqlbinlog',
    clientTool: 'mysql',
    freezeStatements: freezeStatementsFor(false, label),
    privateServerArgs: (options) => mysqlPrivateServerArgs(version, options),
  };
}

/** Pure: the configured freeze method on this server (auto = BACKUP STAGE where it exists, else FLUSH TABLES WITH READ LOCK). */
export function chooseFreezeMethod(dialect: ServerDialect, configured: 'auto' | FreezeMethodName): FreezeMethodName {
  if (configured === 'auto') return dialect.backupStageAvailable ? 'backup-stage' : 'ftwrl';
  // Throws the clear error for backup-stage on a server without it.
  return dialect.freezeStatements(configured).method;
}

export interface ReplicaStatus {
  sqlRunning: boolean;
  state: string;
  relayFile: string;
  relayPos: number;
  errno: number;
  error: string;
}

/** Pure: one SHOW SLAVE/REPLICA STATUS row read by this dialect's column names. */
export function readReplicaStatus(row: Record<string, unknown>, control: ReplicaControl): ReplicaStatus {
  const f = control.fields;
  return {
    sqlRunning: String(row[f.sqlRunning]) === 'Yes',
    state: String(row[f.sqlState] ?? ''),
    relayFile: String(row[f.relayFile] ?? ''),
    relayPos: Number(row[f.relayPos] ?? 0),
    errno: Number(row[f.errno] ?? 0),
    error: String(row[f.error] ?? ''),
  };
}

/** What the archive records per log (LogMetadata): enough to tell whether a MySQL source wrote GTIDs. */
export interface LogGtidFacts {
  transactionCount?: number;
  firstTransaction?: string;
  lastTransaction?: string;
}

/**
 * Pure: whether the MySQL logs a replay applies carry GTIDs: true when every log that holds transactions
 * starts and ends with a GTID, false when none has one, 'mixed' otherwise (gtid_mode changed on the source,
 * or anonymous transactions between GTID ones). Logs without transactions say nothing.
 */
export function sourceGtidsOf(logs: LogGtidFacts[]): boolean | 'mixed' {
  const withTransactions = logs.filter((log) => (log.transactionCount ?? 0) > 0);
  const tagged = withTransactions.filter((log) => log.firstTransaction && log.lastTransaction);
  const untagged = withTransactions.filter((log) => !log.firstTransaction && !log.lastTransaction);
  if (tagged.length === withTransactions.length && tagged.length > 0) return true;
  if (untagged.length === withTransactions.length) return false;
  return 'mixed';
}
