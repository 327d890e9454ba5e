import type { BinlogKey } from '../binlog/decrypt.js';
import { DecryptingFramer } from '../binlog/decrypting-stream.js';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startPrivateServer } from '../private-server.js';
import type { ServerKeyFile } from '../private-server.js';
import { chownOwnFile, makeOwnFolder, writeOwnFile } from '../own-files.js';
import type { Owner } from '../own-files.js';
import { LOG_EVENT_BINLOG_IN_USE_F } from '../binlog/constants.js';

/** Byte offset of the format description event's flags: 4 (magic) + 17 (header up to flags). */
const FDE_FLAGS_OFFSET = 21;

export interface CrashRecoveryRequest {
  datadir: string;
  runDir: string;
  /** The archived binlog the snapshot's position stands in (already fetched and checked). */
  snapshotLogPath: string;
  snapshotLogName: string;
  snapshotPosition: number;
  /**
   * The archived binlogs from the one named by the last binlog checkpoint before the snapshot position
   * up to the one before the snapshot's: MariaDB's recovery starts reading there.
   */
  earlierLogs?: { path: string; name: string }[];
  serverArgs?: string[];
  /** Encrypted binlogs: the key the recovering server reads the snapshot's binlog with. */
  binlogKey?: ServerKeyFile;
  /** The data directory's owner: the server runs as it and gets the recovery binlogs (handed over files first, then the folder). */
  owner?: Owner;
  signal?: AbortSignal;
}

/**
 * A snapshot is a crash image: InnoDB may hold transactions that were prepared and written to the binlog
 * but whose commit record never reached the redo log, and others prepared but blocked before the binlog.
 * MariaDB settles both from the binlog that was open at the crash. That binlog is the archived copy of
 * the snapshot's log cut at the snapshot's position, marked in use again (the flag is outside the
 * event's CRC): a private server started on it commits exactly the transactions before the position and
 * rolls back the rest, then shuts down cleanly. The live server's own binlogs are never touched.
 */
export async function recoverSnapshotDatadir(request: CrashRecoveryRequest): Promise<{ innodbBinlog?: { file: string; position: number } }> {
  const binlogDir = join(request.runDir, 'recovery-binlog');
  await rm(binlogDir, { recursive: true, force: true });
  await mkdir(request.runDir, { recursive: true, mode: 0o711 });
  await makeOwnFolder(binlogDir);
  const copy = join(binlogDir, request.snapshotLogName);
  // A fresh folder of ours; still, the names are created exclusively and never followed.
  await copyFile(request.snapshotLogPath, copy, constants.COPYFILE_EXCL); // trusted: O_EXCL creates the name
  const handle = await open(copy, constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    const flags = Buffer.alloc(2);
    await handle.read(flags, 0, 2, FDE_FLAGS_OFFSET);
    flags.writeUInt16LE(flags.readUInt16LE(0) | LOG_EVENT_BINLOG_IN_USE_F, 0);
    await handle.write(flags, 0, 2, FDE_FLAGS_OFFSET);
    await handle.truncate(request.snapshotPosition);
  } finally {
    await handle.close();
  }
  const base = request.snapshotLogName.replace(/\.\d+$/, '');
  const index = join(binlogDir, `${base}.index`);
  const files: string[] = [];
  for (const log of request.earlierLogs ?? []) {
    const earlier = join(binlogDir, log.name);
    await copyFile(log.path, earlier, constants.COPYFILE_EXCL); // trusted: O_EXCL creates the name
    files.push(earlier);
  }
  files.push(copy);
  await writeOwnFile(index, `${files.join('\n')}\n`, { mode: 0o600 });
  if (request.owner) {
    for (const file of [...files, index]) await chownOwnFile(file, request.owner);
    const folder = await open(binlogDir, 'r');
    try {
      await folder.chown(request.owner.uid, request.owner.gid);
    } finally {
      await folder.close();
    }
  }
  const runDir = join(request.runDir, 'recovery');
  await rm(runDir, { recursive: true, force: true });
  const server = await startPrivateServer({
    runDir,
    datadir: request.datadir,
    owner: request.owner,
    signal: request.signal,
    binlogKey: request.binlogKey,
    args: [`--log-bin=${join(binlogDir, base)}`, `--log-bin-index=${index}`, '--server-id=4000000002', '--skip-slave-start', ...(request.serverArgs ?? [])],
  });
  await server.stop();
  const innodbBinlog = lastInnodbBinlog(await readFile(server.errorLog, 'utf8').catch(() => ''));
  return innodbBinlog ? { innodbBinlog } : {};
}

/** Pure: InnoDB's "Last binlog file '…/mysql-bin.000002', position 640" (printed after its redo is applied: exact). */
export function lastInnodbBinlog(errorLog: string): { file: string; position: number } | undefined {
  const matches = [...errorLog.matchAll(/Last binlog file '([^']*)', position (\d+)/g)];
  const last = matches[matches.length - 1];
  return last ? { file: last[1]!.split('/').pop()!, position: Number(last[2]) } : undefined;
}

const BINLOG_CHECKPOINT_EVENT = 161;

/**
 * Pure: the log named by the last MariaDB BINLOG_CHECKPOINT event in `head` (a binlog's bytes up to the
 * snapshot position) — the oldest log whose transactions crash recovery may still need. Walks event
 * headers only (type at +4, size at +9; the body starts with the name's length).
 */
export function lastCheckpointLog(stored: Buffer, key?: BinlogKey): string | undefined {
  const head = key ? decryptedCopy(stored, key) : stored;
  let name: string | undefined;
  for (let at = 4; at + 19 <= head.length; ) {
    const size = head.readUInt32LE(at + 9);
    if (size < 19 || at + size > head.length) break;
    if (head[at + 4] === BINLOG_CHECKPOINT_EVENT) {
      const length = head.readUInt32LE(at + 19);
      name = head.subarray(at + 23, at + 23 + length).toString('latin1');
    }
    at += size;
  }
  return name;
}

/** The plain bytes of an encrypted binlog's head (the checkpoint events are encrypted like the rest). */
function decryptedCopy(stored: Buffer, key: BinlogKey): Buffer {
  const parts: Buffer[] = [];
  const framer = new DecryptingFramer(key, (chunk) => parts.push(Buffer.from(chunk)));
  framer.push(stored);
  framer.finish();
  return Buffer.concat(parts);
}
