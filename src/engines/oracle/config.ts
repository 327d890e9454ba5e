/**
 * The Oracle part of the config. `[workload]` configuration_path (oratab), command_path, linux_user, and:
 *
 * [oracle]
 * sid = ORCL                      ; the instance (else the only database in oratab)
 * dest_id = 1                     ; the local archive destination whose logs are shipped
 * password_file = /etc/snaplog/oracle.pw   ; 0600: connect with node-oracledb Thin as user/privilege
 * connect_string = localhost:1521/ORCL     ;   (with password_file)
 * user = sys                      ;   (with password_file)
 * privilege = sysdba              ; sysdba | sysbackup (with password_file)
 * call_timeout = 120              ; seconds one sqlplus / rman call may take
 * backup_guard = scheduler        ; scheduler: a DBMS_SCHEDULER job ends backup mode after timeout + 60 s
 *                                 ;   even if every snaplog process was killed; none: no such job
 *
 * Without password_file, sqlplus and rman run as linux_user with OS authentication (`/ as sysdba`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { rawSection, type SnaplogConfig } from '../../config/index.js';
import { parseOratab } from './oratab.js';

export type OracleAuth = { kind: 'os' } | { kind: 'password'; user: string; privilege: 'sysdba' | 'sysbackup'; passwordFile: string; connectString: string };

export interface OracleConfig {
  sid: string;
  oracleHome: string;
  /** Folder of sqlplus and rman. */
  binDir: string;
  linuxUser: string;
  auth: OracleAuth;
  destId: number;
  callTimeoutSeconds: number;
  /** A database-side job that ends backup mode if the freeze holder and its watchdog both die. */
  backupGuard: boolean;
  /** [workload] timeout: how long a freeze may hold backup mode. */
  freezeTimeoutSeconds: number;
  systemId?: string;
}

declare module '../../config/types.js' {
  interface EngineSectionValues {
    /** Raw `[oracle]` keys (as written) → values; checked by oracleConfig when the engine starts. */
    oracle: Record<string, string>;
  }
}

export const ORACLE_SECTION = rawSection('oracle');

export const ORACLE_KEYS = ['sid', 'dest_id', 'password_file', 'connect_string', 'user', 'privilege', 'call_timeout', 'backup_guard'] as const;
export const DEFAULT_ORATAB = '/etc/oratab';

export async function oracleConfig(config: SnaplogConfig): Promise<OracleConfig> {
  const raw = new Map(Object.entries(config.oracle ?? {}).map(([key, value]) => [key.toLowerCase(), value.trim()]));
  for (const key of raw.keys()) {
    if (!(ORACLE_KEYS as readonly string[]).includes(key))
      throw new ConfigError(config.locate('oracle', key), 'unknown key in [oracle]', `known keys: ${ORACLE_KEYS.join(', ')}`);
  }
  const oratabPath = config.workload.configurationPath ?? DEFAULT_ORATAB;
  let oratabText: string;
  try {
    oratabText = await readFile(oratabPath, 'utf8');
  } catch (error) {
    throw new ConfigError(
      config.locate('workload', 'configuration_path'),
      `cannot read the oratab ${oratabPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'set [workload] configuration_path to the oratab that lists this database',
    );
  }
  const entries = parseOratab(oratabText);
  const wanted = raw.get('sid');
  const entry = wanted ? entries.find((candidate) => candidate.sid === wanted) : entries.length === 1 ? entries[0] : undefined;
  if (!entry) {
    const listed = entries.map((candidate) => candidate.sid).join(', ') || 'no database';
    throw new ConfigError(
      wanted ? config.locate('oracle', 'sid') : config.locate('workload', 'configuration_path'),
      wanted ? `instance ${wanted} is not in ${oratabPath} (it lists ${listed})` : `${oratabPath} lists ${listed}: say which with [oracle] sid`,
      'the SID as in oratab (SID:ORACLE_HOME:Y)',
    );
  }
  const number = (key: 'dest_id' | 'call_timeout', fallback: number, min: number, max: number): number => {
    const value = raw.get(key);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new ConfigError(config.locate('oracle', key), `expected a whole number from ${min} to ${max}, found ${JSON.stringify(value)}`);
    return Number(value);
  };
  const passwordFile = raw.get('password_file');
  let auth: OracleAuth = { kind: 'os' };
  if (passwordFile) {
    const connectString = raw.get('connect_string');
    if (!connectString)
      throw new ConfigError(
        config.locate('oracle', 'password_file'),
        'password_file needs connect_string (host:port/service) in [oracle]',
        'e.g. connect_string = localhost:1521/ORCL',
      );
    const privilege = (raw.get('privilege') ?? 'sysdba').toLowerCase();
    if (privilege !== 'sysdba' && privilege !== 'sysbackup')
      throw new ConfigError(config.locate('oracle', 'privilege'), `expected sysdba or sysbackup, found ${JSON.stringify(privilege)}`);
    auth = { kind: 'password', user: raw.get('user') ?? 'sys', privilege, passwordFile, connectString };
  }
  if (auth.kind === 'os' && config.workload.linuxUser === 'root' && config.locate('workload', 'linux_user').line === undefined) {
    throw new ConfigError(
      config.locate('workload', 'linux_user'),
      'linux_user is not set (default root), but sqlplus and rman connect with OS authentication (/ as sysdba), which needs the Oracle software owner',
      'set [workload] linux_user = oracle (the owner of ORACLE_HOME); write linux_user = root only if root is in the dba group; or connect with [oracle] password_file',
    );
  }
  const guard = (raw.get('backup_guard') ?? 'scheduler').toLowerCase();
  if (guard !== 'scheduler' && guard !== 'none')
    throw new ConfigError(config.locate('oracle', 'backup_guard'), `expected scheduler or none, found ${JSON.stringify(guard)}`);
  return {
    sid: entry.sid,
    oracleHome: entry.oracleHome,
    binDir: config.workload.commandPath ?? join(entry.oracleHome, 'bin'),
    linuxUser: config.workload.linuxUser,
    auth,
    destId: number('dest_id', 1, 1, 31),
    callTimeoutSeconds: number('call_timeout', 120, 5, 3600),
    backupGuard: guard === 'scheduler',
    freezeTimeoutSeconds: config.workload.timeoutSeconds,
    systemId: config.archive.systemId,
  };
}
