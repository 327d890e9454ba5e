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
  PASSWORD_LIKE_KEYS,
  SCHEMA,
  type KeySpec,
  type Resolved,
  type Schema,
  type SectionSpec,
  workloadNameKey,
} from './schema.js';
import type { EngineConfigTable, EngineSection, SectionContext } from './sections.js';
import { locationOf, warning } from './location.js';
import { closest } from './suggest.js';
import type { ConfigResult, SnaplogConfig, WorkloadConfig } from './types.js';

/** A typed value as found, quoted and shortened, for "found …". */
function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/**
 * The sections this run knows: snaplog's own (SCHEMA, with workload_name limited to the registered engines' names)
 * and the engines' (handed in). Section names are lower case.
 */
interface Sections {
  /** Sections with declared keys, own sections first. */
  readonly specs: ReadonlyMap<string, SectionSpec>;
  /** Engine sections kept as raw strings. */
  readonly raw: ReadonlySet<string>;
}

function sectionTable(engines: EngineConfigTable): Sections {
  const specs = new Map<string, SectionSpec>(Object.entries(SCHEMA));
  specs.set('workload', { ...SCHEMA.workload, workload_name: workloadNameKey(engines.workloadNames) });
  const raw = new Set<string>();
  for (const section of engines.sections) {
    const name = section.name.toLowerCase();
    if (specs.has(name) || raw.has(name)) throw new Error(`config section [${name}] is declared twice`);
    if (section.keys === undefined) raw.add(name);
    else specs.set(name, section.keys);
  }
  return { specs, raw };
}

function sectionSpec(sections: Sections, name: string): SectionSpec {
  return sections.specs.get(name) ?? {};
}

/** Canonical key name (as declared) for a key written in any case. */
function canonicalKey(sections: Sections, section: string, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(sectionSpec(sections, section)).find((candidate) => candidate.toLowerCase() === lower);
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
  readonly raw: Map<string, Map<string, IniEntry>>;
  readonly warnings: string[];
}

function unknownKeyWarning(sections: Sections, section: string, entry: IniEntry): string {
  const location = locationOf(entry);
  const lower = entry.key.toLowerCase();
  if (PASSWORD_LIKE_KEYS.includes(lower)) {
    const ownKey = canonicalKey(sections, section, 'password_file') !== undefined;
    const where = ownKey ? `[${section}] password_file` : "the password_file key of the database's section";
    return warning(
      location,
      'a password must not be written in the config file; this key is ignored. Put the password alone in a file ' +
        `with mode 0600 and name that file in ${where}`,
    );
  }
  if (AZURE_UNUSED_KEYS[section]?.some((key) => key.toLowerCase() === lower)) {
    return warning(location, `Azure Backup key not used by snaplog; ignored`);
  }
  const sameSection = closest(entry.key, Object.keys(sectionSpec(sections, section)));
  if (sameSection !== undefined) {
    return warning(location, `unknown key in [${section}], ignored (did you mean '${sameSection}'?)`);
  }
  const elsewhere = [...sections.specs.keys()].find((other) => other !== section && canonicalKey(sections, other, entry.key) !== undefined);
  if (elsewhere !== undefined) {
    return warning(location, `unknown key in [${section}], ignored (did you mean to put it in [${elsewhere}]?)`);
  }
  return warning(location, `unknown key in [${section}], ignored`);
}

function unknownSectionWarnings(sections: Sections, document: IniDocument): string[] {
  const warnings: string[] = [];
  for (const section of document.sections) {
    const lower = section.name.toLowerCase();
    if (sections.specs.has(lower) || sections.raw.has(lower)) continue;
    const location = { file: document.file, line: section.line };
    if (AZURE_UNUSED_SECTIONS.includes(lower)) {
      warnings.push(warning(location, `section [${section.name}] belongs to Azure Backup's own scripts; snaplog ignores it`));
      continue;
    }
    const suggestion = closest(lower, [...sections.specs.keys(), ...sections.raw]);
    warnings.push(
      warning(location, `unknown section [${section.name}]; its keys are ignored${suggestion === undefined ? '' : ` (did you mean [${suggestion}]?)`}`),
    );
  }
  return warnings;
}

