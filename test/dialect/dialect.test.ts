import { describe, expect, it } from 'vitest';
import { describeRestoreCommands } from '../../src/engines/mysql/restore/restore.js';
import type { RestorePlan } from '../../src/engines/mysql/restore/plan.js';
import {
  defaultApplierThreads,
  chooseFreezeMethod,
  dialectFromVersion,
  parseVersion,
  readReplicaStatus,
  sourceGtidsOf,
  versionFromServerBinaryOutput,
} from '../../src/engines/mysql/dialect.js';
import type { ReplicaControl } from '../../src/engines/mysql/dialect.js';
import { BinlogBuilder } from '../../src/engines/mysql/binlog/builder.js';
import { scanBinlogBuffer } from '../../src/engines/mysql/binlog/index.js';
import { factsFromScan } from '../../src/engines/mysql/log-facts.js';

/** What a relay-log replay sends for one restore target, in order (see ReplicaControl). */
function replaySequence(control: ReplicaControl, target: { stopAt?: number }): string[] {
  return [
    control.stop,
    control.reset,
    control.startAt('relay-bin.000001', 1234),
    target.stopAt === undefined ? control.startToEnd : control.startUntil('relay-bin.000003', target.stopAt),
    control.status,
    control.appliedGtids,
    control.stop,
    control.reset,
  ];
}

