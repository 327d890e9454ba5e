/**
 * Parsed INI documents → one typed SnaplogConfig. Pure: no I/O, so every rule here is unit-tested on text.
 *
 * Documents come in precedence order, lowest first (Azure's workload.conf, then snaplog.conf): for a key
 * set in several, the last one wins. An empty value (`ipc_folder =`, as in Azure's template) is unset.
 * Wrong types throw ConfigError naming file, line and key; unknown keys and sections only warn.
 * No value is ever echoed in a warning, and only typed (non-secret) values are echoed in errors.
 */
import { ConfigError, type ConfigLocation } from '../errors.js';
import type { IniDocument, IniEntry } from './ini.js';
import {
  AZURE_MIN_TIMEOUT_SECONDS,
  AZURE_UNUSED_KEYS,
  AZURE_UNUSED_SECTIONS,
  DEFAULT_MYSQL_SOCKET,
  FREEFORM_SECTIONS,
  PASSWORD_LIKE_KEYS,
  SCHEMA,
  type FreeformSection,
  type KeySpec,
  type Resolved,
  type Schema,
  type SectionName,
  type SectionSpec,
} from './schema.js';
import { interpretCredString } from './credstring.js';
import { locationOf, warning } from './location.js';
import { closest } from './suggest.js';
import type { ConfigResult, MysqlConfig, SnaplogConfig } from './types.js';

/** A typed value as found, quoted and shortened, for "found …". */
function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

const SECTION_NAMES = Object.keys(SCHEMA) as SectionName[];

function isSectionName(name: string): name is SectionName {
  return (SECTION_NAMES as string[]).includes(name);
}

function isFreeform(name: string): name is FreeformSection {
  return (FREEFORM_SECTIONS as readonly string[]).includes(name);
}

function sectionSpec(name: SectionName): SectionSpec {
  return SCHEMA[name];
}

/** Canonical key name (as in the schema) for a key written in any case. */
function canonicalKey(section: SectionName, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(sectionSpec(section)).find((candidate) => candidate.toLowerCase() === lower);
}

function id(section: string, key: string): string {
  return `${section.toLowerCase()}.${key.toLowerCase()}`;
}

interface Collected {
  /** id(section, key) → the entry that wins. */
  readonly winners: Map<string, IniEntry>;
  /** Entries with an empty value, in precedence order. */
  readonly empties: IniEntry[];
  /** Raw sections: lower-case key → winning entry. */
  readonly freeform: Map<FreeformSection, Map<string, IniEntry>>;
  readonly warnings: string[];
}

function unknownKeyWarning(section: SectionName, entry: IniEntry): string {
  const location = locationOf(entry);
  const lower = entry.key.toLowerCase();
  if (PASSWORD_LIKE_KEYS.includes(lower)) {
    return warning(
      location,
      'a password must not be written in the config file; this key is ignored. Put the password alone in a file ' +
        'with mode 0600 and name that file in [mysql] password_file',
    );
  }
  if (AZURE_UNUSED_KEYS[section]?.some((key) => key.toLowerCase() === lower)) {
    return warning(location, `Azure Backup key not used by snaplog; ignored`);
  }
  const sameSection = closest(entry.key, Object.keys(sectionSpec(section)));
  if (sameSection !== undefined) {
    return warning(location, `unknown key in [${section}], ignored (did you mean '${sameSection}'?)`);
  }
  const elsewhere = SECTION_NAMES.find((other) => other !== section && canonicalKey(other, entry.key) !== undefined);
  if (elsewhere !== undefined) {
    return warning(location, `unknown key in [${section}], ignored (did you mean to put it in [${elsewhere}]?)`);
  }
  return warning(location, `unknown key in [${section}], ignored`);
}

