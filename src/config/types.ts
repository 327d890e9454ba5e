/** The typed, validated configuration every command receives. */
import type { ConfigLocation } from '../errors.js';

/** A workload_name some registered engine answers to (the config accepts only those; src/engines/ hands them in). */
export type WorkloadName = string;
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

/**
 * Each engine section's parsed value, by section name. Empty here: each engine adds its own entry
 * (`declare module` in engines/<engine>/config.ts), so the config module imports no engine.
 */
// biome-ignore lint/suspicious/noEmptyInterface: declaration merging: each engine adds its own section's entry
export interface EngineSectionValues {}

/** Engine sections are present only when written (raw ones) or when the workload uses them (typed ones). */
export interface SnaplogConfig extends Partial<EngineSectionValues> {
  /** Files actually read, in precedence order (lowest first). */
  sources: string[];
  workload: WorkloadConfig;
  archive: ArchiveConfig;
  ship: ShipConfig;
  events: EventsConfig;
  metrics: MetricsConfig;
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
