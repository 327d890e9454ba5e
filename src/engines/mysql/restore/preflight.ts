import { constants } from 'node:fs';
import { access, lstat, readdir, readFile, realpath, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { SnaplogError } from '../../../errors.js';
import { readDatadirFacts } from '../datadir-facts.js';
import type { DatadirFacts } from '../datadir-facts.js';
import { readRestoreRecord } from './restore-record.js';

/** A check that failed before anything was fetched or changed. */
export class PreflightError extends SnaplogError {}

const COPY_HINT = 'copy it to a writable disk first (cp -a), or take just some tables: snaplog restore … --tables DB.T,… --export FILE (works on a copy)';

/** Pure: "10.11.19-MariaDB-0+deb12u1" → { mariadb, major, minor }. */
export function parseVersion(text: string): { mariadb: boolean; major: number; minor: number } | undefined {
  const match = /(\d+)\.(\d+)\.\d+/.exec(text);
  return match ? { mariadb: /mariadb/i.test(text), major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** Pure: why a data directory last run by `datadirVersion` cannot be opened by the local `serverVersion`; undefined when it can. */
export function versionProblem(facts: Pick<DatadirFacts, 'version' | 'mysql8Dictionary'>, serverVersion: string): string | undefined {
  const server = parseVersion(serverVersion);
  if (facts.mysql8Dictionary && server?.mariadb)
    return `it is a MySQL 8 data directory (mysql.ibd); the local server is MariaDB ${server.major}.${server.minor}`;
  const data = facts.version ? parseVersion(facts.version) : undefined;
  if (!data || !server) return undefined;
  if (data.mariadb === server.mariadb && (data.major > server.major || (data.major === server.major && data.minor > server.minor))) {
    return `it was last run by ${facts.version}, newer than the local server ${serverVersion}`;
  }
  if (!data.mariadb && server.mariadb && data.major >= 8) return `it was last run by MySQL ${facts.version}; the local server is MariaDB`;
  return undefined;
}

/** Processes that hold a file open (a server's ibdata1 lock comes with an open descriptor), from /proc. */
export async function holdersOf(file: string): Promise<{ pid: number; command: string }[]> {
  const target = await stat(file).catch(() => undefined);
  if (!target) return [];
  const holders: { pid: number; command: string }[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const info = await stat(`/proc/${entry}/fd/${fd}`).catch(() => undefined);
      if (info && info.ino === target.ino && info.dev === target.dev) {
        const command = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '?')).trim();
        holders.push({ pid: Number(entry), command });
        break;
      }
    }
  }
  return holders;
}

