import { copyFile, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { initialiseDatadir, startPrivateServer } from '../engines/mysql/private-server.js';
import type { PrivateServer } from '../engines/mysql/private-server.js';
import { createMountedImage, snapshotImage } from './disk-image.js';
import { Archive } from '../archive/archive.js';
import { findStatements } from '../restore/find.js';
import type { MountedImage } from './disk-image.js';

export interface DemoOptions {
  workDir: string;
  archivePath: string;
  keep: boolean;
  /** Runs a snaplog command in-process, exactly as a DBA would type it; returns its exit code. */
  snaplog: (args: string[]) => Promise<number>;
  say: (line: string) => void;
}

async function writeDemoConfig(workDir: string, socket: string, archivePath: string): Promise<string> {
  const configPath = join(workDir, 'snaplog.conf');
  await writeFile(
    configPath,
    ['[workload]', 'workload_name = mariadb', `ipc_folder = ${join(workDir, 'ipc')}`, 'timeout = 90', '', '[mysql]', `socket = ${socket}`, 'user = root', '', '[archive]', `path = ${archivePath}`, '', '[ship]', 'rescan_interval = 1s', ''].join('\n'),
  );
  await chmod(configPath, 0o600);
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
  if (code !== 0) throw new Error(`demo step failed: ${step} (exit ${code})`);
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
  if (process.getuid?.() !== 0) throw new Error('snaplog demo needs root: it loop-mounts a disk image and freezes it like a VM snapshot');
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
      args: [`--log-bin=${join(disk.mount, 'binlog', 'mysql-bin')}`, '--server-id=1', '--binlog-format=ROW', '--binlog-checksum=CRC32', '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'],
    });
    const configPath = await writeDemoConfig(workDir, server.socket, archivePath);
    const run = (args: string[]): Promise<number> => options.snaplog(['--config', configPath, ...args]);
    snaplog = run;

    options.say(`2. snaplog archive init → ${archivePath}`);
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
      await copyFile(snapshotCopy, restoredImage);
      await rm(snapshotCopy, { force: true });
      expectOk('attach', await run(['attach', '--image', restoredImage, '--mount', restoreMount]));
      attached = true;
      const dropGtid = await findDropGtid(archivePath);
      expectOk('restore', await run(['restore', '--before-gtid', dropGtid, '--datadir', join(restoreMount, 'mysql'), '--staging', join(workDir, 'staging')]));

      options.say('9. start the restored database and count the orders');
      restored = await startPrivateServer({ runDir: join(workDir, 'restored-run'), datadir: join(restoreMount, 'mysql'), args: ['--skip-log-bin', '--server-id=2'] });
      const recovered = await orderCount(restored.socket);
      options.say(`   ${recovered} orders after the restore (${beforeDrop} before the DROP): ${recovered === beforeDrop ? 'the table is back, nothing lost' : 'MISMATCH'}`);
      if (recovered !== beforeDrop) throw new Error(`restored ${recovered} orders, expected ${beforeDrop}`);
    } finally {
      await connection.end().catch(() => undefined);
    }
    options.say(`done. The archive stays in ${archivePath}.`);
  } finally {
    await restored?.stop();
    await server?.stop();
    if (attached && snaplog) await snaplog(['detach', '--mount', restoreMount]);
    await disk?.cleanup();
    if (!options.keep) await rm(workDir, { recursive: true, force: true });
  }
}

/** The GTID of the DROP, the one `snaplog find` printed. */
async function findDropGtid(archivePath: string): Promise<string> {
  const archive = await Archive.open(archivePath);
  const [systemId] = await archive.systemIds();
  const [match] = await findStatements({ archive, systemId: systemId!, pattern: /DROP TABLE/i, limit: 1 });
  if (!match?.gtid) throw new Error('find did not report the DROP');
  return match.gtid;
}