function unknownSectionWarnings(document: IniDocument): string[] {
  const warnings: string[] = [];
  for (const section of document.sections) {
    const lower = section.name.toLowerCase();
    if (isSectionName(lower) || isFreeform(lower)) continue;
    const location = { file: document.file, line: section.line };
    if (AZURE_UNUSED_SECTIONS.includes(lower)) {
      warnings.push(warning(location, `section [${section.name}] belongs to Azure Backup's own scripts; snaplog ignores it`));
      continue;
    }
    const suggestion = closest(lower, [...SECTION_NAMES, ...FREEFORM_SECTIONS]);
    warnings.push(
      warning(location, `unknown section [${section.name}]; its keys are ignored${suggestion === undefined ? '' : ` (did you mean [${suggestion}]?)`}`),
    );
  }
  return warnings;
}

function collect(documents: readonly IniDocument[]): Collected {
  const collected: Collected = { winners: new Map(), empties: [], freeform: new Map(), warnings: [] };
  for (const document of documents) {
    collected.warnings.push(...unknownSectionWarnings(document));
    const seenInDocument = new Map<string, IniEntry>();
    for (const entry of document.entries) {
      const section = entry.section.toLowerCase();
      let entryId: string;
      if (isFreeform(section)) {
        entryId = id(section, entry.key);
      } else if (isSectionName(section)) {
        const key = canonicalKey(section, entry.key);
        if (key === undefined) {
          collected.warnings.push(unknownKeyWarning(section, entry));
          continue;
        }
        entryId = id(section, key);
      } else {
        continue; // unknown section: warned about once, above
      }

      if (entry.value === '') {
        collected.empties.push(entry);
        continue;
      }
      const earlier = seenInDocument.get(entryId);
      if (earlier !== undefined) {
        collected.warnings.push(warning(locationOf(entry), `also set on line ${earlier.line} of this file; this later line wins`));
      }
      seenInDocument.set(entryId, entry);
      collected.winners.set(entryId, entry);
      if (isFreeform(section)) {
        let raw = collected.freeform.get(section);
        if (raw === undefined) collected.freeform.set(section, (raw = new Map()));
        raw.set(entry.key.toLowerCase(), entry);
      }
    }
  }
  return collected;
}

function specOf(section: string, key: string): KeySpec | undefined {
  const lower = section.toLowerCase();
  if (!isSectionName(lower)) return undefined;
  const canonical = canonicalKey(lower, key);
  return canonical === undefined ? undefined : sectionSpec(lower)[canonical];
}

function emptyValueWarnings(collected: Collected): string[] {
  return collected.empties.flatMap((entry) => {
    const winner = collected.winners.get(id(entry.section, entry.key));
    const spec = specOf(entry.section, entry.key);
    let outcome: string;
    if (winner !== undefined) {
      outcome = `the value from ${winner.file === entry.file ? '' : `${winner.file}, `}line ${winner.line} is used`;
    } else if (spec?.default !== undefined) {
      outcome = `the default (${String(spec.default)}) is used`;
    } else if (spec?.mandatory) {
      return []; // resolution fails on it, naming this line
    } else {
      outcome = 'it stays unset';
    }
    return [warning(locationOf(entry), `empty value, treated as unset; ${outcome}`)];
  });
}

interface Context {
  readonly documents: readonly IniDocument[];
  readonly collected: Collected;
}

function missingError(context: Context, section: SectionName, key: string, spec: KeySpec): ConfigError {
  const empty = [...context.collected.empties].reverse().find((entry) => id(entry.section, entry.key) === id(section, key));
  const example = `[${section}]\n${key} = ${spec.example}`;
  if (empty !== undefined) {
    return new ConfigError(
      locationOf(empty),
      `required in [${section}], but its value is empty`,
      `write a value after '=', e.g. \`${key} = ${spec.example}\`${spec.hint === undefined ? '' : `; ${spec.hint}`}`,
    );
  }
  // Point at the file the operator should edit: the highest-precedence one, at its [section] header if it has one.
  const primary = context.documents[context.documents.length - 1];
  const withSection = [...context.documents].reverse().find((document) => document.sections.some((s) => s.name.toLowerCase() === section));
  const document = withSection ?? primary;
  const header = document?.sections.filter((s) => s.name.toLowerCase() === section).at(-1);
  const file = document?.file ?? '(no config file)';
  return new ConfigError(
    header === undefined ? { file, key } : { file, line: header.line, key },
    `required in section [${section}], but not set in ${context.documents.map((d) => d.file).join(' or ')}`,
    `add to ${file}:\n${example}${spec.hint === undefined ? '' : `\n(${spec.hint})`}`,
  );
}

