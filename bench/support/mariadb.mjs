// Throwaway mariadbd servers for the benchmarks, started with snaplog's own private-server module (dist/).
// The server is registered for cleanup: a clean stop in the normal path, SIGKILL on errors and at exit.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import mysql from 'mysql2/promise';
import { forgetPid, importDist, onCleanup, registerPid } from './common.mjs';

/**
 * Starts mariadbd on `datadir` (initialised first when `initialise`), socket/pid/error log in `runDir`.
 * Returns { socket, connect(), query(), stop(), kill(), errorLog, datadir, pid }.
 */
export async function startServer({ datadir, runDir, args = [], initialise = false }) {
  const { initialiseDatadir, startPrivateServer } = await importDist('engines/mysql/private-server.js');
  mkdirSync(runDir, { recursive: true });
  if (initialise) await initialiseDatadir(datadir);
  const server = await startPrivateServer({ runDir, datadir, args });
  const pid = server.process.pid;
  registerPid(pid, 'mariadbd');
  let stopped = false;
  const handle = {
    socket: server.socket,
    datadir,
    errorLog: server.errorLog,
    pid,
    connect: (options = {}) => mysql.createConnection({ socketPath: server.socket, user: 'root', multipleStatements: true, ...options }),
    async query(sql, values = []) {
      const connection = await handle.connect();
      try {
        const [rows] = await connection.query(sql, values);
        return rows;
      } finally {
        await connection.end();
      }
    },
    /** Clean shutdown (InnoDB flushes its buffer pool: part of a durable restore). */
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop(120_000);
      forgetPid(pid);
    },
    async kill() {
      if (stopped) return;
      stopped = true;
      await server.kill();
      forgetPid(pid);
    },
  };
  onCleanup(() => handle.kill());
  return handle;
}

/** A fresh server with binary logging on (ROW, CRC32), datadir under `base`, binlogs at `binlogBasename`. */
export async function startBenchServer({ base, binlogBasename, args = [] }) {
  mkdirSync(dirname(binlogBasename), { recursive: true });
  const server = await startServer({
    datadir: join(base, 'data'),
    runDir: join(base, 'run'),
    initialise: true,
    args: [`--log-bin=${binlogBasename}`, '--server-id=1', '--binlog-format=ROW', '--binlog-checksum=CRC32', `--secure-file-priv=${base}`, ...args],
  });
  return Object.assign(server, { binlogBasename });
}

/** CHECKSUM TABLE of every listed table: { 'db.table': checksum }. */
export async function checksums(server, tables) {
  const rows = await server.query(`CHECKSUM TABLE ${tables.join(', ')}`);
  return Object.fromEntries(rows.map((row) => [row.Table, row.Checksum === null ? null : String(row.Checksum)]));
}

/** Row counts, for the report (and a quick sanity check). */
export async function rowCounts(server, tables) {
  const parts = tables.map((table) => `SELECT '${table}' AS t, COUNT(*) AS n FROM ${table}`);
  const rows = await server.query(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((row) => [row.t, Number(row.n)]));
}

/** The binlog files (name, size) of a running server. */
export async function binaryLogs(server) {
  const rows = await server.query('SHOW BINARY LOGS');
  return rows.map((row) => ({ name: row.Log_name, size: Number(row.File_size) }));
}

export async function masterStatus(server) {
  const [row] = await server.query('SHOW MASTER STATUS');
  return { file: row.File, position: Number(row.Position) };
}
