/**
 * Public API of the config module: snaplog.conf + Azure's workload.conf → one typed, validated config.
 * The accepted workload_name values and the engine sections ([mysql], [oracle], [iris]) are declared by the
 * engines and handed in (sections.ts: EngineConfigTable).
 */
import { parseIni } from './ini.js';
import type { EngineConfigTable } from './sections.js';
import type { ConfigResult } from './types.js';
import { resolveConfig } from './validate.js';

export type {
  ArchiveConfig,
  Compression,
  ConfigResult,
  EngineSectionValues,
  EventsConfig,
  MetricsConfig,
  LoadConfigOptions,
  ShipConfig,
  SnaplogConfig,
  WorkloadConfig,
  WorkloadName,
} from './types.js';
export type { IniDocument, IniEntry, IniSection } from './ini.js';
export type { ConfigLocation } from '../errors.js';
export { parseIni } from './ini.js';
export { compact, resolveConfig } from './validate.js';
export { formatLocation, locationOf, warning } from './location.js';
export { loadConfig, DEFAULT_CONFIG_PATH, AZURE_WORKLOAD_CONF_PATH } from './load.js';
export { readSecretFile, checkSecretFile } from './secrets.js';
export { parseDuration, parseSize, parseBoolean, parseAbsolutePath } from './values.js';
export { spec, stringKey, wordKey, pathKey, intKey, boolKey, durationKey, sizeKey, enumKey } from './schema.js';
export type { KeySpec, SectionSpec } from './schema.js';
export { typedSection, rawSection } from './sections.js';
export type { EngineConfigTable, EngineSection, EngineSectionName, SectionContext, SecretFileKey, TypedEngineSection } from './sections.js';

/**
 * Parse and validate one config file's text as if it were the only source. Pure (no I/O, so the
 * secret file permission checks of loadConfig do not run). Throws ConfigError.
 */
export function parseConfigText(text: string, file: string, engines: EngineConfigTable): ConfigResult {
  return resolveConfig([parseIni(text, file)], engines);
}
