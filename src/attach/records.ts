import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ensurePrivateDir, readFileNoFollow, writeNewFile } from '../safe-files.js';
import type { AttachRecord } from './attach.js';

/**
 * Attach records live in a root-only folder, never beside a mount point that a user may write: detach
 * acts (umount, losetup -d, run a recovery script) on what a record says.
 */
export function attachRecordsDir(): string {
  return join(process.env['SNAPLOG_RUN_DIR'] ?? '/run/snaplog', 'attach');
}

export function attachRecordFile(mountDir: string): string {
  return join(attachRecordsDir(), `${createHash('sha256').update(resolve(mountDir)).digest('hex').slice(0, 32)}.json`);
}

async function ensureRecordsDir(): Promise<void> {
  await ensurePrivateDir(join(attachRecordsDir(), '..'));
  await ensurePrivateDir(attachRecordsDir());
}

export async function hasAttachRecord(mountDir: string): Promise<boolean> {
  return (await readAttachRecord(mountDir)) !== undefined;
}

export async function writeAttachRecord(record: AttachRecord): Promise<void> {
  await ensureRecordsDir();
  await writeNewFile(attachRecordFile(record.mountDir), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readAttachRecord(mountDir: string): Promise<AttachRecord | undefined> {
  await ensureRecordsDir();
  let text: string;
  try {
    text = (await readFileNoFollow(attachRecordFile(mountDir))).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const record = JSON.parse(text) as AttachRecord;
  if (record.mountDir !== resolve(mountDir)) {
    throw new UsageError(
      `the attach record for ${mountDir} names another mount point (${record.mountDir})`,
      `remove ${attachRecordFile(mountDir)} and unmount by hand`,
    );
  }
  return record;
}

export async function removeAttachRecord(mountDir: string): Promise<void> {
  await unlink(attachRecordFile(mountDir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
