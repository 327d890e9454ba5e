import { SnaplogError } from '../../errors.js';

/**
 * MariaDB 12.3+ can keep the binlog inside InnoDB (`binlog_storage_engine = innodb`): `.ibb` files of
 * InnoDB pages, positions by GTID only. They are not event files: a file copy cannot be indexed, cut at a
 * transaction or replayed as relay logs. snaplog refuses them loudly instead of shipping a silent gap.
 */

/** True when the server (variable binlog_storage_engine) or its binlog names (`*.ibb`) say the binlog lives in InnoDB. */
export function binlogInInnodb(storageEngine: string | undefined, names: readonly string[]): boolean {
  return (storageEngine !== undefined && storageEngine.trim().toLowerCase() === 'innodb') || names.some((name) => name.toLowerCase().endsWith('.ibb'));
}

export function innodbBinlogError(where: string): SnaplogError {
  return new SnaplogError(
    `${where}: the server keeps its binlog inside InnoDB (binlog_storage_engine = innodb, .ibb files, MariaDB 12.3+), ` +
      'which snaplog cannot ship or replay: those files are InnoDB pages, not binlog events, so no point-in-time restore could use them',
    {
      hint:
        'switch the server back to file binlogs (remove binlog_storage_engine = innodb from its config and restart it; log_bin stays on), ' +
        'then run snaplog config check --database again; until then only the snapshots themselves can be restored',
    },
  );
}