function typeError(entry: IniEntry, spec: KeySpec, expected: string): ConfigError {
  const suggestion = spec.choices === undefined ? undefined : closest(entry.value, spec.choices);
  const fix = `${entry.key} = ${suggestion ?? spec.example}`;
  const hint = suggestion !== undefined
    ? `did you mean \`${fix}\`? Fix line ${entry.line} of ${entry.file}`
    : `write it like \`${fix}\` on line ${entry.line} of ${entry.file}${spec.hint === undefined ? '' : `; ${spec.hint}`}`;
  return new ConfigError(locationOf(entry), `expected ${expected}, found ${shown(entry.value)}`, hint);
}

function resolveSection<N extends SectionName>(context: Context, section: N): Resolved<Schema[N]> {
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(sectionSpec(section))) {
    const entry = context.collected.winners.get(id(section, key));
    if (entry === undefined) {
      if (spec.mandatory) throw missingError(context, section, key, spec);
      resolved[key] = spec.default;
      continue;
    }
    const value = spec.parse(entry.value);
    if (value === undefined) throw typeError(entry, spec, spec.expected);
    const problem = spec.check?.(value);
    if (problem !== undefined) throw typeError(entry, spec, problem);
    resolved[key] = value;
  }
  return resolved as Resolved<Schema[N]>;
}

/** Drops undefined-valued properties, so optional fields are absent rather than present-but-undefined. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Exactly one archive: a folder (`path`) or an Azure Blob container (`url` with one credential file). */
function checkArchiveTarget(
  context: Context,
  archive: { path?: string; url?: string; connection_string_file?: string; sas_token_file?: string },
  winner: (section: string, key: string) => Parameters<typeof locationOf>[0] | undefined,
): void {
  const at = (key: string) => {
    const entry = winner('archive', key);
    return entry === undefined ? archiveSectionLocation(context, key) : locationOf(entry);
  };
  if (archive.path === undefined && archive.url === undefined) {
    throw missingError(context, 'archive', 'path', SCHEMA.archive.path);
  }
  if (archive.path !== undefined && archive.url !== undefined) {
    throw new ConfigError(at('url'), 'both path and url are set: snaplog ships to one archive', 'keep one of them in [archive]');
  }
  if (archive.url !== undefined && (archive.connection_string_file === undefined) === (archive.sas_token_file === undefined)) {
    throw new ConfigError(at('url'), 'an Azure Blob archive needs exactly one of connection_string_file and sas_token_file', 'name a 0600 file holding the connection string (or the SAS token) in [archive]');
  }
}

function archiveSectionLocation(context: Context, key: string): ConfigLocation {
  const document = [...context.documents].reverse().find((d) => d.sections.some((s) => s.name.toLowerCase() === 'archive')) ?? context.documents[context.documents.length - 1];
  const header = document?.sections.filter((s) => s.name.toLowerCase() === 'archive').at(-1);
  return { file: document?.file ?? '(no config file)', ...(header === undefined ? {} : { line: header.line }), key };
}

/**
 * Merge and validate parsed documents (lowest precedence first) into the typed config.
 * Throws ConfigError (exit code 2) naming file, line and key.
 */
