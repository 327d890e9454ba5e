import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDirs, startMariadb, stopAllMariadb, writeSnaplogConfig } from '../support/mariadb.js';
import type { MariadbServer, SnaplogTestSetup } from '../support/mariadb.js';
import { snaplog } from '../support/cli.js';
import { createMountedImage, loopDevicesUnder, snapshotImage } from '../support/disk-image.js';
import type { MountedImage } from '../support/disk-image.js';
import { tableChecksums } from '../support/workload.js';
import { startPrivateServer } from '../../src/engines/mysql/private-server.js';
import mysql from 'mysql2/promise';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const KEY_HEX = '7c'.repeat(16) + '3a'.repeat(16);

async function waitForNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
}

/** Every file under `dir`, as text, for checking that the key never reached it. */
async function textUnder(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push((await readFile(join(entry.parentPath, entry.name))).toString('latin1'));
  }
  return parts.join('\n');
}

describe('encrypted MariaDB binlogs (encrypt_binlog=ON, file_key_management) shipped, verified, searched and planned: real server', () => {
  let dir: string;
  let server: MariadbServer;
  let setup: SnaplogTestSetup;
  let keyFile: string;
  let target: string;
  let lastIncluded: string;
  let disk: MountedImage;
  let snapshotCopy: string;
  let atTarget: Record<string, string>;

  beforeAll(async () => {
    dir = await makeTempDir('encrypted-pitr');
    keyFile = join(dir, 'keys');
    await writeFile(keyFile, `1;${KEY_HEX}\n`, { mode: 0o600 });
    disk = await createMountedImage(256, 'encpitr');
    server = await startMariadb({
      datadir: join(disk.mount, 'mysql'),
      binlogDir: join(disk.mount, 'binlog'),
      args: ['--plugin-load-add=file_key_management', `--file-key-management-filename=${keyFile}`, '--encrypt-binlog=ON', '--innodb-flush-log-at-trx-commit=1'],
    });
    setup = await writeSnaplogConfig(server, { mysql: `binlog_key_file = ${keyFile}` });
    expect((await snaplog(['archive', 'init', '--force', '--config', setup.configPath])).code).toBe(0);
    await server.query('CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(60))');
    await server.query("INSERT INTO shop.orders VALUES (100, 'before the snapshot')");
    const freeze = await snaplog(['freeze', '--config', setup.configPath]);
    expect(freeze.code, freeze.stderr).toBe(0);
    snapshotCopy = join(dir, 'snapshot.img');
    snapshotImage(disk, snapshotCopy);
    expect((await snaplog(['thaw', '--config', setup.configPath])).code).toBe(0);
    for (let i = 1; i <= 5; i++) await server.query('INSERT INTO shop.orders VALUES (?, ?)', [i, `order ${i}`]);
    await server.query('FLUSH BINARY LOGS');
    await waitForNextSecond();
    await server.query("INSERT INTO shop.orders VALUES (6, 'the last one in its second')");
    const [{ now, pos }] = await server.query<{ now: string; pos: string }>('SELECT UNIX_TIMESTAMP() AS now, @@gtid_binlog_pos AS pos');
    target = new Date(Number(now) * 1000).toISOString();
    lastIncluded = pos;
    atTarget = await tableChecksums(server, ['shop']);
    await waitForNextSecond();
    await server.query('DROP TABLE shop.orders');
    await server.query('FLUSH BINARY LOGS');
    const ship = await snaplog(['ship', '--once', '--config', setup.configPath]);
    expect(ship.code, ship.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await stopAllMariadb();
    await disk?.cleanup();
    expect(loopDevicesUnder(dir)).toEqual([]);
    await removeDirs(server?.base, setup?.dir, dir);
  });

  const logsDir = async (): Promise<string> => {
    const [system] = (await readdir(setup.archivePath)).filter((entry) => !entry.startsWith('.'));
    return join(setup.archivePath, system!, 'logs');
  };

  it('the archive keeps the server’s encrypted bytes; the metadata was read through the key', async () => {
    const logs = await logsDir();
    const metadata = await Promise.all(
      (await readdir(logs)).filter((file) => file.endsWith('.json')).map(async (file) => JSON.parse(await readFile(join(logs, file), 'utf8'))),
    );
    expect(metadata.length).toBeGreaterThanOrEqual(3);
    for (const log of metadata) {
      const archived = await readFile(join(logs, log.name));
      expect(sha256(archived)).toBe(sha256(await readFile(join(server.binlogDir, log.name))));
      expect(archived.includes(Buffer.from('order 3'))).toBe(false);
      expect(log.details.problems).toEqual([]);
    }
    expect(metadata.reduce((sum, log) => sum + (log.transactionCount ?? 0), 0)).toBeGreaterThanOrEqual(7);
  });

  it('verify checks every event with the key, and without it says which key to set', async () => {
    const verify = await snaplog(['verify', '--json', '--config', setup.configPath]);
    expect(verify.code, verify.stdout).toBe(0);
    const blindConfig = join(dir, 'blind.conf');
    await writeFile(blindConfig, (await readFile(setup.configPath, 'utf8')).replace(/^binlog_key_file = .*$/m, ''), { mode: 0o600 });
    const blind = await snaplog(['verify', '--json', '--config', blindConfig]);
    expect(blind.code).toBe(1);
    expect(blind.stdout).toMatch(/binlog_key_file/);
  });

  it('find locates the DROP TABLE inside the encrypted events', async () => {
    const found = await snaplog(['find', '--query', 'DROP TABLE', '--json', '--config', setup.configPath]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toMatch(/DROP TABLE/);
  });

  it('plan --to stops right after the last transaction of the target second', async () => {
    const plan = await snaplog(['plan', '--to', target, '--json', '--config', setup.configPath]);
    expect(plan.code, plan.stderr).toBe(0);
    const stop = (JSON.parse(plan.stdout) as { stop: { lastApplied?: { gtid?: string } } }).stop;
    expect(stop.lastApplied?.gtid).toBe(lastIncluded);
  });

  it('restore --to onto the snapshot’s disk is exact: the private servers read the encrypted logs with the key', async () => {
    const mount = join(dir, 'restored');
    const attached = await snaplog(['attach', '--image', snapshotCopy, '--mount', mount, '--json', '--config', setup.configPath]);
    expect(attached.code, attached.stderr).toBe(0);
    try {
      const datadir = (JSON.parse(attached.stdout) as { datadirs: { datadir: string }[] }).datadirs[0]!.datadir;
      const pipe = await snaplog(['restore', '--to', target, '--method', 'pipe', '--datadir', datadir, '--config', setup.configPath]);
      expect(pipe.code).toBe(2);
      expect(pipe.stderr).toMatch(/mariadb-binlog cannot read an encrypted binlog file[\s\S]*HINT: /);
      const result = await snaplog(['restore', '--to', target, '--datadir', datadir, '--config', setup.configPath]);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(KEY_HEX);
      const check = await startPrivateServer({ runDir: join(dir, 'check-run'), datadir, args: ['--skip-log-bin', '--skip-slave-start', '--server-id=98'] });
      try {
        const query = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => {
          const connection = await mysql.createConnection({ socketPath: check.socket, user: 'root', supportBigNumbers: true, bigNumberStrings: true });
          try {
            return (await connection.query(sql, values))[0] as T[];
          } finally {
            await connection.end();
          }
        };
        expect(await tableChecksums({ query } as never, ['shop'])).toEqual(atTarget);
      } finally {
        await check.stop();
      }
    } finally {
      expect((await snaplog(['detach', '--mount', mount])).code).toBe(0);
    }
  });

  it('the key never appears in the ipc folder, the archive or any output', async () => {
    expect(await textUnder(setup.ipcFolder)).not.toContain(KEY_HEX);
    expect(await textUnder(setup.archivePath)).not.toContain(KEY_HEX);
  });
});
