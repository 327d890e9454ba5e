import { describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../src/archive/snapshot-record.js';
import { identifySnapshot, snapshotForDatadir } from '../../src/engines/mysql/snapshot-identity.js';
import { parseSnapshotMarker } from '../../src/engines/mysql/snapshot-marker.js';
import { hintForServerErrors } from '../../src/engines/mysql/private-server.js';
import { lastInnodbBinlog } from '../../src/engines/mysql/restore/recovery.js';
import { decideRestoreStart } from '../../src/engines/mysql/restore/restore-record.js';
import type { RestoreRecord } from '../../src/engines/mysql/restore/restore-record.js';
import { lastAppliedIn } from '../../src/engines/mysql/restore/applied-point.js';
import { roomNeeded, versionProblem } from '../../src/engines/mysql/restore/preflight.js';

const record = (id: string, file: string, position: number, status: SnapshotRecord['status'] = 'thawed'): SnapshotRecord => ({
  formatVersion: 1,
  id,
  systemId: 's',
  engine: 'mariadb',
  time: `2026-11-2${id === 'A' ? 1 : 2}T00:00:00.000Z`,
  status,
  position: { file, position, gtid: '0-1-5' },
  host: 'h',
});
const A = record('A', 'mysql-bin.000003', 400);
const B = record('B', 'mysql-bin.000006', 380);
const marker = (snapshotId: string, file: string, position: number) => ({
  formatVersion: 1 as const,
  snapshotId,
  position: { file, position },
  writtenAt: '',
  host: '',
});

describe('which snapshot a data directory is (pure)', () => {
  it('the newest binlog names the snapshot that stands in it', () => {
    const identity = identifySnapshot([A, B], { newestBinlog: { name: 'mysql-bin.000003', size: 400, index: 'i' } });
    expect(identity).toMatchObject({ kind: 'identified', snapshot: { id: 'A' } });
  });

  it('the marker names it when no binlog is on the disk, and a stale marker (a newer binlog) is ignored', () => {
    expect(identifySnapshot([A, B], { marker: marker('A', 'mysql-bin.000003', 400) })).toMatchObject({ kind: 'identified', snapshot: { id: 'A' } });
    const stale = identifySnapshot([A, B], { marker: marker('A', 'mysql-bin.000003', 400), newestBinlog: { name: 'mysql-bin.000006', size: 380, index: 'i' } });
    expect(stale).toMatchObject({ kind: 'identified', snapshot: { id: 'B' } });
    expect(stale.evidence.join(' ')).toMatch(/older than the newest binlog: ignored/);
  });

  it('a marker that disagrees with the archive, or a snapshot that failed, is not used', () => {
    expect(identifySnapshot([A, B], { marker: marker('A', 'mysql-bin.000003', 999) }).kind).toBe('unknown');
    expect(identifySnapshot([record('A', 'mysql-bin.000003', 400, 'timed-out')], { marker: marker('A', 'mysql-bin.000003', 400) })).toMatchObject({
      kind: 'unusable',
      status: 'timed-out',
    });
    expect(identifySnapshot([A], { marker: marker('Z', 'mysql-bin.000003', 400) })).toMatchObject({ kind: 'unusable', status: 'not in the archive' });
  });

  it('an explicit --snapshot that disagrees is refused with the real one in the hint; without clues only an explicit one goes', () => {
    const identity = identifySnapshot([A, B], { newestBinlog: { name: 'mysql-bin.000003', size: 400, index: 'i' } });
    const refused = snapshotForDatadir(identity, 'B');
    expect(refused).toMatchObject({ refusal: expect.stringMatching(/is snapshot A, not B/), hint: expect.stringMatching(/--snapshot A/) });
    expect(snapshotForDatadir(identity, undefined)).toEqual({ snapshotId: 'A' });
    const unknown = identifySnapshot([A, B], {});
    expect(snapshotForDatadir(unknown, undefined)).toMatchObject({
      refusal: expect.stringMatching(/cannot tell/),
      hint: expect.stringMatching(/--snapshot ID/),
    });
    expect(snapshotForDatadir(unknown, 'B')).toMatchObject({ snapshotId: 'B' });
  });

  it("InnoDB's recorded position after the snapshot's refuses it, even when given explicitly", () => {
    const unknown = identifySnapshot([A, B], {});
    const refused = snapshotForDatadir(unknown, 'A', { records: [A, B], innodb: { file: 'mysql-bin.000004', position: 900 } });
    expect(refused).toMatchObject({ refusal: expect.stringMatching(/InnoDB .* after snapshot A/) });
    expect(snapshotForDatadir(unknown, 'A', { records: [A, B], innodb: { file: 'mysql-bin.000003', position: 380 } })).toMatchObject({ snapshotId: 'A' });
  });

  it('parses only well-formed markers (the data directory is hostile input)', () => {
    expect(parseSnapshotMarker(JSON.stringify(marker('A', 'mysql-bin.000003', 400)))).toMatchObject({ snapshotId: 'A' });
    expect(parseSnapshotMarker(JSON.stringify(marker('../x', 'mysql-bin.000003', 400)))).toHaveProperty('problem');
    expect(parseSnapshotMarker(JSON.stringify(marker('A', '../../etc/passwd', 400)))).toHaveProperty('problem');
    expect(parseSnapshotMarker('{')).toHaveProperty('problem');
  });
});

describe('what an earlier restore left in the data directory decides how the next one starts (pure)', () => {
  const done: RestoreRecord = {
    formatVersion: 1,
    snapshotId: 'A',
    method: 'relay',
    status: 'done',
    target: {},
    stop: { file: 'mysql-bin.000005', position: 800 },
    stagingDir: 's',
    updatedAt: '',
  };
  const plan = (file: string, position: number) => ({ snapshotId: 'A', stop: { file, position }, method: 'relay' as const });

  it('same target: nothing to do; later: continue from there; earlier: refused', () => {
    expect(decideRestoreStart(done, plan('mysql-bin.000005', 800), false).kind).toBe('done');
    expect(decideRestoreStart(done, plan('mysql-bin.000005', 800), true).kind).toBe('done');
    expect(decideRestoreStart(done, plan('mysql-bin.000006', 100), false)).toMatchObject({
      kind: 'continue',
      from: { file: 'mysql-bin.000005', position: 800 },
    });
    expect(decideRestoreStart(done, plan('mysql-bin.000005', 500), false)).toMatchObject({ kind: 'refuse', hint: expect.stringMatching(/fresh copy/) });
  });

  it('an unfinished one needs --resume; --resume with nothing to resume is refused; a pipe replay cannot be resumed', () => {
    const interrupted = { ...done, status: 'interrupted' as const };
    expect(decideRestoreStart(interrupted, plan('mysql-bin.000005', 800), false)).toMatchObject({ kind: 'refuse', hint: expect.stringMatching(/--resume/) });
    expect(decideRestoreStart(interrupted, plan('mysql-bin.000005', 800), true).kind).toBe('resume');
    expect(decideRestoreStart(undefined, plan('mysql-bin.000005', 800), true)).toMatchObject({
      kind: 'refuse',
      message: expect.stringMatching(/nothing to resume/),
    });
    expect(decideRestoreStart({ ...interrupted, method: 'pipe' }, plan('mysql-bin.000005', 800), true).kind).toBe('refuse');
    expect(decideRestoreStart({ ...interrupted, snapshotId: 'B' }, plan('mysql-bin.000005', 800), true)).toMatchObject({
      kind: 'refuse',
      hint: expect.stringMatching(/--snapshot B/),
    });
  });
});

describe('where an interrupted replay stands, from @@gtid_slave_pos (pure)', () => {
  const logs = [
    {
      from: 300,
      transactions: [
        { startPosition: 100, endPosition: 300, commitTime: 0, gtid: '0-1-5' },
        { startPosition: 300, endPosition: 500, commitTime: 0, gtid: '0-1-6' },
        { startPosition: 500, endPosition: 700, commitTime: 0, gtid: '0-1-7' },
      ],
    },
    { from: 4, transactions: [{ startPosition: 256, endPosition: 400, commitTime: 0, gtid: '0-1-8' }] },
  ];
  it('the last applied transaction of the replay, in replay order; a stream that did not move counts for nothing', () => {
    expect(lastAppliedIn(logs, '', '0-1-7')).toEqual({ fileIndex: 0, position: 700, gtid: '0-1-7' });
    expect(lastAppliedIn(logs, '', '0-1-8')).toEqual({ fileIndex: 1, position: 400, gtid: '0-1-8' });
    expect(lastAppliedIn(logs, '0-1-900', '0-1-900')).toBeUndefined();
    expect(lastAppliedIn(logs, '', '')).toBeUndefined();
  });
});

describe('preflight rules (pure)', () => {
  it('a newer or a MySQL 8 data directory is refused; an older MariaDB one is fine', () => {
    expect(versionProblem({ version: '11.4.2-MariaDB', mysql8Dictionary: false }, '10.11.19-MariaDB-0+deb12u1')).toMatch(/newer than the local server/);
    expect(versionProblem({ version: '10.6.12-MariaDB', mysql8Dictionary: false }, '10.11.19-MariaDB-0+deb12u1')).toBeUndefined();
    expect(versionProblem({ mysql8Dictionary: true }, '10.11.19-MariaDB')).toMatch(/MySQL 8/);
  });
  it('room: the logs and about as much again, plus a margin', () => {
    expect(roomNeeded(100 << 20, 80 << 20, true).datadir).toBe((180 << 20) + (64 << 20));
    expect(roomNeeded(100 << 20, 80 << 20, false).staging).toBe(100 << 20);
  });
  it("InnoDB's recovered binlog position is read from the recovery server's log", () => {
    const log = "2026-11-30  1:25:08 0 [Note] InnoDB: Last binlog file '/tmp/x/bl/mysql-bin.000002', position 597\n";
    expect(lastInnodbBinlog(log)).toEqual({ file: 'mysql-bin.000002', position: 597 });
    expect(lastInnodbBinlog('nothing')).toBeUndefined();
  });
  it('a server that would not start gets a hint that names the cause', () => {
    expect(hintForServerErrors('InnoDB: Unable to lock ./ibdata1 error: 11', 'e.log')).toMatch(/another server/);
    expect(hintForServerErrors('Read-only file system', 'e.log')).toMatch(/--tables/);
    expect(hintForServerErrors('something else', 'e.log')).toMatch(/e\.log/);
  });
});

describe("snaplog's own files in a folder it does not trust (real files, a temp folder)", () => {
  it('a symlink at the name is replaced, never written through; an existing folder is not taken over', async () => {
    const { mkdtemp, readFile, symlink, writeFile, lstat, rm, mkdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { makeOwnFolder, readOwnFile, writeOwnFile } = await import('../../src/engines/mysql/own-files.js');
    const dir = await mkdtemp(join(tmpdir(), 'snaplog-test-own-files-'));
    try {
      await writeFile(join(dir, 'victim'), 'precious');
      await symlink(join(dir, 'victim'), join(dir, 'relay-bin.index'));
      await expect(readOwnFile(join(dir, 'relay-bin.index'))).rejects.toThrow(/symbolic link/);
      await writeOwnFile(join(dir, 'relay-bin.index'), './relay-bin.000001\n');
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('precious');
      expect((await lstat(join(dir, 'relay-bin.index'))).isFile()).toBe(true);
      await mkdir(join(dir, 'taken'));
      await expect(makeOwnFolder(join(dir, 'taken'))).rejects.toThrow(/EEXIST/);
      await mkdir(join(dir, 'master.info'));
      await expect(writeOwnFile(join(dir, 'master.info'), 'x')).rejects.toThrow(/is a folder/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
