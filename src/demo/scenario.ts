import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { initialiseDatadir, startPrivateServer } from '../engines/mysql/private-server.js';
import type { PrivateServer } from '../engines/mysql/private-server.js';
import { createMountedImage, snapshotImage } from './disk-image.js';
import { Archive } from '../archive/archive.js';
import { findStatements } from '../engines/mysql/restore/find.js';
import { SnaplogError } from '../errors.js';
import { writeFileAtomic } from '../safe-files.js';
import type { MountedImage } from './disk-image.js';

export interface DemoOptions {
  workDir: string;
  archivePath: string;
  keep: boolean;
  /** Runs a snaplog command in-process, exactly as a DBA would type it; returns its exit code. */
  snaplog: (args: string[]) => Promise<number>;
  say: (line: string) => void;
}

/** Each run is its own database system in the archive: a new server reuses binlog names, which the archive must never mix up. */
export function demoSystemId(now = new Date()): string {
  return `demo-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '$1Z')}`;
}

async function writeDemoConfig(workDir: string, socket: string, archivePath: string, systemId: string): Promise<string> {
  const configPath = join(workDir, 'snaplog.conf');
  await writeFileAtomic(
    configPath,
    [
      '[workload]',
      'workload_name = mariadb',
      `ipc_folder = ${join(workDir, 'ipc')}`,
      'timeout = 90',
      '',
      '[mysql]',
      `socket = ${socket}`,
      'user = root',
      '',
      '[archive]',
      `path = ${archivePath}`,
      `system_id = ${systemId}`,
      '',
      '[ship]',
      'rescan_interval = 1s',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return configPath;
}

async function writeOrders(connection: Connection, count: number, label: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await connection.query('BEGIN');
    await connection.query('INSERT INTO shop.orders (customer, amount) VALUES (?, ?)', [`${label}-${i}`, (i * 7.3).toFixed(2)]);
    await connection.query('COMMIT');
  }
}

function expectOk(step: string, code: number): void {
  if (code !== 0) {
    const hint = "the step's own error is printed above it; snaplog demo --keep keeps the work folder";
    throw new SnaplogError(`demo step failed: snaplog ${step} (exit ${code})`, { hint });
  }
}

/** Something the demo checks that only a bug in snaplog can break. */
function demoBug(message: string): SnaplogError {
  return new SnaplogError(message, { hint: 'this is a bug in snaplog: please report it with the output above' });
}

async function orderCount(socket: string): Promise<number> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    const [rows] = await connection.query('SELECT COUNT(*) AS n FROM shop.orders');
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await connection.end();
  }
}

