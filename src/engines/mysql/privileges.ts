import type { Connection } from 'mysql2/promise';
import type { PrivilegeCheck, PrivilegeReport } from '../types.js';
import { isPrivilegeDenied, queryRows } from './connection.js';
import { chooseFreezeMethod } from './dialect.js';
import type { FreezeMethodName, ServerDialect } from './dialect.js';
import { serverDialect } from './quiesce.js';

/** A privilege snaplog needs, the commands that need it, and a statement that tries it without changing anything. */
export interface PrivilegeNeed {
  grant: string;
  neededBy: string[];
  /** Runs only a privilege check: FLUSH of a table in a database that does not exist, a SHOW. */
  probe: string;
}

/** Reserved for this probe: a database of this name never exists, so the FLUSH finds nothing to close. */
const ABSENT_TABLE = '`snaplog_privilege_probe`.`snaplog_privilege_probe`';

/**
 * Pure: what the configured commands need on this server (checked on MariaDB 10.11: FLUSH BINARY LOGS,
 * BACKUP STAGE and FLUSH TABLES WITH READ LOCK each need RELOAD and nothing more; SHOW MASTER STATUS needs
 * BINLOG MONITOR, which REPLICATION CLIENT is an alias of since 10.5.2, or SUPER). MySQL (reference manual):
 * FLUSH BINARY LOGS and FLUSH TABLES WITH READ LOCK need RELOAD; SHOW MASTER STATUS / SHOW BINARY LOG STATUS
 * (8.2+, the only one on 8.4) needs REPLICATION CLIENT. Reading variables, @@gtid_binlog_pos, @@gtid_executed
 * and the binlog files (as root, from disk) needs no grant.
 */
export function privilegeNeeds(dialect: ServerDialect, options: { shipSwitchesLogs: boolean; freezeMethod: FreezeMethodName }): PrivilegeNeed[] {
  const reloadUsers = [
    ...(options.shipSwitchesLogs ? ['ship (FLUSH BINARY LOGS when the open binlog is older than [ship] max_log_age)'] : []),
    'freeze (FLUSH BINARY LOGS: close the open binlog)',
    options.freezeMethod === 'backup-stage' ? 'freeze (BACKUP STAGE START … BLOCK_COMMIT: the lock)' : 'freeze (FLUSH TABLES WITH READ LOCK: the lock)',
  ];
  const statusStatement = dialect.binlogStatus.statement;
  return [
    { grant: 'RELOAD', neededBy: reloadUsers, probe: `FLUSH LOCAL TABLES ${ABSENT_TABLE}` },
    { grant: dialect.binlogMonitorGrant, neededBy: [`freeze (${statusStatement}: the snapshot's binlog position)`], probe: statusStatement },
  ];
}

/** Pure: the GRANT an administrator runs for what is missing. */
export function grantStatement(missing: string[], account: string): string {
  return `GRANT ${missing.join(', ')} ON *.* TO ${account};`;
}

/** Pure: CURRENT_USER() "snaplog@localhost" → 'snaplog'@'localhost'. */
export function quoteAccount(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  const user = at < 0 ? currentUser : currentUser.slice(0, at);
  const host = at < 0 ? '%' : currentUser.slice(at + 1);
  const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  return `${quote(user)}@${quote(host)}`;
}

/** Tries every probe on one connection and reports each grant, so that every missing one is named at once. */
export async function checkMysqlPrivileges(
  connection: Connection,
  options: { shipSwitchesLogs: boolean; freezeMethod: 'auto' | 'backup-stage' | 'ftwrl' },
): Promise<PrivilegeReport> {
  const dialect = await serverDialect(connection);
  // A configured method the server lacks (backup-stage on MySQL) is the freeze's own error; its grants are those of FTWRL.
  const freezeMethod = options.freezeMethod === 'backup-stage' && !dialect.backupStageAvailable ? 'ftwrl' : chooseFreezeMethod(dialect, options.freezeMethod);
  const [row] = await queryRows(connection, 'SELECT CURRENT_USER() AS account');
  const account = quoteAccount(String(row?.['account'] ?? 'unknown'));
  const checks: PrivilegeCheck[] = [];
  for (const need of privilegeNeeds(dialect, { shipSwitchesLogs: options.shipSwitchesLogs, freezeMethod })) {
    try {
      await connection.query(need.probe);
      checks.push({ grant: need.grant, neededBy: need.neededBy, ok: true });
    } catch (error) {
      checks.push({ grant: need.grant, neededBy: need.neededBy, ok: false, detail: isPrivilegeDenied(error) ? 'missing' : (error as Error).message });
    }
  }
  const missing = checks.filter((check) => !check.ok && check.detail === 'missing').map((check) => check.grant);
  return { account, server: dialect.versionString, checks, ...(missing.length ? { fix: grantStatement(missing, account) } : {}) };
}
