// Generates ~SNAPLOG_BENCH_GIB GiB of real MariaDB binlogs (ROW format, CRC32) once, and caches them in
// SNAPLOG_BENCH_BINLOG_DIR (default /tmp/snaplog-bench-binlogs) with a marker, so that the ship and scan
// benchmarks read the same files. bench/run.mjs deletes the cache at the end.
//
// Two shapes, in files of their own (marked `shape` in the marker):
//   rows  bulk INSERT … SELECT of wide rows (~1 KiB: random bytes, text, hashes) in transactions of
//         ~SNAPLOG_BENCH_TX_MIB MiB, UPDATEs and DELETEs of whole batches (before/after images);
//   oltp  the last ~SNAPLOG_BENCH_OLTP_SCAN_MIB (128) MiB: small autocommit INSERT/UPDATEs and
//         2-statement transactions (a few hundred bytes each), from a stored procedure.
// FLUSH BINARY LOGS between and at the end, then a clean shutdown.
//
// Standalone: `node bench/support/generate-binlogs.mjs` (prints the marker as JSON; keeps the cache).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, installProcessHandlers, forgetTempDir, GiB, log, MiB, now, registerTempDir, round, envScaled } from './common.mjs';
import { startBenchServer } from './mariadb.mjs';

export const BINLOG_CACHE_DIR = process.env.SNAPLOG_BENCH_BINLOG_DIR || '/tmp/snaplog-bench-binlogs';
const MARKER = '.snaplog-bench-ready.json';
const NAME = 'generate';

export function targetBytes() {
  return Math.round(Math.max(1 / 64, envScaled('SNAPLOG_BENCH_GIB', 1)) * GiB);
}

/** Reads the cache marker and checks every file is still there with its size; undefined when not usable. */
function readCache(dir, wantBytes) {
  const markerPath = join(dir, MARKER);
  if (!existsSync(markerPath)) return undefined;
  try {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8'));
    if (marker.targetBytes !== wantBytes || !marker.files.every((file) => file.shape)) return undefined;
    for (const file of marker.files) {
      if (statSync(join(dir, file.name)).size !== file.size) return undefined;
    }
    return { ...marker, dir, files: marker.files.map((file) => ({ ...file, path: join(dir, file.name) })) };
  } catch {
    return undefined;
  }
}

/**
 * The benchmark binlogs: from the cache, or generated now. A benchmark run alone deletes the binlogs it
 * generated when it ends, unless SNAPLOG_BENCH_KEEP_BINLOGS=1 (or `keep`); under bench/run.mjs
 * (SNAPLOG_BENCH_SHARED_BINLOGS=1) the runner deletes them after the last benchmark. A cache found ready
 * is left as it was.
 */
export async function ensureBinlogs({ keep = false } = {}) {
  const want = targetBytes();
  const cached = readCache(BINLOG_CACHE_DIR, want);
  if (cached) {
    log(NAME, `reusing ${cached.files.length} binlogs, ${round(cached.totalBytes / MiB, 1)} MiB, in ${BINLOG_CACHE_DIR}`);
    return { ...cached, reused: true };
  }
  const kept = keep || process.env.SNAPLOG_BENCH_KEEP_BINLOGS === '1' || process.env.SNAPLOG_BENCH_SHARED_BINLOGS === '1';
  if (!kept) registerTempDir(BINLOG_CACHE_DIR);
  return { ...(await generate(want)), reused: false };
}

const BULK_SQL = `INSERT INTO bench.wide (batch, k, payload, body, digest, amount, created)
  SELECT ?, seq, RANDOM_BYTES(160),
         CONCAT_WS(' ', 'order', seq, 'of batch', ?, 'customer', MD5(seq * ?), REPEAT(SUBSTRING('lorem ipsum dolor sit amet consectetur adipiscing elit ', 1 + seq % 20), 8)),
         SHA2(CONCAT(seq, '/', ?), 256), seq * 1000 + ?, NOW(6)
  FROM bench.seq_1_to_`;

/** Statements per CALL of the OLTP procedure. */
const OLTP_CALL = 20_000;
const OLTP_PROCEDURE = `CREATE PROCEDURE bench.oltp(IN n INT, IN seed INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE a INT;
  WHILE i < n DO
    SET a = 1 + (seed + i) % 997;
    IF i % 3 = 0 THEN
      INSERT INTO bench.small (account, balance, note) VALUES (a, ((seed + i) % 10000) / 100, CONCAT('deposit ', seed + i));
    ELSEIF i % 3 = 1 THEN
      UPDATE bench.small SET balance = balance + 1.25, note = CONCAT('update ', seed + i) WHERE account = a ORDER BY id DESC LIMIT 1;
    ELSE
      START TRANSACTION;
      INSERT INTO bench.small (account, balance, note) VALUES (a, 0, CONCAT('transfer ', seed + i));
      UPDATE bench.small SET balance = balance - 1 WHERE account = a ORDER BY id LIMIT 1;
      COMMIT;
    END IF;
    SET i = i + 1;
  END WHILE;
END`;

