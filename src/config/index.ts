/**
 * Public API of the config module: snaplog.conf + Azure's workload.conf → one typed, validated config.
 */
import { parseIni } from './ini.js';
import type { ConfigResult } from './types.js';
import { resolveConfig } from './validate.js';

export type {
  BinlogKeyAlgorithm,
  ArchiveConfig,
  Compression,
  ConfigResult,
  EventsConfig,
  MetricsConfig,
  FreezeMethod,
  LoadConfigOptions,
  MysqlConfig,
  ShipConfig,
  SnaplogConfig,
  WorkloadConfig,
  WorkloadName,
} from './types.js';
export type { IniDocument, IniEntry, IniSection } from './ini.js';
export type { ConfigLocation } from '../errors.js';
export { parseIni } from './ini.js';
export { resolveConfig } from './validate.js';
export { formatLocation } from './location.js';
export { loadConfig, DEFAULT_CONFIG_PATH, AZURE_WORKLOAD_CONF_PATH } from './load.js';
export { readSecretFile, readMysqlPassword, readBinlogKeyFile, checkSecretFile } from './secrets.js';
export { passwordFromOptionFile } from './mysql-option-file.js';
export { parseDuration, parseSize, parseBoolean } from './values.js';
export { DEFAULT_MYSQL_SOCKET } from './schema.js';

/**
 * Parse and validate one config file's text as if it were the only source. Pure (no I/O, so the
 * password_file / defaults_file permission checks of loadConfig do not run). Throws ConfigError.
 */
export function parseConfigText(text: string, file: string): ConfigResult {
  return resolveConfig([parseIni(text, file)]);
}
