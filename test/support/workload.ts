import type { MariadbServer } from './mariadb.js';

/** A small write workload: a table, inserts in separate transactions, rotations in between. */
export async function runWorkload(server: MariadbServer, options: { transactions?: number; rotations?: number; database?: string } = {}): Promise<void> {
  const database = options.database ?? 'shop';
  const transactions = options.transactions ?? 30;
  const rotations = options.rotations ?? 3;
  const connection = await server.connect();
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await connection.query(
      `CREATE TABLE IF NOT EXISTS ${database}.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40), amount DECIMAL(10,2), note TEXT) ENGINE=InnoDB`,
    );
    for (let round = 0; round <= rotations; round++) {
      for (let i = 0; i < transactions; i++) {
        await connection.query('BEGIN');
        await connection.query(`INSERT INTO ${database}.orders (customer, amount, note) VALUES (?, ?, ?)`, [
          `c${round}-${i}`,
          (i * 3.7).toFixed(2),
          'x'.repeat(i * 10),
        ]);
        if (i % 5 === 0) await connection.query(`UPDATE ${database}.orders SET amount = amount + 1 WHERE id % 7 = ?`, [i % 7]);
        await connection.query('COMMIT');
      }
      if (round < rotations) await connection.query('FLUSH BINARY LOGS');
    }
  } finally {
    await connection.end();
  }
}

/** CHECKSUM TABLE of every table in the given databases, keyed "db.table". */
export async function tableChecksums(server: Pick<MariadbServer, 'query'>, databases: string[]): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const database of databases) {
    const tables = await server.query<{ TABLE_NAME: string }>('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [
      database,
    ]);
    for (const { TABLE_NAME } of tables) {
      const [row] = await server.query<{ Checksum: string | null }>(`CHECKSUM TABLE \`${database}\`.\`${TABLE_NAME}\``);
      sums[`${database}.${TABLE_NAME}`] = String(row?.Checksum);
    }
  }
  return sums;
}

/**
 * The tables' checksums and @@gtid_slave_pos of a restored data directory, read through a private server
 * started on it (no binlog, no replication start) and stopped again.
 */
export async function datadirState(datadir: string, runDir: string, databases: string[]): Promise<{ sums: Record<string, string>; gtid: string }> {
  const { startPrivateServer } = await import('../../src/engines/mysql/private-server.js');
  const mysql = (await import('mysql2/promise')).default;
  const server = await startPrivateServer({ runDir, datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=99'] });
  try {
    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root', supportBigNumbers: true, bigNumberStrings: true });
    try {
      const query = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => (await connection.query(sql, values))[0] as T[];
      const sums = await tableChecksums({ query: query as MariadbServer['query'] }, databases);
      const [{ pos }] = await query<{ pos: string }>('SELECT @@gtid_slave_pos AS pos');
      return { sums, gtid: pos ?? '' };
    } finally {
      await connection.end();
    }
  } finally {
    await server.stop();
  }
}
