/** The typed, validated configuration every command receives. */
import type { ConfigLocation } from '../errors.js';

export type WorkloadName = 'mysql' | 'mariadb' | 'oracle' | 'iris' | 'cache';
export type FreezeMethod = 'auto' | 'backup-stage' | 'ftwrl';
/** MariaDB file_key_management_encryption_algorithm: how encrypted binlogs were written. */
export type BinlogKeyAlgorithm = 'aes_cbc' | 'aes_ctr';
export type Compression = 'none' | 'gzip' | 'zstd';

export interface WorkloadConfig {
  name: WorkloadName;
  /** Folder of the database's client binaries (Azure `command_path`). */
  commandPath?: string;
  linuxUser: string;
  ipcFolder: string;
  timeoutSeconds: number;
  /** Oracle: oratab-format file (Azure `configuration_path`). */
  configurationPath?: string;
  /** IRIS/Caché instance name. */
  instance?: string;
}

export interface MysqlConfig {
  socket?: string;
  host?: string;
  port: number;
  user: string;
  /** A file holding only the password; mode 0600 or stricter. */
  passwordFile?: string;
  /** A MySQL option file with `[client] password=…`; from `[mysql] defaults_file`, else from Azure's credString. */
  defaultsFile?: string;
  binlogDir?: string;
  /** The binlogs' base name (mysql-bin): with the server down, the index is `<binlogDir>/<binlogBasename>.index`. */
  binlogBasename?: string;
  freezeMethod: FreezeMethod;
  /**
   * The server's file_key_management key file (0600), for binlogs written with encrypt_binlog = ON: the
   * reader decrypts in memory and the restore's private server loads the same key.
   */
  binlogKeyFile?: string;
  binlogKeyAlgorithm: BinlogKeyAlgorithm;
  /** server_id of the private server used for replay. */
  serverId?: number;
}

export interface ArchiveConfig {
  /** A folder (usually an NFS mount); exactly one of path and url is set. */
  path?: string;
  /** An Azure Blob container URL (+ optional prefix), with credentials from one of the two files below. */
  url?: string;
  /** 0600 file holding an Azure Storage connection string (AccountName + AccountKey or SharedAccessSignature). */
  connectionStringFile?: string;
  /** 0600 file holding a SAS token for the container. */
  sasTokenFile?: string;
  compression: Compression;
  systemId?: string;
}

export interface ShipConfig {
  maxLogAgeSeconds?: number;
  tail: boolean;
  rescanIntervalSeconds: number;
  concurrency: number;
  retryMaxDelaySeconds: number;
}

export interface EventsConfig {
  maxBytes: number;
}

export interface MetricsConfig {
  /** host:port the ship service serves Prometheus metrics on; absent: no metrics endpoint. */
  listen?: string;
}

export interface SnaplogConfig {
  /** Files actually read, in precedence order (lowest first). */
  sources: string[];
  workload: WorkloadConfig;
  mysql?: MysqlConfig;
  archive: ArchiveConfig;
  ship: ShipConfig;
  events: EventsConfig;
  metrics: MetricsConfig;
  /** Raw `[oracle]` keys (as written) → values; defined by the Oracle engine. */
  oracle?: Record<string, string>;
  /** Raw `[iris]` keys (as written) → values; defined by the IRIS engine. */
  iris?: Record<string, string>;
  /**
   * Where a value came from, so later errors (e.g. a rejected password) can name file, line and key.
   * Section and key are matched case-insensitively. For a value that was not written anywhere (a default),
   * the location is the highest-precedence file, without a line.
   */
  locate(section: string, key: string): ConfigLocation;
}

export interface ConfigResult {
  config: SnaplogConfig;
  /** One line each, naming file, line and key. Never contains a secret. */
  warnings: string[];
}

export interface LoadConfigOptions {
  /** `--config FILE`; wins over SNAPLOG_CONFIG and the default path. */
  configPath?: string;
  /** Defaults to process.env (only SNAPLOG_CONFIG is read). */
  env?: NodeJS.ProcessEnv;
  /** Default /etc/azure/workload.conf. */
  workloadConfPath?: string;
  /** Default /etc/snaplog/snaplog.conf. */
  defaultConfigPath?: string;
}