describe('server dialect from the version string (pure)', () => {
  it('tells MariaDB from MySQL, including distribution suffixes and the 5.5.5- handshake prefix', () => {
    expect(parseVersion('10.11.19-MariaDB-0+deb12u1')).toEqual({ flavor: 'mariadb', version: { major: 10, minor: 11, patch: 19 } });
    expect(parseVersion('5.5.5-10.4.34-MariaDB-log')).toEqual({ flavor: 'mariadb', version: { major: 10, minor: 4, patch: 34 } });
    expect(parseVersion('11.4.2-MariaDB')).toMatchObject({ flavor: 'mariadb', version: { major: 11, minor: 4 } });
    expect(parseVersion('8.0.36-0ubuntu0.22.04.1')).toEqual({ flavor: 'mysql', version: { major: 8, minor: 0, patch: 36 } });
    expect(parseVersion('5.7.44-log')).toEqual({ flavor: 'mysql', version: { major: 5, minor: 7, patch: 44 } });
    expect(parseVersion('8.0.36-28')).toMatchObject({ flavor: 'mysql' }); // Percona Server speaks MySQL's dialect
    expect(() => parseVersion('unknown')).toThrow(/cannot tell the server's dialect/);
    expect(dialectFromVersion('9.1.0').label).toBe('MySQL 9.1.0');
  });

  it('reads the version from mysqld --version and mariadbd --version output', () => {
    expect(versionFromServerBinaryOutput('/usr/sbin/mysqld  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))')).toBe('8.0.36-0ubuntu0.22.04.1');
    expect(versionFromServerBinaryOutput('/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)')).toBe('8.4.3');
    const mariadb = versionFromServerBinaryOutput('mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)');
    expect(dialectFromVersion(mariadb).flavor).toBe('mariadb');
    expect(() => versionFromServerBinaryOutput('command not found')).toThrow(/cannot tell/);
  });

  it('freeze: BACKUP STAGE on MariaDB ≥ 10.4, FLUSH TABLES WITH READ LOCK on MySQL and older MariaDB; a clear error for backup-stage on MySQL', () => {
    const mariadb = dialectFromVersion('10.11.19-MariaDB');
    expect(mariadb.freezeStatements(chooseFreezeMethod(mariadb, 'auto'))).toEqual({
      method: 'backup-stage',
      lock: ['BACKUP STAGE START', 'BACKUP STAGE FLUSH', 'BACKUP STAGE BLOCK_DDL', 'BACKUP STAGE BLOCK_COMMIT'],
      unlock: 'BACKUP STAGE END',
    });
    expect(chooseFreezeMethod(dialectFromVersion('10.3.39-MariaDB'), 'auto')).toBe('ftwrl');
    for (const version of ['5.7.44', '8.0.21', '8.0.23', '8.4.3', '9.1.0']) {
      const mysql = dialectFromVersion(version);
      const statements = mysql.freezeStatements(chooseFreezeMethod(mysql, 'auto'));
      expect(statements).toEqual({ method: 'ftwrl', lock: ['FLUSH TABLES WITH READ LOCK'], unlock: 'UNLOCK TABLES' });
      expect(() => chooseFreezeMethod(mysql, 'backup-stage')).toThrow(/needs MariaDB 10.4 or later; this server is MySQL/);
    }
  });

  it('binlog position: SHOW MASTER STATUS up to MySQL 8.1, SHOW BINARY LOG STATUS from 8.2 (the only one on 8.4/9.x); GTIDs per flavor', () => {
    const statement = (version: string): string => dialectFromVersion(version).binlogStatus.statement;
    expect(['5.7.44', '8.0.22', '8.0.40', '8.1.0'].map(statement)).toEqual(Array(4).fill('SHOW MASTER STATUS'));
    expect(['8.2.0', '8.4.3', '9.1.0'].map(statement)).toEqual(Array(3).fill('SHOW BINARY LOG STATUS'));
    expect(statement('11.4.2-MariaDB')).toBe('SHOW MASTER STATUS');
    expect(dialectFromVersion('8.4.3').binlogStatus).toMatchObject({ gtidColumn: 'Executed_Gtid_Set', gtidVariable: 'gtid_executed' });
    expect(dialectFromVersion('10.11.19-MariaDB').binlogStatus.gtidColumn).toBeUndefined();
    expect(dialectFromVersion('10.11.19-MariaDB').binlogStatus.gtidVariable).toBe('gtid_binlog_pos');
    expect(dialectFromVersion('10.4.34-MariaDB').binlogMonitorGrant).toBe('REPLICATION CLIENT');
    expect(dialectFromVersion('10.5.2-MariaDB').binlogMonitorGrant).toBe('BINLOG MONITOR');
  });
});

describe("the dialect in a shipped log's metadata (pure)", () => {
  it("serverFlavor from the format description event's server version", () => {
    const facts = (flavor: 'mysql' | 'mariadb', serverVersion: string, checksum = true) =>
      factsFromScan(scanBinlogBuffer(new BinlogBuilder({ flavor, serverVersion, checksum }).toBuffer()));
    expect(facts('mysql', '8.4.3')).toMatchObject({ serverVersion: '8.4.3', serverFlavor: 'mysql' });
    expect(facts('mysql', '5.7.44-log')).toMatchObject({ serverVersion: '5.7.44-log', serverFlavor: 'mysql' });
    expect(facts('mariadb', '10.11.19-MariaDB-log')).toMatchObject({ serverVersion: '10.11.19-MariaDB-log', serverFlavor: 'mariadb' });
    expect(facts('mysql', 'garbage', false).serverFlavor).toBeUndefined();
  });
});

describe('replica control for each restore target (pure)', () => {
  const targets = { 'to a position (UNTIL)': { stopAt: 5678 }, 'to the end of the logs': {} };

  it('MariaDB: CHANGE MASTER … MASTER_USE_GTID=no, START SLAVE SQL_THREAD UNTIL, SHOW SLAVE STATUS, @@gtid_slave_pos', () => {
    const control = dialectFromVersion('10.11.19-MariaDB-0+deb12u1').replica;
    expect(replaySequence(control, targets['to a position (UNTIL)'])).toEqual([
      'STOP SLAVE',
      'RESET SLAVE ALL',
      "CHANGE MASTER TO MASTER_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234, MASTER_USE_GTID=no",
      "START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000003', RELAY_LOG_POS=5678",
      'SHOW SLAVE STATUS',
      'SELECT @@gtid_slave_pos AS pos',
      'STOP SLAVE',
      'RESET SLAVE ALL',
    ]);
    expect(replaySequence(control, targets['to the end of the logs'])[3]).toBe('START SLAVE SQL_THREAD');
  });

  it('MySQL 5.7 and 8.0.21: CHANGE MASTER TO, START SLAVE SQL_THREAD UNTIL, SHOW SLAVE STATUS with Slave_* columns; no MASTER_USE_GTID', () => {
    for (const version of ['5.7.44-log', '8.0.21']) {
      const control = dialectFromVersion(version).replica;
      expect(replaySequence(control, targets['to a position (UNTIL)'])).toEqual([
        'STOP SLAVE',
        'RESET SLAVE ALL',
        "CHANGE MASTER TO MASTER_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234",
        "START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000003', RELAY_LOG_POS=5678",
        'SHOW SLAVE STATUS',
        'SELECT @@GLOBAL.gtid_executed AS pos',
        'STOP SLAVE',
        'RESET SLAVE ALL',
      ]);
      expect(control.fields.sqlRunning).toBe('Slave_SQL_Running');
      expect(replaySequence(control, targets['to the end of the logs'])[3]).toBe('START SLAVE SQL_THREAD');
    }
  });

  it('MySQL 8.0.22: START/STOP/RESET REPLICA and SHOW REPLICA STATUS (Replica_* columns), still CHANGE MASTER TO', () => {
    const control = dialectFromVersion('8.0.22').replica;
    expect(replaySequence(control, targets['to a position (UNTIL)'])).toEqual([
      'STOP REPLICA',
      'RESET REPLICA ALL',
      "CHANGE MASTER TO MASTER_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234",
      "START REPLICA SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000003', RELAY_LOG_POS=5678",
      'SHOW REPLICA STATUS',
      'SELECT @@GLOBAL.gtid_executed AS pos',
      'STOP REPLICA',
      'RESET REPLICA ALL',
    ]);
    expect(control.fields).toMatchObject({ sqlRunning: 'Replica_SQL_Running', sqlState: 'Replica_SQL_Running_State' });
  });

  it('MySQL 8.0.23+, 8.4 and 9.x: CHANGE REPLICATION SOURCE TO SOURCE_HOST; no statement 8.4 removed', () => {
    for (const version of ['8.0.23', '8.0.40', '8.4.3', '9.1.0']) {
      const control = dialectFromVersion(version).replica;
      const sent = [...replaySequence(control, targets['to a position (UNTIL)']), ...replaySequence(control, targets['to the end of the logs'])];
      expect(sent[2]).toBe("CHANGE REPLICATION SOURCE TO SOURCE_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234");
      expect(sent[3]).toBe("START REPLICA SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000003', RELAY_LOG_POS=5678");
      expect(sent[11]).toBe('START REPLICA SQL_THREAD');
      for (const statement of sent) expect(statement).not.toMatch(/CHANGE MASTER|\bSLAVE\b|MASTER STATUS|MASTER_USE_GTID|MASTER_HOST/);
    }
  });

  it("reads a status row by the dialect's column names; refuses a position that is not a binlog offset", () => {
    const mysql = dialectFromVersion('8.4.3').replica;
    const row = {
      Replica_SQL_Running: 'No',
      Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
      Relay_Log_File: 'relay-bin.000002',
      Relay_Log_Pos: '4711',
      Last_SQL_Errno: '1062',
      Last_SQL_Error: 'Duplicate entry',
    };
    expect(readReplicaStatus(row, mysql)).toEqual({
      sqlRunning: false,
      state: row.Replica_SQL_Running_State,
      relayFile: 'relay-bin.000002',
      relayPos: 4711,
      errno: 1062,
      error: 'Duplicate entry',
    });
    expect(mysql.caughtUp.test(row.Replica_SQL_Running_State)).toBe(true);
    const mariadb = dialectFromVersion('10.11.19-MariaDB').replica;
    const slaveRow = { Slave_SQL_Running: 'Yes', Relay_Log_File: 'relay-bin.000001', Relay_Log_Pos: 99 };
    expect(readReplicaStatus(slaveRow, mariadb)).toMatchObject({ sqlRunning: true, relayPos: 99, errno: 0 });
    expect(mariadb.caughtUp.test('Slave has read all relay log; waiting for more updates')).toBe(true);
    expect(() => mysql.startUntil('relay-bin.000001', 0)).toThrow(/not a binlog offset/);
    expect(mariadb.startAt("x' OR '1", 4)).toContain("RELAY_LOG_FILE='x\\' OR \\'1'");
  });
});

describe('private replay server options and binlog tool per source (pure)', () => {
  it('MariaDB: exactly the options the relay-log replay uses today, mariadbd and mariadb-binlog', () => {
    const mariadb = dialectFromVersion('10.11.19-MariaDB-0+deb12u1');
    expect(mariadb.privateServerArgs({ serverId: 4000000001 })).toEqual([
      '--server-id=4000000001',
      '--relay-log=relay-bin',
      '--relay-log-index=relay-bin.index',
      '--skip-slave-start',
      '--relay-log-purge=0',
      '--relay-log-recovery=0',
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=0',
      '--sync-binlog=0',
      '--slave-parallel-threads=0',
      '--slave-parallel-mode=optimistic',
      '--slave-parallel-max-queued=16777216',
    ]);
    expect(mariadb.privateServerArgs({ serverId: 5, applierThreads: 4 })).toContain('--slave-parallel-threads=4');
    expect(() => mariadb.privateServerArgs({ serverId: 5, applierThreads: -1 })).toThrow(/out of range/);
    expect([mariadb.serverBinary, mariadb.binlogTool, mariadb.clientTool]).toEqual(['mariadbd', 'mariadb-binlog', 'mariadb']);
  });

  it('MariaDB applier threads per host: one applier up to 2 CPUs (measured faster there), then one worker per extra CPU, at most 8', () => {
    expect([1, 2, 3, 4, 16].map(defaultApplierThreads)).toEqual([0, 0, 2, 3, 8]);
  });

  it("MariaDB: the replay names the source binlog with the relay log (parallel workers crash without one); MySQL's statement is unchanged", () => {
    const mariadb = dialectFromVersion('10.11.19-MariaDB').replica;
    expect(mariadb.startAt('relay-bin.000001', 1234, { file: 'mysql-bin.000042', position: 1234 })).toBe(
      "CHANGE MASTER TO MASTER_HOST='snaplog-replay', MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=1234, " +
        "RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234, MASTER_USE_GTID=no",
    );
    expect(mariadb.startAt('relay-bin.000001', 4)).not.toContain('MASTER_LOG_FILE');
    expect(dialectFromVersion('8.4.3').replica.startAt('relay-bin.000001', 4, { file: 'binlog.000001', position: 4 })).not.toContain('SOURCE_LOG_FILE');
  });

  it('MySQL: --skip-replica-start from 8.0.26 (--skip-slave-start before), one applier thread, gtid_mode matching the source, mysqlbinlog', () => {
    const v8026 = dialectFromVersion('8.0.26').privateServerArgs({ serverId: 7, sourceGtids: true });
    const expected = ['--server-id=7', '--relay-log=relay-bin', '--skip-replica-start', '--replica-parallel-workers=0', '--skip-log-bin'];
    expect(v8026).toEqual(expect.arrayContaining(expected));
    expect(v8026).toEqual(expect.arrayContaining(['--gtid-mode=ON', '--enforce-gtid-consistency=ON']));
    expect(v8026).not.toContain('--skip-slave-start');
    const v8025 = dialectFromVersion('8.0.25').privateServerArgs({ serverId: 7, sourceGtids: false });
    expect(v8025).toEqual(expect.arrayContaining(['--skip-slave-start', '--slave-parallel-workers=0', '--gtid-mode=OFF']));
    expect(v8025).not.toContain('--enforce-gtid-consistency=ON');
    expect(dialectFromVersion('5.7.44').privateServerArgs({ serverId: 7 })).toContain('--skip-slave-start');
    expect(dialectFromVersion('8.4.3').privateServerArgs({ serverId: 7 })).toContain('--skip-replica-start');
    expect(['5.7.44', '8.0.25', '8.0.26', '8.4.3', '10.11.19-MariaDB'].map((v) => dialectFromVersion(v).skipReplicaStart)).toEqual([
      '--skip-slave-start',
      '--skip-slave-start',
      '--skip-replica-start',
      '--skip-replica-start',
      '--skip-slave-start',
    ]);
    const mysql = dialectFromVersion('8.4.3');
    expect([mysql.serverBinary, mysql.binlogTool, mysql.clientTool]).toEqual(['mysqld', 'mysqlbinlog', 'mysql']);
    expect(() => mysql.privateServerArgs({ serverId: 0 })).toThrow(/server id/);
  });

  it('gtid_mode of the private server follows the archived logs: ON, OFF, or ON_PERMISSIVE for a mix', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const tagged = { transactionCount: 2, firstTransaction: `${uuid}:1`, lastTransaction: `${uuid}:2` };
    const anonymous = { transactionCount: 2 };
    const empty = { transactionCount: 0 };
    expect(sourceGtidsOf([tagged, empty, tagged])).toBe(true);
    expect(sourceGtidsOf([anonymous, empty])).toBe(false);
    expect(sourceGtidsOf([empty])).toBe(false);
    expect(sourceGtidsOf([anonymous, tagged])).toBe('mixed');
    expect(sourceGtidsOf([{ transactionCount: 3, firstTransaction: `${uuid}:5` }])).toBe('mixed');
    const args = (sourceGtids: boolean | 'mixed'): string[] =>
      dialectFromVersion('8.0.40')
        .privateServerArgs({ serverId: 9, sourceGtids })
        .filter((a) => /gtid/.test(a));
    expect(args(true)).toEqual(['--gtid-mode=ON', '--enforce-gtid-consistency=ON']);
    expect(args(false)).toEqual(['--gtid-mode=OFF']);
    expect(args('mixed')).toEqual(['--gtid-mode=ON_PERMISSIVE']);
  });
});

