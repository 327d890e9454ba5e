/**
 * Every config key: its section, type, default, and whether it is mandatory. Declarative: validate.ts
 * walks this table; nothing here does I/O. Section and key names match case-insensitively (Azure's
 * scripts read workload.conf with Python's ConfigParser, which ignores key case).
 */
import type { Compression, WorkloadName } from './types.js';
import { parseAbsolutePath, parseBoolean, parseDuration, parseInteger, parseSize } from './values.js';

export interface KeySpec<T = unknown, Present extends boolean = boolean> {
  /** What a valid value looks like, for "expected …, found …". */
  readonly expected: string;
  /** A valid value, for hints such as `timeout = 90`. */
  readonly example: string;
  /** undefined = not of this type. */
  parse(text: string): T | undefined;
  /** After parsing: what a valid value looks like if this one is out of range, else undefined. */
  check?(value: T): string | undefined;
  readonly default?: T;
  readonly mandatory: boolean;
  /** Extra advice appended to the hint of a type error. */
  readonly hint?: string;
  /** Allowed values, for "did you mean" on enums. */
  readonly choices?: readonly string[];
  /** Phantom: true when the resolved value is always present (mandatory or defaulted). */
  readonly __present?: Present;
}

interface KeyOptions<T> {
  readonly default?: T;
  readonly mandatory?: boolean;
  readonly hint?: string;
}

type Present<O> = O extends { default: unknown } ? true : O extends { mandatory: true } ? true : false;

export function spec<T, const O extends KeyOptions<T>>(
  base: Pick<KeySpec<T>, 'expected' | 'example' | 'parse' | 'check' | 'choices' | 'hint'>,
  options: O,
): KeySpec<T, Present<O>> {
  return { ...base, ...options, mandatory: options.mandatory === true };
}

function nonEmpty(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

function word(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' || /\s/.test(trimmed) ? undefined : trimmed;
}

export const stringKey = <const O extends KeyOptions<string> = {}>(options: O = {} as O) =>
  spec<string, O>({ expected: 'a value', example: 'value', parse: nonEmpty }, options);

export const wordKey = <const O extends KeyOptions<string> = {}>(example: string, what: string, options: O = {} as O) =>
  spec<string, O>({ expected: `${what} without spaces (e.g. ${example})`, example, parse: word }, options);

export const pathKey = <const O extends KeyOptions<string> = {}>(example: string, options: O = {} as O) =>
  spec<string, O>(
    {
      expected: `an absolute path starting with / (e.g. ${example})`,
      example,
      parse: parseAbsolutePath,
      hint: 'cron, systemd and backup agents start snaplog in no meaningful working directory, so relative paths are refused',
    },
    options,
  );

export const intKey = <const O extends KeyOptions<number> = {}>(range: { min: number; max: number }, what: string, example: string, options: O = {} as O) =>
  spec<number, O>(
    {
      expected: `${what} (e.g. ${example})`,
      example,
      parse: parseInteger,
      check: (value) => (value < range.min || value > range.max ? `${what} from ${range.min} to ${range.max}` : undefined),
    },
    options,
  );

export const boolKey = <const O extends KeyOptions<boolean> = {}>(options: O = {} as O) =>
  spec<boolean, O>({ expected: 'true or false (also yes/no, on/off, 1/0)', example: 'true', parse: parseBoolean }, options);

export const durationKey = <const O extends KeyOptions<number> = {}>(example: string, options: O = {} as O) =>
  spec<number, O>(
    {
      expected: `a duration: whole seconds, or a number with unit s, m or h (e.g. ${example})`,
      example,
      parse: parseDuration,
      check: (value) => (value < 1 ? 'a duration of at least 1 second' : undefined),
    },
    options,
  );

export const sizeKey = <const O extends KeyOptions<number> = {}>(example: string, options: O = {} as O) =>
  spec<number, O>(
    {
      expected: `a size: bytes, or a number with unit k, m or g (e.g. ${example})`,
      example,
      parse: parseSize,
      check: (value) => (value < 1024 ? 'a size of at least 1k' : undefined),
    },
    options,
  );

export const enumKey = <V extends string, const O extends KeyOptions<V> = {}>(values: readonly V[], options: O = {} as O) =>
  spec<V, O>(
    {
      expected: `one of ${values.join(', ')}`,
      example: values[0] ?? '',
      parse: (text) => values.find((value) => value === text.trim().toLowerCase()),
      choices: values,
    },
    options,
  );

/** `[workload] workload_name`: one of the names the registered engines answer to (handed in, see validate.ts). */
export const workloadNameKey = (names: readonly WorkloadName[]) =>
  spec<WorkloadName, { mandatory: true; hint: string }>(
    {
      expected: names.length === 0 ? 'the workload_name of an engine, but this snaplog has no engine registered' : `one of ${names.join(', ')}`,
      example: names[0] ?? 'mariadb',
      parse: (text) => names.find((name) => name === text.trim().toLowerCase()),
      choices: names,
    },
    { mandatory: true, hint: "set it in [workload] (Azure's workload.conf or snaplog.conf) to the database this VM runs" },
  );
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'zstd'];