async function localServerVersion(): Promise<string | undefined> {
  const result = await execa('mariadbd', ['--version'], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Checks a data directory before a restore fetches or changes anything: it exists, is a MariaDB/MySQL
 * data directory this server can open, no server holds it, and (for a restore in place) it is writable.
 * Returns its facts (for the snapshot identity). Each failure is one error with what to do next.
 */
export async function preflightDatadir(given: string, options: { write: boolean; say?: (line: string) => void }): Promise<DatadirFacts> {
  const info = await lstat(given).catch(() => undefined);
  if (!info) {
    throw new PreflightError(`--datadir ${given} does not exist`, {
      hint: 'attach the restored disk first (snaplog attach --device …) and give the data directory it prints',
    });
  }
  const datadir = await realpath(given);
  if (!(await stat(datadir)).isDirectory()) {
    throw new PreflightError(`--datadir ${given} is not a folder`, {
      hint: 'give the folder that holds ibdata1 and the mysql folder',
    });
  }
  const entries = new Set(await readdir(datadir));
  if (!entries.has('mysql') || !(entries.has('ibdata1') || entries.has('mysql.ibd'))) {
    throw new PreflightError(`${given} is not a MariaDB/MySQL data directory (no ibdata1 and mysql folder in it)`, {
      hint: 'give the folder that holds ibdata1 and the mysql folder; snaplog attach finds it on a restored disk',
    });
  }
  const facts = await readDatadirFacts(datadir);
  const serverVersion = await localServerVersion();
  const problem = serverVersion ? versionProblem(facts, serverVersion) : undefined;
  if (problem) {
    throw new PreflightError(`the local server cannot open ${given}: ${problem}`, {
      hint: 'restore on a machine with the same (or a newer) server version as the database',
    });
  }
  for (const file of ['ibdata1', 'aria_log_control']) {
    const holders = entries.has(file) ? await holdersOf(join(datadir, file)) : [];
    if (holders.length && (await stopLeftoverServer(datadir, holders, options.say))) continue;
    if (holders.length) {
      const who = holders.map((holder) => `${holder.command} (pid ${holder.pid})`).join(', ');
      throw new PreflightError(`${given} is in use: ${who} holds ${file} open`, {
        hint: 'stop that server first (systemctl stop mariadb), or restore onto a copy of the data directory',
      });
    }
  }
  if (options.write) {
    const denied = await access(datadir, constants.W_OK).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error.code,
    );
    if (denied) {
      const why = denied === 'EROFS' ? 'on a read-only file system' : 'not writable';
      throw new PreflightError(`${given} is ${why}: a restore replays onto it in place`, {
        hint: `mount it read-write (snaplog attach without --read-only), ${COPY_HINT}`,
      });
    }
  }
  return facts;
}

/**
 * A private server an earlier restore started and could not stop (snaplog was killed): the restore record
 * names its pid, and its command line names this data directory and a socket in that restore's staging.
 * It is shut down cleanly (the SQL thread stops between transactions), so --resume can go on.
 */
async function stopLeftoverServer(datadir: string, holders: { pid: number }[], say?: (line: string) => void): Promise<boolean> {
  const record = await readRestoreRecord(datadir).catch(() => undefined);
  const pid = record?.serverPid;
  if (!record || !pid || holders.length !== 1 || holders[0]!.pid !== pid) return false;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const ours = argv.includes(`--datadir=${datadir}`) && argv.some((arg) => arg.startsWith(`--socket=${join(record.stagingDir, 'run')}/`));
  if (!ours) return false;
  say?.(`stopping the private server an interrupted restore left running on ${datadir} (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 120_000 && (await running(pid)); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (await running(pid)) process.kill(pid, 'SIGKILL');
  for (let waited = 0; waited < 10_000 && (await running(pid)); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  return !(await running(pid));
}

/** A process that still runs (an exited one waiting to be reaped counts as gone). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return stat !== '' && state !== 'Z' && state !== 'X';
}

/** Free bytes for an unprivileged writer on the file system of `path` (or of its nearest existing parent). */
async function freeBytes(path: string): Promise<{ free: number; device: number }> {
  let at = path;
  for (;;) {
    const info = await stat(at).catch(() => undefined);
    if (info) {
      const fs = await statfs(at);
      return { free: fs.bavail * fs.bsize, device: info.dev };
    }
    if (dirname(at) === at) throw new PreflightError(`no file system for ${path}`, { hint: 'give an existing folder' });
    at = dirname(at);
  }
}

const MARGIN = 64 * 1048576;

/**
 * Pure: the bytes a replay needs on each file system. The fetched logs go to staging (linked into the
 * data directory when both are on one file system, copied otherwise), and the replay writes about as
 * much again into the data directory; plus a margin for InnoDB's own growth.
 */
export function roomNeeded(bytesToFetch: number, bytesToReplay: number, sameFileSystem: boolean): { datadir: number; staging: number } {
  if (sameFileSystem) return { datadir: bytesToFetch + bytesToReplay + MARGIN, staging: 0 };
  return { datadir: bytesToFetch + bytesToReplay + MARGIN, staging: bytesToFetch };
}

export async function checkRoom(datadir: string, stagingDir: string, bytesToFetch: number, bytesToReplay: number): Promise<void> {
  const data = await freeBytes(datadir);
  const staging = await freeBytes(stagingDir);
  const needed = roomNeeded(bytesToFetch, bytesToReplay, data.device === staging.device);
  const mb = (bytes: number): string => `${Math.ceil(bytes / 1048576)} MB`;
  if (data.free < needed.datadir) {
    throw new PreflightError(`not enough room for the replay on the disk of ${datadir}: ${mb(data.free)} free, about ${mb(needed.datadir)} needed`, {
      hint: 'grow or free that disk, or give --staging DIR on another disk for the fetched logs, then run the command again',
    });
  }
  if (staging.free < needed.staging) {
    throw new PreflightError(`not enough room for the fetched logs in ${stagingDir}: ${mb(staging.free)} free, ${mb(needed.staging)} needed`, {
      hint: 'give --staging DIR on a disk with more room',
    });
  }
}