describe('restore --dry-run speaks the dialect of the server that wrote the logs (pure)', () => {
  const plan = (serverVersion: string) =>
    ({
      snapshot: { id: 's1', serverVersion },
      logs: [
        { name: 'binlog.000041', from: 1234 },
        { name: 'binlog.000042', from: 4 },
      ],
      stop: { file: 'binlog.000042', position: 5678, endOfChain: false },
    }) as unknown as RestorePlan;

  it('MySQL 8.4: CHANGE REPLICATION SOURCE, START REPLICA … UNTIL, mysqlbinlog | mysql', () => {
    const relay = describeRestoreCommands(plan('8.4.3'), 'relay', '/staging');
    expect(relay).toContain("CHANGE REPLICATION SOURCE TO SOURCE_HOST='snaplog-replay', RELAY_LOG_FILE='relay-bin.000001', RELAY_LOG_POS=1234");
    expect(relay).toContain("START REPLICA SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000002', RELAY_LOG_POS=5678");
    expect(relay.join('\n')).not.toMatch(/SLAVE|MASTER/);
    expect(describeRestoreCommands(plan('8.4.3'), 'pipe', '/staging')[0]).toMatch(/^mysqlbinlog .* \| mysql --binary-mode$/);
  });

  it('MariaDB (and an unknown version): today’s statements and tools', () => {
    for (const version of ['10.11.19-MariaDB-0+deb12u1', '']) {
      expect(describeRestoreCommands(plan(version), 'relay', '/staging')).toContain(
        "START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE='relay-bin.000002', RELAY_LOG_POS=5678",
      );
      expect(describeRestoreCommands(plan(version), 'pipe', '/staging')[0]).toMatch(/^mariadb-binlog .* \| mariadb --binary-mode$/);
    }
  });
});
