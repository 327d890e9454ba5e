/**
 * The I/O shell around the pure parser and validator: find and read the config files, merge, validate,
 * and check that the secret files named in them are safe.
 *
 * snaplog's own file: `--config FILE`, else $SNAPLOG_CONFIG, else /etc/snaplog/snaplog.conf.
 * Azure's /etc/azure/workload.conf is read too when it exists; snaplog's file wins where both set a key.
 * Either may be missing, not both; a file named explicitly (--config, SNAPLOG_CONFIG) must exist.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { parseIni, type IniDocument } from './ini.js';
import { checkSecretFile } from './secrets.js';
import type { EngineConfigTable, EngineSection } from './sections.js';
import type { ConfigResult, LoadConfigOptions, SnaplogConfig } from './types.js';
import { formatLocation } from './location.js';
import { resolveConfig } from './validate.js';

export const DEFAULT_CONFIG_PATH = '/etc/snaplog/snaplog.conf';
export const AZURE_WORKLOAD_CONF_PATH = '/etc/azure/workload.conf';

const MINIMAL_CONFIG = '[workload]\nworkload_name = mariadb\n\n[archive]\npath = /mnt/nfs/snaplog';

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** The file's text, or undefined when it does not exist. Other failures are ConfigErrors naming the file. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ConfigError(
        { file: path },
        'cannot read this config file (permission denied)',
        `run snaplog as root, or make ${path} readable by the user running it`,
      );
    }
    if (code === 'EISDIR') {
      throw new ConfigError({ file: path }, 'this is a folder, not a config file', 'point --config or SNAPLOG_CONFIG at the snaplog.conf file itself');
    }
    throw new ConfigError({ file: path }, `cannot read this config file: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface OwnFile {
  readonly path: string;
  /** How the path was chosen; undefined for the default path (which may be missing). */
  readonly explicitVia: '--config' | 'SNAPLOG_CONFIG' | undefined;
}

function ownConfigFile(options: LoadConfigOptions, env: NodeJS.ProcessEnv): OwnFile {
  if (options.configPath !== undefined && options.configPath !== '') return { path: resolve(options.configPath), explicitVia: '--config' };
  const fromEnv = env.SNAPLOG_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(fromEnv), explicitVia: 'SNAPLOG_CONFIG' };
  return { path: options.defaultConfigPath ?? DEFAULT_CONFIG_PATH, explicitVia: undefined };
}

/** The files an engine section names that hold a secret must be safe; checked now so `config check` and every command see it. */
async function checkSecretFiles(config: SnaplogConfig, engineSections: readonly EngineSection[]): Promise<string[]> {
  const warnings: string[] = [];
  const parsed = new Map<string, unknown>(Object.entries(config));
  const secrets: Array<[string | undefined, ConfigLocation]> = engineSections.flatMap((section) => {
    const value = parsed.get(section.name);
    if (value === undefined || section.secretFiles === undefined) return [];
    return section.secretFiles(value).map(({ key, path }): [string | undefined, ConfigLocation] => [path, config.locate(section.name, key)]);
  });
  for (const [path, location] of secrets) {
    if (path === undefined) continue;
    if (!(await checkSecretFile(path, location))) {
      warnings.push(`${formatLocation(location)}: ${path} does not exist; connecting to the database will fail until it does`);
    }
  }
  return warnings;
}

/**
 * Read, merge and validate the configuration, with the engines' workload names and sections handed in by src/engines/.
 * Throws ConfigError (exit code 2) naming file, line and key.
 * Warnings (unknown keys, empty values, Azure-isms) are returned for the caller to print.
 */
export async function loadConfig(engines: EngineConfigTable, options: LoadConfigOptions = {}): Promise<ConfigResult> {
  const env = options.env ?? process.env;
  const own = ownConfigFile(options, env);
  const azurePath = options.workloadConfPath ?? AZURE_WORKLOAD_CONF_PATH;

  const azureText = await readOptional(azurePath);
  const ownText = await readOptional(own.path);

  if (ownText === undefined && own.explicitVia !== undefined) {
    throw new ConfigError(
      { file: own.path },
      `the config file named by ${own.explicitVia} does not exist`,
      own.explicitVia === '--config'
        ? `check the path given to --config, or create the file, e.g.:\n${MINIMAL_CONFIG}`
        : `check SNAPLOG_CONFIG (or unset it to use ${options.defaultConfigPath ?? DEFAULT_CONFIG_PATH}), or create the file`,
    );
  }
  if (ownText === undefined && azureText === undefined) {
    throw new ConfigError(
      { file: own.path },
      `no config file found (tried ${own.path} and ${azurePath})`,
      `create ${own.path} with at least:\n${MINIMAL_CONFIG}\n(or pass --config FILE, or set SNAPLOG_CONFIG)`,
    );
  }

  const documents: IniDocument[] = [];
  if (azureText !== undefined) documents.push(parseIni(azureText, azurePath));
  if (ownText !== undefined) documents.push(parseIni(ownText, own.path));

  const { config, warnings } = resolveConfig(documents, engines);
  warnings.push(...(await checkSecretFiles(config, engines.sections)));
  return { config, warnings };
}