function collect(sections: Sections, documents: readonly IniDocument[]): Collected {
  const collected: Collected = { winners: new Map(), empties: [], raw: new Map(), warnings: [] };
  for (const document of documents) {
    collected.warnings.push(...unknownSectionWarnings(sections, document));
    const seenInDocument = new Map<string, IniEntry>();
    for (const entry of document.entries) {
      const section = entry.section.toLowerCase();
      let entryId: string;
      if (sections.raw.has(section)) {
        entryId = id(section, entry.key);
      } else if (sections.specs.has(section)) {
        const key = canonicalKey(sections, section, entry.key);
        if (key === undefined) {
          collected.warnings.push(unknownKeyWarning(sections, section, entry));
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
      if (sections.raw.has(section)) {
        let raw = collected.raw.get(section);
        if (raw === undefined) collected.raw.set(section, (raw = new Map()));
        raw.set(entry.key.toLowerCase(), entry);
      }
    }
  }
  return collected;
}

function specOf(sections: Sections, section: string, key: string): KeySpec | undefined {
  const lower = section.toLowerCase();
  const canonical = canonicalKey(sections, lower, key);
  return canonical === undefined ? undefined : sectionSpec(sections, lower)[canonical];
}

function emptyValueWarnings(sections: Sections, collected: Collected): string[] {
  return collected.empties.flatMap((entry) => {
    const winner = collected.winners.get(id(entry.section, entry.key));
    const spec = specOf(sections, entry.section, entry.key);
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
  readonly sections: Sections;
  readonly collected: Collected;
}

function missingError(context: Context, section: string, key: string, spec: KeySpec): ConfigError {
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
  const hint =
    suggestion !== undefined
      ? `did you mean \`${fix}\`? Fix line ${entry.line} of ${entry.file}`
      : `write it like \`${fix}\` on line ${entry.line} of ${entry.file}${spec.hint === undefined ? '' : `; ${spec.hint}`}`;
  return new ConfigError(locationOf(entry), `expected ${expected}, found ${shown(entry.value)}`, hint);
}

/** `inUse` false: an engine section the workload does not use, checked for wrong values but not for missing keys. */
function resolveSection(context: Context, section: string, inUse = true): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(sectionSpec(context.sections, section))) {
    const entry = context.collected.winners.get(id(section, key));
    if (entry === undefined) {
      if (spec.mandatory && inUse) throw missingError(context, section, key, spec);
      resolved[key] = spec.default;
      continue;
    }
    const value = spec.parse(entry.value);
    if (value === undefined) throw typeError(entry, spec, spec.expected);
    const problem = spec.check?.(value);
    if (problem !== undefined) throw typeError(entry, spec, problem);
    resolved[key] = value;
  }
  return resolved;
}

function ownSection<N extends keyof Schema>(context: Context, section: N): Resolved<Schema[N]> {
  return resolveSection(context, section) as Resolved<Schema[N]>;
}

/** Drops undefined-valued properties, so optional fields are absent rather than present-but-undefined. */
export function compact<T extends object>(value: T): T {
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
    throw new ConfigError(
      at('url'),
      'an Azure Blob archive needs exactly one of connection_string_file and sas_token_file',
      'name a 0600 file holding the connection string (or the SAS token) in [archive]',
    );
  }
}

function archiveSectionLocation(context: Context, key: string): ConfigLocation {
  const document =
    [...context.documents].reverse().find((d) => d.sections.some((s) => s.name.toLowerCase() === 'archive')) ?? context.documents[context.documents.length - 1];
  const header = document?.sections.filter((s) => s.name.toLowerCase() === 'archive').at(-1);
  return { file: document?.file ?? '(no config file)', ...(header === undefined ? {} : { line: header.line }), key };
}

/** The section's header in the highest-precedence file, for a warning about a value that was not written. */
function headerLocation(documents: readonly IniDocument[], section: string, key: string): ConfigLocation {
  const primary = documents[documents.length - 1];
  const header = primary?.sections.find((s) => s.name.toLowerCase() === section);
  return { file: primary?.file ?? '(no config file)', ...(header === undefined ? {} : { line: header.line }), key };
}

interface EngineValues {
  /** Section name → parsed value, typed sections and raw ones apart (they have their own places in the config). */
  readonly typed: Record<string, unknown>;
  readonly raw: Record<string, Record<string, string>>;
  /** id(section, key) → where a derived value came from. */
  readonly derived: Map<string, ConfigLocation>;
  readonly warnings: string[];
}

/**
 * Each engine section: raw ones as written; typed ones checked key by key whatever the workload (a wrong value
 * is an error even in a section not used; a missing mandatory key only where it is used), then resolved by their
 * engine for the workloads that use them.
 */
function resolveEngineSections(context: Context, engineSections: readonly EngineSection[], workload: WorkloadConfig): EngineValues {
  const values: EngineValues = { typed: {}, raw: {}, derived: new Map(), warnings: [] };
  const { collected, documents } = context;
  const claimed = new Set<string>();
  const unclaimed = new Set<string>();
  for (const section of engineSections) {
    const name = section.name.toLowerCase();
    if (section.keys === undefined) {
      const entries = collected.raw.get(name);
      if (entries !== undefined) values.raw[section.name] = Object.fromEntries([...entries.values()].map((entry) => [entry.key, entry.value]));
      continue;
    }
    const inUse = section.resolve !== undefined && section.workloads?.includes(workload.name) === true;
    const resolved = resolveSection(context, name, inUse);
    if (inUse && section.resolve !== undefined) {
      for (const key of section.workloadKeys ?? []) claimed.add(key);
      const sectionContext: SectionContext = {
        workload,
        workloadEntry: (key) => (section.workloadKeys?.includes(key) ? collected.winners.get(id('workload', key)) : undefined),
        headerLocation: (key) => headerLocation(documents, name, key),
        warn: (location, message) => values.warnings.push(warning(location, message)),
        derivedFrom: (key, location) => values.derived.set(id(name, key), location),
      };
      values.typed[section.name] = section.resolve(resolved, sectionContext);
      continue;
    }
    for (const key of section.workloadKeys ?? []) unclaimed.add(key);
    const first = [...collected.winners.values()].find((entry) => entry.section.toLowerCase() === name);
    if (first !== undefined) {
      values.warnings.push(warning({ file: first.file, line: first.sectionLine }, `section [${name}] is ignored: workload_name is ${workload.name}`));
    }
  }
  for (const key of unclaimed) {
    const entry = claimed.has(key) ? undefined : collected.winners.get(id('workload', key));
    if (entry !== undefined) {
      values.warnings.push(warning(locationOf(entry), `${key} is accepted for compatibility with Azure Backup; snaplog does not use it for this workload`));
    }
  }
  return values;
}

/**
 * Merge and validate parsed documents (lowest precedence first) into the typed config. `engines` are the
 * registered engines' workload names and sections (src/engines/ hands them in). Throws ConfigError (exit code 2)
 * naming file, line and key.
 */
export function resolveConfig(documents: readonly IniDocument[], engines: EngineConfigTable): ConfigResult {
  const primary = documents[documents.length - 1];
  if (primary === undefined) throw new Error('resolveConfig needs at least one document');
  const sections = sectionTable(engines);
  const collected = collect(sections, documents);
  const context: Context = { documents, sections, collected };
  const warnings = [...collected.warnings, ...emptyValueWarnings(sections, collected)];

  const workload = ownSection(context, 'workload');
  const archive = ownSection(context, 'archive');
  const ship = ownSection(context, 'ship');
  const events = ownSection(context, 'events');
  const metrics = ownSection(context, 'metrics');
  const winner = (section: string, key: string) => collected.winners.get(id(section, key));

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

  const workloadConfig: WorkloadConfig = compact({
    name: workload.workload_name,
    commandPath: workload.command_path,
    linuxUser: workload.linux_user,
    ipcFolder: workload.ipc_folder,
    timeoutSeconds: workload.timeout,
    configurationPath: workload.configuration_path,
    instance: workload.instance,
  });
  const engineValues = resolveEngineSections(context, engines.sections, workloadConfig);
  warnings.push(...engineValues.warnings);

  const config: SnaplogConfig = {
    sources: documents.map((document) => document.file),
    workload: workloadConfig,
    ...engineValues.typed,
    archive: compact({
      path: archive.path,
      url: archive.url,
      connectionStringFile: archive.connection_string_file,
      sasTokenFile: archive.sas_token_file,
      compression: archive.compression,
      systemId: archive.system_id,
    }),
    ship: compact({
      maxLogAgeSeconds: ship.max_log_age,
      tail: ship.tail,
      rescanIntervalSeconds: ship.rescan_interval,
      concurrency: ship.concurrency,
      retryMaxDelaySeconds: ship.retry_max_delay,
    }),
    events: { maxBytes: events.max_bytes },
    metrics: compact({ listen: metrics.listen }),
    ...engineValues.raw,
    locate(section: string, key: string): ConfigLocation {
      const found = engineValues.derived.get(id(section, key));
      if (found !== undefined) return { ...found };
      const entry = collected.winners.get(id(section, key));
      if (entry !== undefined) return locationOf(entry);
      return { file: primary.file, key };
    },
  };
  return { config, warnings };
}
