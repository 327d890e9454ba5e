import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MysqlEngine } from '../../src/engines/mysql/engine.js';
import { binlogInInnodb, innodbBinlogError } from '../../src/engines/mysql/binlog-storage.js';
import { SnaplogError } from '../../src/errors.js';

/**
 * MariaDB 12.3's binlog kept inside InnoDB (binlog_storage_engine = innodb, `.ibb` files) cannot be shipped
 * by file copy: snaplog says so once, clearly, instead of shipping nothing. The server here (MariaDB 10.11)
 * has no such variable, so the server-down paths (the binlog index, the binlog folder) are tested with real
 * files; the variable check itself is the pure function.
 */

describe('binlog_storage_engine = innodb (MariaDB 12.3 .ibb files)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snaplog-test-ibb-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An engine whose server is down (no socket there): it reads the binlog folder named in the config. */
  const engine = (binlogDir: string, binlogBasename?: string) =>
    new MysqlEngine({
      endpoint: { socket: join(dir, 'no-such.sock'), port: 3306, user: 'root', credentialSource: 'test' },
      binlogDir,
      ...(binlogBasename ? { binlogBasename } : {}),
      systemId: 'test',
      freezeMethod: 'auto',
    });

  it('recognises the variable (any case) and .ibb names; file binlogs pass', () => {
    expect(binlogInInnodb('InnoDB', [])).toBe(true);
    expect(binlogInInnodb(undefined, ['binlog-000000.ibb'])).toBe(true);
    expect(binlogInInnodb('FILE', ['mysql-bin.000001'])).toBe(false);
    expect(binlogInInnodb(undefined, [])).toBe(false);
    const error = innodbBinlogError('config check');
    expect(error).toBeInstanceOf(SnaplogError);
    expect(error.message).toMatch(/binlog_storage_engine = innodb/);
    expect(error.hint).toMatch(/switch the server back to file binlogs/);
  });

  it('ship / config check with the server down: a folder of .ibb files and no index is refused with the reason', async () => {
    const binlogDir = join(dir, 'ibb-only');
    await mkdir(binlogDir);
    await writeFile(join(binlogDir, 'binlog-000000.ibb'), Buffer.alloc(16384));
    await writeFile(join(binlogDir, 'binlog-000001.ibb'), Buffer.alloc(16384));
    const found = engine(binlogDir).listSourceLogs();
    await expect(found).rejects.toThrow(/holds \.ibb files and no binlog index.*binlog_storage_engine = innodb/);
  });

  it('an index that lists .ibb files is refused as a whole, not as one odd entry', async () => {
    const binlogDir = join(dir, 'indexed');
    await mkdir(binlogDir);
    await writeFile(join(binlogDir, 'binlog-000000.ibb'), Buffer.alloc(16384));
    await writeFile(join(binlogDir, 'mysql-bin.index'), `${join(binlogDir, 'binlog-000000.ibb')}\n`);
    await expect(engine(binlogDir, 'mysql-bin').listSourceLogs()).rejects.toThrow(/lists \.ibb files.*InnoDB/);
  });

  it('file binlogs in the same setup are listed as before', async () => {
    const binlogDir = join(dir, 'files');
    await mkdir(binlogDir);
    await writeFile(join(binlogDir, 'mysql-bin.000001'), Buffer.from([0xfe, 0x62, 0x69, 0x6e]));
    await writeFile(join(binlogDir, 'mysql-bin.index'), './mysql-bin.000001\n');
    const logs = await engine(binlogDir).listSourceLogs();
    expect(logs.map((log) => log.name)).toEqual(['mysql-bin.000001']);
  });
});
