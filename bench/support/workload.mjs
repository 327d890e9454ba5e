// The replay benchmark's data sets, generated on a real mariadbd (ROW binlogs, CRC32):
//   schema   shop.accounts (preloaded), shop.orders, shop.order_items, shop.events, bulk.facts
//   OLTP     many small transactions from several connections, sent as multi-statement batches:
//            new order (INSERT order + 3 items + UPDATE account), payment (UPDATE account + INSERT event),
//            shipping (UPDATE of 1–2 orders), clean-up (DELETE of an event)
//   bulk     large multi-row INSERTs (a bulk load / ETL), a few UPDATEs of whole batches
import { binaryLogs } from './mariadb.mjs';
import { checkpoint, log, MiB, now, prng, round } from './common.mjs';

export const TABLES = ['shop.accounts', 'shop.orders', 'shop.order_items', 'shop.events', 'bulk.facts'];

const NAME = 'replay';

const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(
    ' ',
  );

function words(random, count) {
  let text = '';
  for (let i = 0; i < count; i++) text += (i ? ' ' : '') + WORDS[Math.floor(random() * WORDS.length)];
  return text;
}

export async function createSchema(server, { accounts }) {
  const connection = await server.connect();
  try {
    await connection.query(`
      CREATE DATABASE shop;
      CREATE DATABASE bulk;
      CREATE TABLE shop.accounts (
        id INT PRIMARY KEY, balance DECIMAL(14,2) NOT NULL, updated DATETIME(6) NOT NULL, note VARCHAR(64) NOT NULL
      ) ENGINE=InnoDB;
      CREATE TABLE shop.orders (
        id BIGINT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL,
        status VARCHAR(16) NOT NULL, created DATETIME(6) NOT NULL, note VARCHAR(120) NOT NULL, KEY (account_id, status)
      ) ENGINE=InnoDB;
      CREATE TABLE shop.order_items (
        order_id BIGINT NOT NULL, line INT NOT NULL, sku INT NOT NULL, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL,
        PRIMARY KEY (order_id, line)
      ) ENGINE=InnoDB;
      CREATE TABLE shop.events (
        id BIGINT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, kind VARCHAR(16) NOT NULL, at DATETIME(6) NOT NULL,
        detail VARCHAR(200) NOT NULL, KEY (account_id)
      ) ENGINE=InnoDB;
      CREATE TABLE bulk.facts (
        id BIGINT AUTO_INCREMENT PRIMARY KEY, batch INT NOT NULL, k INT NOT NULL, amount BIGINT NOT NULL,
        payload VARCHAR(255) NOT NULL, body VARCHAR(512) NOT NULL, created DATETIME(6) NOT NULL, KEY (batch)
      ) ENGINE=InnoDB;`);
    await connection.query(`INSERT INTO shop.accounts (id, balance, updated, note)
      SELECT seq, 1000 + seq % 977, NOW(6), CONCAT('account ', seq) FROM shop.seq_1_to_${accounts}`);
  } finally {
    await connection.end();
  }
}

async function binlogBytes(server) {
  return (await binaryLogs(server)).reduce((sum, file) => sum + file.size, 0);
}

/**
 * One OLTP transaction as SQL text. Each connection owns the accounts ≡ lane (mod lanes), so that the
 * concurrent connections never wait on each other's row locks.
 */
function oltpTransaction(random, lane, lanes, accounts, serial) {
  const account = lane + 1 + lanes * Math.floor(random() * Math.floor(accounts / lanes));
  const roll = random();
  const amount = (1 + random() * 500).toFixed(2);
  if (roll < 0.45) {
    const items = [1, 2, 3].map(
      (line) => `(LAST_INSERT_ID(), ${line}, ${1 + Math.floor(random() * 50000)}, ${1 + Math.floor(random() * 5)}, ${(1 + random() * 99).toFixed(2)})`,
    );
    return `BEGIN;
INSERT INTO shop.orders (account_id, amount, status, created, note) VALUES (${account}, ${amount}, 'new', NOW(6), '${words(random, 6)} ${serial}');
INSERT INTO shop.order_items (order_id, line, sku, qty, price) VALUES ${items.join(', ')};
UPDATE shop.accounts SET balance = balance - ${amount}, updated = NOW(6) WHERE id = ${account};
COMMIT;`;
  }
  if (roll < 0.8) {
    return `BEGIN;
UPDATE shop.accounts SET balance = balance + ${amount}, updated = NOW(6), note = 'payment ${serial}' WHERE id = ${account};
INSERT INTO shop.events (account_id, kind, at, detail) VALUES (${account}, 'payment', NOW(6), '${words(random, 8)}');
COMMIT;`;
  }
  if (roll < 0.95) return `UPDATE shop.orders SET status = 'shipped' WHERE account_id = ${account} AND status = 'new' ORDER BY id LIMIT 2;`;
  return `DELETE FROM shop.events WHERE account_id = ${account} ORDER BY id LIMIT 1;`;
}