export function resolveConfig(documents: readonly IniDocument[]): ConfigResult {
  const primary = documents[documents.length - 1];
  if (primary === undefined) throw new Error('resolveConfig needs at least one document');
  const collected = collect(documents);
  const context: Context = { documents, collected };
  const warnings = [...collected.warnings, ...emptyValueWarnings(collected)];

  const workload = resolveSection(context, 'workload');
  const mysql = resolveSection(context, 'mysql');
  const archive = resolveSection(context, 'archive');
  const ship = resolveSection(context, 'ship');
  const events = resolveSection(context, 'events');
  const metrics = resolveSection(context, 'metrics');
  const winner = (section: string, key: string) => collected.winners.get(id(section, key));

  const derived = new Map<string, ConfigLocation>();
  const isMysql = workload.workload_name === 'mysql' || workload.workload_name === 'mariadb';
  const cred = interpretCredString(winner('workload', 'credString'), isMysql, mysql.defaults_file !== undefined);
  warnings.push(...cred.warnings);
  if (cred.defaultsFile !== undefined) derived.set(id('mysql', 'defaults_file'), cred.defaultsFile.location);

  if (workload.timeout < AZURE_MIN_TIMEOUT_SECONDS) {
    const entry = winner('workload', 'timeout');
    warnings.push(
      warning(
        entry === undefined ? { file: primary.file, key: 'timeout' } : locationOf(entry),
        `${workload.timeout} seconds is below Azure Backup's minimum of ${AZURE_MIN_TIMEOUT_SECONDS}: snaplog accepts it, but the freeze is released after ${workload.timeout} s even if the snapshot is not done`,
      ),
    );
  }

  checkArchiveTarget(context, archive, winner);

  let mysqlConfig: MysqlConfig | undefined;
  if (isMysql) {
    let socket = mysql.socket;
    if (socket === undefined && mysql.host === undefined) {
      socket = DEFAULT_MYSQL_SOCKET;
      const header = primary.sections.find((s) => s.name.toLowerCase() === 'mysql');
      warnings.push(
        warning(
          { file: primary.file, ...(header === undefined ? {} : { line: header.line }), key: 'socket' },
          `neither socket nor host is set in [mysql]; using socket ${DEFAULT_MYSQL_SOCKET}. Set one of them to silence this`,
        ),
      );
    }
    mysqlConfig = compact<MysqlConfig>({
      socket,
      host: mysql.host,
      port: mysql.port,
      user: mysql.user,
      passwordFile: mysql.password_file,
      defaultsFile: mysql.defaults_file ?? cred.defaultsFile?.path,
      binlogDir: mysql.binlog_dir,
      binlogBasename: mysql.binlog_basename,
      freezeMethod: mysql.freeze_method,
      binlogKeyFile: mysql.binlog_key_file,
      binlogKeyAlgorithm: mysql.binlog_key_algorithm,
      serverId: mysql.server_id,
    });
  } else {
    const first = [...collected.winners.values()].find((entry) => entry.section.toLowerCase() === 'mysql');
    if (first !== undefined) {
      warnings.push(warning({ file: first.file, line: first.sectionLine }, `section [mysql] is ignored: workload_name is ${workload.workload_name}`));
    }
  }

  const rawSection = (section: FreeformSection): Record<string, string> | undefined => {
    const entries = collected.freeform.get(section);
    if (entries === undefined) return undefined;
    return Object.fromEntries([...entries.values()].map((entry) => [entry.key, entry.value]));
  };

  const config: SnaplogConfig = {
    sources: documents.map((document) => document.file),
    workload: compact({
      name: workload.workload_name,
      commandPath: workload.command_path,
      linuxUser: workload.linux_user,
      ipcFolder: workload.ipc_folder,
      timeoutSeconds: workload.timeout,
      configurationPath: workload.configuration_path,
      instance: workload.instance,
    }),
    ...(mysqlConfig === undefined ? {} : { mysql: mysqlConfig }),
    archive: compact({ path: archive.path, url: archive.url, connectionStringFile: archive.connection_string_file, sasTokenFile: archive.sas_token_file, compression: archive.compression, systemId: archive.system_id }),
    ship: compact({
      maxLogAgeSeconds: ship.max_log_age,
      tail: ship.tail,
      rescanIntervalSeconds: ship.rescan_interval,
      concurrency: ship.concurrency,
      retryMaxDelaySeconds: ship.retry_max_delay,
    }),
    events: { maxBytes: events.max_bytes },
    metrics: compact({ listen: metrics.listen }),
    ...compact({ oracle: rawSection('oracle'), iris: rawSection('iris') }),
    locate(section: string, key: string): ConfigLocation {
      const found = derived.get(id(section, key));
      if (found !== undefined) return { ...found };
      const entry = collected.winners.get(id(section, key));
      if (entry !== undefined) return locationOf(entry);
      return { file: primary.file, key };
    },
  };
  return { config, warnings };
}
