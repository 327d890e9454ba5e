import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A throwaway MariaDB that writes real binlogs for the reader's tests: a few binlogs with every kind of
 * event group a DBA produces (DDL, multi-statement and autocommit transactions, MyISAM, statement format,
 * XA, a transaction larger than one read chunk), a copy of the open binlog, and a binlog left open by a
 * kill -9. Standalone on purpose: it does not use test/support.
 */

const run = promisify(execFile);

/** The shared test harness kills stray servers whose command line contains this prefix. */
const PREFIX = 'snaplog-test-binlog-';
const SERVER_ID = 7;

export interface GeneratedBinlogs {
  root: string;
  binlogDir: string;
  /** mysql-bin.000001: closed by FLUSH BINARY LOGS (ROTATE to .000002). */
  rotated: string;
  /** mysql-bin.000002: closed by a clean shutdown (STOP event). */
  stopped: string;
  /** Copy of mysql-bin.000002 taken while the server was running (in-use flag set). */
  openCopy: string;
  /** mysql-bin.000003: open when the server was killed with SIGKILL. */
  crashed: string;
  serverId: number;
}

export class MariadbBinlogGenerator {
  private server: ChildProcess | undefined;
  private root: string | undefined;

  static available(): boolean {
    return ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', '/usr/bin/mariadb', '/usr/bin/mariadb-binlog'].every((path) => existsSync(path));
  }

  async generate(): Promise<GeneratedBinlogs> {
    const root = await mkdtemp(join(tmpdir(), PREFIX));
    this.root = root;
    const datadir = join(root, 'data');
    const binlogDir = join(root, 'binlog');
    await mkdir(binlogDir);
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], {
      maxBuffer: 16 << 20,
    });

    await this.start(datadir, binlogDir);
    await this.sql(`
      CREATE DATABASE shop;
      CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, item VARCHAR(200), qty INT, note TEXT) ENGINE=InnoDB;
      BEGIN;
      INSERT INTO shop.orders (item, qty) VALUES ('apple', 3), ('pear', 5);
      INSERT INTO shop.orders (item, qty) VALUES ('plum', 1);
      UPDATE shop.orders SET qty = qty + 1 WHERE item = 'pear';
      COMMIT;
      INSERT INTO shop.orders (item, qty) VALUES ('single', 1);
      CREATE TABLE shop.log (msg VARCHAR(100)) ENGINE=MyISAM;
      INSERT INTO shop.log VALUES ('myisam row');
      BEGIN;
      INSERT INTO shop.orders (item, qty, note) SELECT CONCAT('bulk-', seq), seq, REPEAT('x', 900) FROM shop.seq_1_to_2000;
      COMMIT;
      XA START 'xa-1';
      INSERT INTO shop.orders (item, qty) VALUES ('xa', 9);
      XA END 'xa-1';
      XA PREPARE 'xa-1';
      XA COMMIT 'xa-1';
      FLUSH BINARY LOGS;
      DELETE FROM shop.orders WHERE qty = 1;
      BEGIN;
      INSERT INTO shop.orders (item, qty) VALUES ('rolled back', 0);
      ROLLBACK;
      SET SESSION binlog_format = 'STATEMENT';
      INSERT INTO shop.orders (item, qty) VALUES ('statement format', 2);
      SET SESSION binlog_format = 'ROW';
      DROP TABLE shop.log;
    `);
    const openCopy = join(root, 'open-copy.000002');
    await copyFile(join(binlogDir, 'mysql-bin.000002'), openCopy);
    await this.sql(`INSERT INTO shop.orders (item, qty) VALUES ('after the copy', 4);`);
    await this.shutdown();

    // Restart (a new binlog, .000003), write, and crash: that binlog keeps its in-use flag.
    await this.start(datadir, binlogDir);
    await this.sql(`INSERT INTO shop.orders (item, qty) VALUES ('before the crash', 5); CREATE TABLE shop.more (id INT) ENGINE=InnoDB;`);
    await this.kill('SIGKILL');

    return {
      root,
      binlogDir,
      rotated: join(binlogDir, 'mysql-bin.000001'),
      stopped: join(binlogDir, 'mysql-bin.000002'),
      openCopy,
      crashed: join(binlogDir, 'mysql-bin.000003'),
      serverId: SERVER_ID,
    };
  }

  /** Kills the server if it still runs and removes every file. Safe to call after a failure. */
  async cleanup(): Promise<void> {
    await this.kill('SIGKILL');
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  private get socket(): string {
    return join(this.root!, 's.sock');
  }

  private async start(datadir: string, binlogDir: string): Promise<void> {
    const root = this.root!;
    const child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--socket=${this.socket}`,
        '--skip-networking',
        `--log-bin=${join(binlogDir, 'mysql-bin')}`,
        '--binlog-format=ROW',
        '--binlog-checksum=CRC32',
        `--server-id=${SERVER_ID}`,
        `--pid-file=${join(root, 'mariadbd.pid')}`,
        `--log-error=${join(root, 'error.log')}`,
        '--innodb-buffer-pool-size=64M',
        '--user=root',
      ],
      { stdio: 'ignore' },
    );
    this.server = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        await run('mariadb-admin', ['--no-defaults', `--socket=${this.socket}`, '-uroot', 'ping'], { timeout: 5000 });
        return;
      } catch {
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
      }
    }
    const log = await readFile(join(root, 'error.log'), 'utf8').catch(() => '');
    await this.kill('SIGKILL');
    throw new Error(`mariadbd did not start within 30 s:\n${log.slice(-2000)}`);
  }

  private async sql(statements: string): Promise<void> {
    await run('mariadb', ['--no-defaults', `--socket=${this.socket}`, '-uroot', '-e', statements], { maxBuffer: 16 << 20 });
  }

  private async shutdown(): Promise<void> {
    const child = this.server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await run('mariadb-admin', ['--no-defaults', `--socket=${this.socket}`, '-uroot', 'shutdown'], { timeout: 30_000 }).catch(() => undefined);
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000));
    if ((await Promise.race([exited, timer])) === 'timeout') await this.kill('SIGKILL');
    this.server = undefined;
  }

  private async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.server;
    this.server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