/** Azure Backup refuses a timeout below this; snaplog accepts it with a warning. */
export const AZURE_MIN_TIMEOUT_SECONDS = 60;

export const SCHEMA = {
  workload: {
    /** The names accepted are the registered engines' (EngineConfigTable): validate.ts replaces this placeholder. */
    workload_name: workloadNameKey([]),
    command_path: pathKey('/usr/bin'),
    linux_user: wordKey('root', 'a user name', { default: 'root' }),
    credString: stringKey(),
    ipc_folder: pathKey('/var/lib/snaplog/ipc', { default: '/var/lib/snaplog/ipc' }),
    timeout: intKey({ min: 1, max: 1800 }, 'whole seconds', '90', {
      default: 90,
      hint: 'the freeze is released after this many seconds; Azure Backup allows 60 to 1800',
    }),
    configuration_path: pathKey('/etc/oratab'),
    instance: wordKey('IRIS', 'an instance name'),
  },
  archive: {
    path: pathKey('/mnt/nfs/snaplog', {
      hint: 'the archive is usually an NFS mount, e.g. /mnt/nfs/snaplog (or set url = https://ACCOUNT.blob.core.windows.net/CONTAINER for Azure Blob)',
    }),
    url: spec<string, {}>(
      {
        expected:
          'an Azure Blob container URL without a query, https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX] (the SAS token goes in sas_token_file)',
        example: 'https://myaccount.blob.core.windows.net/snaplog',
        parse: (text) => (/^https?:\/\/[^\s?#]+\/[^\s?#]+$/.test(text.trim()) ? text.trim().replace(/\/+$/, '') : undefined),
        hint: 'a SAS token is a credential: put it in a 0600 file named by [archive] sas_token_file, never in the config',
      },
      {},
    ),
    connection_string_file: pathKey('/etc/snaplog/blob.connection'),
    sas_token_file: pathKey('/etc/snaplog/blob.sas'),
    compression: enumKey(COMPRESSIONS, { default: 'none' }),
    system_id: spec<string, {}>(
      {
        expected: "a name of letters, digits, '.', '_' and '-' that does not start with '.' (e.g. db01)",
        example: 'db01',
        parse: (text) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(text.trim()) ? text.trim() : undefined),
      },
      {},
    ),
  },
  ship: {
    max_log_age: durationKey('5m'),
    tail: boolKey({ default: false }),
    rescan_interval: durationKey('10s', { default: 10 }),
    concurrency: intKey({ min: 1, max: 16 }, 'a whole number', '2', { default: 2 }),
    retry_max_delay: durationKey('60s', { default: 60 }),
  },
  events: {
    max_bytes: sizeKey('10m', { default: 10 * 1024 * 1024 }),
  },
  metrics: {
    listen: spec<string, {}>(
      {
        expected: 'a loopback address and port, e.g. 127.0.0.1:9464 (metrics carry no secrets, but stay off the network unless a proxy guards them)',
        example: '127.0.0.1:9464',
        parse: (text) =>
          /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5}$/.test(text.trim()) && Number(text.trim().split(':').pop()) <= 65535 ? text.trim() : undefined,
      },
      {},
    ),
  },
} as const;

export type Schema = typeof SCHEMA;
export type SectionName = keyof Schema;
export type SectionSpec = Readonly<Record<string, KeySpec>>;

/** Keys and sections of Azure's workload.conf that snaplog knows but does not use: warned about as such, not as typos. */
export const AZURE_UNUSED_KEYS: Readonly<Record<string, readonly string[]>> = {
  workload: ['command', 'role', 'enforceSlaveOnly', 'dbnames', 'customScriptEnabled'],
};
export const AZURE_UNUSED_SECTIONS: readonly string[] = ['logbackup'];

/** Keys that suggest someone wrote a password into the config file itself. */
export const PASSWORD_LIKE_KEYS: readonly string[] = ['password', 'passwd', 'pass', 'pwd'];

/** The value type of a section after defaults are applied. */
export type Resolved<S> = {
  -readonly [K in keyof S]: S[K] extends KeySpec<infer T, infer P> ? (P extends true ? T : T | undefined) : never;
};