/** Small transactions until the binlogs grew by `targetBytes`. */
export async function runOltp(server, { targetBytes, lanes = 4, perBatch = 100, accounts }) {
  const started = now();
  const startBytes = await binlogBytes(server);
  const connections = await Promise.all(Array.from({ length: lanes }, () => server.connect()));
  let statements = 0;
  let grown = 0;
  try {
    const randoms = connections.map((_, lane) => prng(1000 + lane));
    let serial = 0;
    let lastLog = 0;
    while (grown < targetBytes) {
      checkpoint();
      // Each lane sends a few batches, then the binlog size is checked.
      await Promise.all(
        connections.map(async (connection, lane) => {
          for (let round = 0; round < 4; round++) {
            const sql = [];
            for (let i = 0; i < perBatch; i++) sql.push(oltpTransaction(randoms[lane], lane, lanes, accounts, serial++));
            await connection.query(sql.join('\n'));
            statements += perBatch;
          }
        }),
      );
      grown = (await binlogBytes(server)) - startBytes;
      if (now() - lastLog > 5000) {
        lastLog = now();
        log(NAME, `OLTP: ${round(grown / MiB, 1)} MiB of binlog, ${statements} transactions sent, ${round((now() - started) / 1000, 1)} s`);
      }
    }
  } finally {
    await Promise.all(connections.map((connection) => connection.end()));
  }
  return { bytes: grown, transactionsSent: statements, seconds: round((now() - started) / 1000, 1) };
}

/** Multi-row INSERTs of `rowsPerInsert` rows (~0.5 KiB each) until the binlogs grew by `targetBytes`. */
export async function runBulk(server, { targetBytes, rowsPerInsert = 2000, lanes = 2 }) {
  const started = now();
  const startBytes = await binlogBytes(server);
  const connections = await Promise.all(Array.from({ length: lanes }, () => server.connect()));
  let batch = 0;
  let grown = 0;
  let rows = 0;
  try {
    const randoms = connections.map((_, lane) => prng(7000 + lane));
    let lastLog = 0;
    while (grown < targetBytes) {
      checkpoint();
      await Promise.all(
        connections.map(async (connection, lane) => {
          const random = randoms[lane];
          const mine = ++batch;
          const values = [];
          for (let k = 0; k < rowsPerInsert; k++) {
            const payload = Math.floor(random() * 2 ** 52)
              .toString(36)
              .repeat(12)
              .slice(0, 120);
            values.push(`(${mine}, ${k}, ${Math.floor(random() * 1e12)}, '${payload}', '${words(random, 40)}', NOW(6))`);
          }
          await connection.query(`INSERT INTO bulk.facts (batch, k, amount, payload, body, created) VALUES ${values.join(',\n')}`);
          rows += rowsPerInsert;
          // Now and then a set-based UPDATE of a whole earlier batch (before + after images).
          if (mine % 10 === 0) await connection.query(`UPDATE bulk.facts SET amount = amount + 1 WHERE batch = ${mine - 5}`);
        }),
      );
      grown = (await binlogBytes(server)) - startBytes;
      if (now() - lastLog > 5000) {
        lastLog = now();
        log(NAME, `bulk: ${round(grown / MiB, 1)} MiB of binlog, ${rows} rows, ${round((now() - started) / 1000, 1)} s`);
      }
    }
  } finally {
    await Promise.all(connections.map((connection) => connection.end()));
  }
  return { bytes: grown, rows, statements: batch, seconds: round((now() - started) / 1000, 1) };
}