async function generate(want) {
  const started = now();
  const staging = `${BINLOG_CACHE_DIR}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'binlog'), { recursive: true });
  registerTempDir(staging);
  // Approximate binlog bytes per wide row (row image + event overhead), to size the transactions.
  const rowsPerTx = Math.max(1000, Math.round((envScaled('SNAPLOG_BENCH_TX_MIB', 32) * MiB) / 1000));
  const oltpWant = Math.min(Math.round(want / 2), Math.round(Math.max(2, envScaled('SNAPLOG_BENCH_OLTP_SCAN_MIB', 128)) * MiB));
  log(
    NAME,
    `generating ~${round(want / MiB, 0)} MiB of binlogs (rows-shaped: transactions of ${rowsPerTx} wide rows; then ~${round(oltpWant / MiB, 0)} MiB of small OLTP transactions) in ${staging}`,
  );

  const binlogBasename = join(staging, 'binlog', 'mysql-bin');
  const server = await startBenchServer({
    base: staging,
    binlogBasename,
    args: [
      '--max-binlog-size=256M',
      '--innodb-flush-log-at-trx-commit=0',
      '--sync-binlog=0',
      '--innodb-buffer-pool-size=256M',
      '--innodb-log-file-size=512M',
      '--max-allowed-packet=64M',
    ],
  });
  let totalBytes = 0;
  let batches = 0;
  let smallTx = 0;
  let firstOltpFile;
  try {
    const connection = await server.connect();
    try {
      await connection.query('CREATE DATABASE bench');
      await connection.query(`CREATE TABLE bench.wide (
        id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, batch INT NOT NULL, k INT NOT NULL,
        payload VARBINARY(255), body VARCHAR(1024), digest CHAR(64), amount BIGINT, created DATETIME(6),
        KEY (batch)) ENGINE=InnoDB`);
      await connection.query(`CREATE TABLE bench.small (
        id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, balance DECIMAL(14,2) NOT NULL, note VARCHAR(100),
        updated TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        KEY (account)) ENGINE=InnoDB`);

      const binlogBytes = async () => {
        const [rows] = await connection.query('SHOW BINARY LOGS');
        return rows.reduce((sum, row) => sum + Number(row.File_size), 0);
      };

      // Phase 1, rows-shaped: big row-event transactions until the rows share of the target.
      const rowsWant = want - oltpWant;
      for (;;) {
        batches++;
        await connection.query(`${BULK_SQL}${rowsPerTx}`, [batches, batches, batches, batches, batches]);
        // Every third batch: rewrite part of the previous batch (before+after images) and drop an old one.
        if (batches % 3 === 0) {
          await connection.query('UPDATE bench.wide SET amount = amount + 1, digest = SHA2(CONCAT(digest, id), 256) WHERE batch = ? AND k % 4 = 0', [
            batches - 1,
          ]);
          await connection.query('DELETE FROM bench.wide WHERE batch = ?', [batches - 2]);
        }
        totalBytes = await binlogBytes();
        if (batches % 5 === 0) log(NAME, `${round(totalBytes / MiB, 0)} MiB of binlog after ${batches} batches, ${round((now() - started) / 1000, 1)} s`);
        if (totalBytes >= rowsWant) break;
      }
      await connection.query('FLUSH BINARY LOGS');
      const [[status]] = await connection.query('SHOW MASTER STATUS');
      firstOltpFile = status.File;

      // Phase 2, small-event OLTP: autocommit INSERT/UPDATE and 2-statement transactions, from a stored
      // procedure (one transaction per statement in the binlog, as from many clients, without round trips).
      await connection.query(OLTP_PROCEDURE);
      const oltpStart = await binlogBytes();
      for (let _call = 0; ; _call++) {
        await connection.query('CALL bench.oltp(?, ?)', [OLTP_CALL, smallTx]);
        smallTx += OLTP_CALL;
        totalBytes = await binlogBytes();
        if (totalBytes - oltpStart >= oltpWant) break;
      }
      await connection.query('FLUSH BINARY LOGS');
    } finally {
      await connection.end();
    }
    await server.stop();
  } catch (error) {
    await server.kill();
    throw error;
  }

  // Publish: binlog files (and the index) into the cache folder, then the marker, last.
  rmSync(BINLOG_CACHE_DIR, { recursive: true, force: true });
  mkdirSync(dirname(BINLOG_CACHE_DIR), { recursive: true });
  renameSync(join(staging, 'binlog'), BINLOG_CACHE_DIR);
  rmSync(staging, { recursive: true, force: true });
  forgetTempDir(staging);
  const files = readdirSync(BINLOG_CACHE_DIR)
    .filter((name) => /\.\d{6}$/.test(name))
    .sort()
    .map((name) => ({
      name,
      sequence: Number(name.slice(name.lastIndexOf('.') + 1)),
      size: statSync(join(BINLOG_CACHE_DIR, name)).size,
      shape: name >= firstOltpFile ? 'oltp' : 'rows',
    }));
  const marker = {
    targetBytes: want,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
    files,
    batches,
    smallTransactions: smallTx,
    rowsBytes: files.filter((file) => file.shape === 'rows').reduce((sum, file) => sum + file.size, 0),
    oltpBytes: files.filter((file) => file.shape === 'oltp').reduce((sum, file) => sum + file.size, 0),
    generatedAt: new Date().toISOString(),
    generateSeconds: round((now() - started) / 1000, 1),
  };
  writeFileSync(join(BINLOG_CACHE_DIR, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  log(NAME, `generated ${files.length} binlogs, ${round(marker.totalBytes / MiB, 1)} MiB, in ${marker.generateSeconds} s`);
  return { ...marker, dir: BINLOG_CACHE_DIR, files: files.map((file) => ({ ...file, path: join(BINLOG_CACHE_DIR, file.name) })) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  installProcessHandlers();
  let code = 0;
  try {
    const result = await ensureBinlogs({ keep: true });
    process.stdout.write(
      `${JSON.stringify({ generate: { dir: result.dir, files: result.files.length, totalBytes: result.totalBytes, reused: result.reused, generateSeconds: result.generateSeconds } })}\n`,
    );
  } catch (error) {
    code = 1;
    process.stderr.write(`[${NAME}] FAILED: ${error?.stack ?? error}\n`);
  } finally {
    await cleanup();
  }
  process.exit(code);
}
