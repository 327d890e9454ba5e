/**
 * The IRIS/Caché part of the config: `[workload]` instance, command_path, linux_user and the `[iris]`
 * keys below. Pure: validation only, no file is read here (see credentials.ts).
 *
 * [iris]
 * instance = IRIS                      ; overrides [workload] instance
 * install_dir = /usr/irissys           ; <install_dir>/bin holds iris/csession when command_path is unset
 * journal_dir = /iris/journal          ; else asked from the instance, else <install_dir>/mgr/journal
 * credentials_file = /etc/snaplog/iris.cred   ; 0600, "username = …" and "password = …" lines
 * call_timeout = 120                   ; seconds one iris terminal call may take
 */
import { isAbsolute, join } from 'node:path';
import { ConfigError, UsageError } from '../../errors.js';
import { rawSection, type SnaplogConfig } from '../../config/index.js';

export type IrisFlavour = 'iris' | 'cache';

export interface IrisConfig {
  flavour: IrisFlavour;
  instance: string;
  /** The client binary: `<command_path>/iris` (Caché: `csession`), or the bare name looked up on PATH. */
  clientPath: string;
  /** Run the client as this user (via runuser) when snaplog runs as someone else. */
  linuxUser: string;
  installDir?: string;
  journalDir?: string;
  credentialsFile?: string;
  callTimeoutSeconds: number;
  /** [workload] timeout: ExternalFreeze must have answered by then, or it is undone. */
  freezeTimeoutSeconds: number;
  systemId?: string;
}

declare module '../../config/types.js' {
  interface EngineSectionValues {
    /** Raw `[iris]` keys (as written) → values; checked by irisConfig when the engine starts. */
    iris: Record<string, string>;
  }
}

export const IRIS_SECTION = rawSection('iris');

export const IRIS_KEYS = ['instance', 'install_dir', 'journal_dir', 'credentials_file', 'call_timeout'] as const;

const INSTANCE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `[iris]` keys are kept raw by the config loader; look them up case-insensitively. */
function rawKeys(section: Record<string, string> | undefined): Map<string, string> {
  return new Map(Object.entries(section ?? {}).map(([key, value]) => [key.toLowerCase(), value.trim()]));
}

/** An instance name given on the command line; refused unless it looks like one. */
export function checkedInstanceName(name: string): string {
  if (!INSTANCE.test(name))
    throw new UsageError(`${JSON.stringify(name)} is not an instance name (letters, digits, '_' and '-')`, 'copy the name from iris list / ccontrol list');
  return name;
}

export function irisConfig(config: SnaplogConfig): IrisConfig {
  const flavour: IrisFlavour = config.workload.name === 'cache' ? 'cache' : 'iris';
  const raw = rawKeys(config.iris);
  for (const key of raw.keys()) {
    if (!(IRIS_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(config.locate('iris', key), `unknown key in [iris]`, `known keys: ${IRIS_KEYS.join(', ')}`);
    }
  }
  const path = (key: (typeof IRIS_KEYS)[number]): string | undefined => {
    const value = raw.get(key);
    if (value === undefined) return undefined;
    if (value === '' || !isAbsolute(value))
      throw new ConfigError(config.locate('iris', key), `expected an absolute path, found ${JSON.stringify(value)}`, `e.g. ${key} = /usr/irissys`);
    return value;
  };

  const fromIris = raw.get('instance');
  const instance = fromIris ?? config.workload.instance;
  const instanceLocation = fromIris !== undefined ? config.locate('iris', 'instance') : config.locate('workload', 'instance');
  if (instance === undefined || instance === '') {
    throw new ConfigError(
      instanceLocation,
      `no ${flavour === 'cache' ? 'Caché' : 'IRIS'} instance name`,
      `set [workload] instance = <name> (see: ${flavour === 'cache' ? 'ccontrol list' : 'iris list'})`,
    );
  }
  if (!INSTANCE.test(instance))
    throw new ConfigError(
      instanceLocation,
      `${JSON.stringify(instance)} is not an instance name (letters, digits, '_' and '-')`,
      'copy the name from iris list / ccontrol list',
    );

  let callTimeoutSeconds = 120;
  const timeout = raw.get('call_timeout');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout) || Number(timeout) < 5 || Number(timeout) > 3600) {
      throw new ConfigError(
        config.locate('iris', 'call_timeout'),
        `expected whole seconds between 5 and 3600, found ${JSON.stringify(timeout)}`,
        'e.g. call_timeout = 120',
      );
    }
    callTimeoutSeconds = Number(timeout);
  }

  const installDir = path('install_dir');
  const binary = flavour === 'cache' ? 'csession' : 'iris';
  const folder = config.workload.commandPath ?? (installDir ? join(installDir, 'bin') : undefined);
  return {
    flavour,
    instance,
    clientPath: folder ? join(folder, binary) : binary,
    linuxUser: config.workload.linuxUser,
    installDir,
    journalDir: path('journal_dir'),
    credentialsFile: path('credentials_file'),
    callTimeoutSeconds,
    freezeTimeoutSeconds: config.workload.timeoutSeconds,
    systemId: config.archive.systemId,
  };
}
