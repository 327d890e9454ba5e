import type { Connection } from 'mysql2/promise';
import { SnaplogError } from '../../errors.js';
import type { FreezeMethod } from '../../config/index.js';
import type { Quiesced } from '../types.js';
import { globalVariable, queryRows } from './connection.js';
import { removeSnapshotMarker, writeSnapshotMarker } from './snapshot-marker.js';

export interface ServerFlavour {
  mariadb: boolean;
  major: number;
  minor: number;
  version: string;
}

/** Pure: "10.11.19-MariaDB-0+deb12u1" → MariaDB 10.11; "8.0.36" → MySQL 8.0. */
export function parseServerVersion(version: string): ServerFlavour {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return { mariadb: /mariadb/i.test(version), major: Number(match?.[1] ?? 0), minor: Number(match?.[2] ?? 0), version };
}

/** Pure: MariaDB ≥ 10.4 has BACKUP STAGE; MySQL and older MariaDB use FLUSH TABLES WITH READ LOCK. */
export function chooseFreezeMethod(flavour: ServerFlavour, configured: FreezeMethod): 'backup-stage' | 'ftwrl' {
  const backupStageAvailable = flavour.mariadb && (flavour.major > 10 || (flavour.major === 10 && flavour.minor >= 4));
  if (configured === 'backup-stage' && !backupStageAvailable) {
    throw new SnaplogError(`freeze_method = backup-stage needs MariaDB 10.4 or later; this server is ${flavour.version}`, {
      exitCode: 2,
      hint: 'set [mysql] freeze_method = ftwrl (or auto)',
    });
  }
  if (configured === 'ftwrl') return 'ftwrl';
  return backupStageAvailable ? 'backup-stage' : 'ftwrl';
}

/** MySQL ≥ 8.2 renamed SHOW MASTER STATUS (8.4 removed it). */
function binlogStatusStatement(flavour: ServerFlavour): string {
  if (!flavour.mariadb && (flavour.major > 8 || (flavour.major === 8 && flavour.minor >= 2))) return 'SHOW BINARY LOG STATUS';
  return 'SHOW MASTER STATUS';
}

const BACKUP_STAGES = ['START', 'FLUSH', 'BLOCK_DDL', 'BLOCK_COMMIT'] as const;

/**
 * Takes the lock on this session and reads the exact binlog position while it is held. The lock belongs
 * to the connection: if the process holding it dies, the server releases it. No global state is set.
 * With `markSnapshot` (a server on this machine) the position is also left in the data directory
 * (snaplog-snapshot.json) until the release, so a disk copied meanwhile says which snapshot it is.
 */
export async function quiesceMysql(connection: Connection, configured: FreezeMethod, markSnapshot?: string): Promise<Quiesced> {
  const version = (await globalVariable(connection, 'version')) ?? 'unknown';
  const flavour = parseServerVersion(version);
  const method = chooseFreezeMethod(flavour, configured);
  if (method === 'backup-stage') {
    for (const stage of BACKUP_STAGES) await connection.query(`BACKUP STAGE ${stage}`);
  } else {
    await connection.query('FLUSH TABLES WITH READ LOCK');
  }
  const [status] = await queryRows(connection, binlogStatusStatement(flavour));
  if (!status) throw new SnaplogError('the server reports no binlog position (is binary logging on?)', { hint: 'enable log_bin on the server' });
  const gtid = flavour.mariadb ? await globalVariable(connection, 'gtid_binlog_pos') : String(status['Executed_Gtid_Set'] ?? '');
  const position = { file: String(status['File']), position: Number(status['Position']), gtid: gtid || undefined };
  const datadir = markSnapshot ? await globalVariable(connection, 'datadir') : undefined;
  // Best effort: the marker is one of several clues to a copy's identity (restore also reads the binlogs).
  const marked = datadir ? await writeSnapshotMarker(datadir, markSnapshot!, position).then(() => true, () => false) : false;
  return {
    position,
    serverVersion: version,
    method,
    release: async () => {
      if (marked) await removeSnapshotMarker(datadir!).catch(() => undefined);
      await connection.query(method === 'backup-stage' ? 'BACKUP STAGE END' : 'UNLOCK TABLES');
    },
  };
}
