/**
 * Engine sections ([mysql], [oracle], [iris]): the config loader knows none of them by name. src/engines/
 * hands in an EngineConfigTable (the registered engines' workload_name values and sections); each engine
 * declares its section in its own folder, and adds the type of its parsed section to EngineSectionValues
 * (declaration merging), so `config.mysql` stays typed.
 */
import type { ConfigLocation } from '../errors.js';
import type { IniEntry } from './ini.js';
import type { Resolved, SectionSpec } from './schema.js';
import type { EngineSectionValues, WorkloadConfig, WorkloadName } from './types.js';

export type EngineSectionName = keyof EngineSectionValues & string;

/** What a section's resolver may see of the rest of the config, and how it reports back. */
export interface SectionContext {
  readonly workload: WorkloadConfig;
  /** The winning entry of a `[workload]` key this section declared in workloadKeys. */
  workloadEntry(key: string): IniEntry | undefined;
  /** The section's header in the highest-precedence file (or just that file), for a warning about a default. */
  headerLocation(key: string): ConfigLocation;
  warn(location: ConfigLocation, message: string): void;
  /** This key's value came from elsewhere (e.g. credString): `config.locate(section, key)` answers `location`. */
  derivedFrom(key: string, location: ConfigLocation): void;
}

/** A secret file named by the section: checked (type, owner, 0600) when the config is loaded. */
export interface SecretFileKey {
  readonly key: string;
  readonly path: string | undefined;
}

/**
 * A section with declared keys: the loader checks every key (types and ranges as errors naming file, line, key
 * with a HINT; unknown keys as "did you mean" warnings), then `resolve` builds the typed section for the
 * workloads that use it. For other workloads the section is ignored, with a warning.
 */
export interface TypedEngineSection<N extends EngineSectionName, K extends SectionSpec> {
  readonly name: N;
  readonly keys: K;
  readonly workloads: readonly WorkloadName[];
  /** `[workload]` keys only this section gives meaning to (Azure's credString); other workloads warn that they are unused. */
  readonly workloadKeys?: readonly string[];
  resolve(values: Resolved<K>, context: SectionContext): EngineSectionValues[N];
  secretFiles?(section: EngineSectionValues[N]): SecretFileKey[];
}

/** The form the loader works with: one per section, with the types erased at the table's edge. */
export interface EngineSection {
  readonly name: string;
  /** undefined: a raw section, its keys kept as written for the engine to check when it starts. */
  readonly keys?: SectionSpec;
  readonly workloads?: readonly WorkloadName[];
  readonly workloadKeys?: readonly string[];
  resolve?(values: Readonly<Record<string, unknown>>, context: SectionContext): unknown;
  secretFiles?(section: unknown): SecretFileKey[];
}

/** What src/engines/ hands the loader: which workload_name values exist, and the engines' sections. */
export interface EngineConfigTable {
  /** Every accepted workload_name (lower case), in the order messages list them. */
  readonly workloadNames: readonly WorkloadName[];
  readonly sections: readonly EngineSection[];
}

export function typedSection<N extends EngineSectionName, K extends SectionSpec>(section: TypedEngineSection<N, K>): EngineSection {
  return {
    name: section.name,
    keys: section.keys,
    workloads: section.workloads,
    ...(section.workloadKeys === undefined ? {} : { workloadKeys: section.workloadKeys }),
    resolve: (values, context) => section.resolve(values as Resolved<K>, context),
    ...(section.secretFiles === undefined ? {} : { secretFiles: (value: unknown) => section.secretFiles!(value as EngineSectionValues[N]) }),
  };
}

/** A section kept as raw `key → value` strings (keys as written); its engine validates it on demand. */
export function rawSection(name: EngineSectionName): EngineSection {
  return { name };
}
