/** A snapshot as recorded by freeze: where in the log stream the frozen disk stands. */
export type SnapshotStatus = 'freezing' | 'frozen' | 'thawed' | 'timed-out' | 'failed';

export interface LogPosition {
  file: string;
  position: number;
  /** MariaDB gtid_binlog_pos / MySQL Executed_Gtid_Set / Oracle SCN / IRIS journal offset. */
  gtid?: string;
}

export interface SnapshotRecord {
  formatVersion: 1;
  id: string;
  systemId: string;
  engine: string;
  time: string;
  status: SnapshotStatus;
  position?: LogPosition;
  frozenAt?: string;
  thawedAt?: string;
  frozenMs?: number;
  product?: string;
  host: string;
  serverVersion?: string;
  /** MySQL-family servers: 'mysql' or 'mariadb', the dialect a restore of this snapshot speaks (with serverVersion). */
  serverFlavor?: string;
  method?: string;
  error?: string;
  details?: Record<string, unknown>;
}

export function parseSnapshotRecord(text: string, file: string): SnapshotRecord {
  const value = JSON.parse(text) as Partial<SnapshotRecord>;
  if (value.formatVersion !== 1 || typeof value.id !== 'string' || typeof value.time !== 'string') {
    throw new Error(`${file}: not a snaplog snapshot record (formatVersion 1 with id and time)`);
  }
  return value as SnapshotRecord;
}