/**
 * The whole cycle on a throwaway MariaDB whose data directory lives on a loop-mounted ext4 image:
 * ship, freeze → snapshot (a copy of the image between fsfreeze -f/-u) → thaw, more writes and an
 * accidental DROP TABLE, then attach the snapshot copy and restore to just before the DROP.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    const why = 'it loop-mounts a disk image and freezes it like a VM snapshot';
    throw new SnaplogError(`snaplog demo needs root: ${why}`, { hint: 'run it as root (sudo snaplog demo), on a test machine' });
  }
  const workDir = resolve(options.workDir);
  const archivePath = resolve(options.archivePath);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  let disk: MountedImage | undefined;
  let server: PrivateServer | undefined;
  let restored: PrivateServer | undefined;
  const restoreMount = join(workDir, 'restored-mnt');
  let attached = false;
  let snaplog: ((args: string[]) => Promise<number>) | undefined;
  try {
    options.say(`1. a throwaway MariaDB on a 384 MiB ext4 disk image (${workDir})`);
    disk = await createMountedImage(workDir, 384, 'vm-disk');
    const datadir = join(disk.mount, 'mysql');
    await initialiseDatadir(datadir);
    await mkdir(join(disk.mount, 'binlog'));
    server = await startPrivateServer({
      runDir: join(workDir, 'run'),
      datadir,
      args: [
        `--log-bin=${join(disk.mount, 'binlog', 'mysql-bin')}`,
        '--server-id=1',
        '--binlog-format=ROW',
        '--binlog-checksum=CRC32',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=16M',
      ],
    });
    const systemId = demoSystemId();
    const configPath = await writeDemoConfig(workDir, server.socket, archivePath, systemId);
    const run = (args: string[]): Promise<number> => options.snaplog(['--config', configPath, ...args]);
    snaplog = run;

    options.say(`2. snaplog archive init --force → ${archivePath} (a local folder, hence --force; this run's system id: ${systemId})`);
    expectOk('archive init', await run(['archive', 'init', '--force']));

    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root' });
    try {
      options.say('3. a workload: 50 orders, binlog rotated; snaplog ship --once');
      await connection.query('CREATE DATABASE shop');
      await connection.query('CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40), amount DECIMAL(10,2)) ENGINE=InnoDB');
      await writeOrders(connection, 50, 'before-snapshot');
      await connection.query('FLUSH BINARY LOGS');
      expectOk('ship --once', await run(['ship', '--once']));

      options.say('4. the nightly snapshot: snaplog freeze → copy of the disk image under fsfreeze → snaplog thaw');
      // The demo is the only writer: what the server holds now is what the snapshot holds.
      const atSnapshot = await orderCount(server.socket);
      expectOk('freeze', await run(['freeze']));
      const snapshotCopy = join(workDir, 'snapshot.img');
      snapshotImage(disk, snapshotCopy);
      expectOk('thaw', await run(['thaw']));

      options.say('5. the day goes on: 3 × 40 more orders with rotations … then someone runs DROP TABLE shop.orders');
      for (let batch = 1; batch <= 3; batch++) {
        await writeOrders(connection, 40, `day-${batch}`);
        await connection.query('FLUSH BINARY LOGS');
      }
      const beforeDrop = await orderCount(server.socket);
      await connection.query('DROP TABLE shop.orders');
      await connection.query('CREATE TABLE shop.audit (note TEXT)');
      await connection.query("INSERT INTO shop.audit VALUES ('after the accident')");
      await connection.query('FLUSH BINARY LOGS');
      expectOk('ship --once', await run(['ship', '--once']));
      options.say(`   ${beforeDrop} orders existed just before the DROP`);

      options.say('6. snaplog verify, snaplog list');
      expectOk('verify', await run(['verify']));
      expectOk('list', await run(['list']));

      options.say("7. snaplog find --query 'DROP TABLE': which transaction was it?");
      expectOk('find', await run(['find', '--query', 'DROP TABLE']));
      await connection.end().catch(() => undefined);
      await server.stop();
      server = undefined;

      options.say('8. restore: attach the snapshot copy like a restored disk, replay to just before the DROP');
      const restoredImage = join(workDir, 'restored.img');
      await copyFile(snapshotCopy, restoredImage); // trusted: the demo's own throwaway folder
      await rm(snapshotCopy, { force: true });
      expectOk('attach', await run(['attach', '--image', restoredImage, '--mount', restoreMount]));
      attached = true;
      const { dropGtid, snapshotGtid } = await archivedGtids(archivePath, systemId);
      expectOk('restore', await run(['restore', '--before-gtid', dropGtid, '--datadir', join(restoreMount, 'mysql'), '--staging', join(workDir, 'staging')]));

      options.say('9. start the restored database and count the orders');
      restored = await startPrivateServer({
        runDir: join(workDir, 'restored-run'),
        datadir: join(restoreMount, 'mysql'),
        args: ['--skip-log-bin', '--server-id=2'],
      });
      const recovered = await orderCount(restored.socket);
      options.say(
        `   ${recovered} orders after the restore (${beforeDrop} before the DROP): ${recovered === beforeDrop ? 'the table is back, nothing lost' : 'MISMATCH'}`,
      );
      if (recovered !== beforeDrop) throw demoBug(`restored ${recovered} orders, expected ${beforeDrop}`);
      const lost = transactionsBetween(snapshotGtid, dropGtid);
      const [stream, snapshotSeq] = [snapshotGtid.replace(/-\d+$/, ''), Number(snapshotGtid.split('-').pop())];
      options.say(
        `10. the snapshot alone would have lost ${lost} transactions: ${stream}-${snapshotSeq + 1} … ${stream}-${snapshotSeq + lost}, ` +
          `committed after it and before the DROP (${atSnapshot} orders in the snapshot, ${beforeDrop} before the DROP). ` +
          `snaplog got all ${lost} back from the archived binlogs: ${recovered - atSnapshot} orders more than the snapshot.`,
      );
      if (lost !== recovered - atSnapshot) throw demoBug(`counted ${lost} transactions after the snapshot but ${recovered - atSnapshot} recovered orders`);
    } finally {
      await connection.end().catch(() => undefined);
    }
    const reportPath = resolve('snaplog-report.html');
    options.say('11. snaplog report: the restore windows at a glance');
    expectOk('report', await run(['report', '--out', reportPath]));
    options.say(
      `done. The archive stays in ${archivePath} (system ${systemId}); open ${reportPath} in a browser. Run snaplog demo again any time: each run is a new system in it.`,
    );
  } finally {
    await restored?.stop();
    await server?.stop();
    if (attached && snaplog) await snaplog(['detach', '--mount', restoreMount]);
    await disk?.cleanup();
    if (!options.keep) await rm(workDir, { recursive: true, force: true });
  }
}

/** The GTID of the DROP (the one `snaplog find` printed) and the snapshot's GTID position, both from the archive. */
async function archivedGtids(archivePath: string, systemId: string): Promise<{ dropGtid: string; snapshotGtid: string }> {
  const archive = await Archive.open(archivePath);
  const [match] = await findStatements({ archive, systemId, pattern: /DROP TABLE/i, limit: 1 });
  const [snapshot] = await archive.listSnapshots(systemId);
  if (!match?.gtid || !snapshot?.position?.gtid) throw demoBug('the archive does not show the DROP or the snapshot position');
  return { dropGtid: match.gtid, snapshotGtid: snapshot.position.gtid };
}

/**
 * Pure: how many transactions were committed after `from` and before `to`, two GTIDs of one server in
 * one domain (the demo's): the difference of their sequence numbers, less one.
 */
export function transactionsBetween(from: string, to: string): number {
  const parse = (gtid: string): [string, number] => {
    const match = /^(\d+-\d+)-(\d+)$/.exec(gtid.trim());
    if (!match) throw demoBug(`${gtid} is not a single MariaDB GTID (domain-server-sequence)`);
    return [match[1]!, Number(match[2])];
  };
  const [fromStream, fromSeq] = parse(from);
  const [toStream, toSeq] = parse(to);
  if (fromStream !== toStream) throw demoBug(`${from} and ${to} are from different servers or domains`);
  return toSeq - fromSeq - 1;
}
