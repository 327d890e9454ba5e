/** What is on disk at a hook's path, for install (replace or refuse) and status (report). */
import { lstat, readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { recogniseManaged } from './script.js';
import type { HookMeta, PlannedFile } from './types.js';

export function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code?: unknown }).code === 'ENOENT';
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** 0o700 → '0700'. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

export function onDiskPath(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

export type ExistingHookFile =
  | { kind: 'absent' }
  | { kind: 'managed'; stats: Stats; content: string; meta?: HookMeta }
  | { kind: 'foreign'; stats: Stats; why: string };

/** What is at a hook's path now: nothing, snaplog's file, or someone else's. Never follows a symlink. */
export async function inspectHookFile(onDisk: string, file: Pick<PlannedFile, 'format'>): Promise<ExistingHookFile> {
  const stats = await lstatOrUndefined(onDisk);
  if (stats === undefined) return { kind: 'absent' };
  if (stats.isSymbolicLink()) return { kind: 'foreign', stats, why: 'is a symbolic link' };
  if (!stats.isFile()) return { kind: 'foreign', stats, why: 'is not a regular file' };
  const content = await readFile(onDisk, 'utf8');
  const info = recogniseManaged(content, file.format);
  if (!info.managed) return { kind: 'foreign', stats, why: 'was not written by snaplog (no snaplog-managed marker)' };
  return { kind: 'managed', stats, content, ...(info.meta ? { meta: info.meta } : {}) };
}
