import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    }),
  );
  return nested.flat();
}

/** Every module a file imports (static and dynamic), as a path relative to src/. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(SRC, resolve(file, '..', specifier)));
}

async function crossings(from: string, to: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sourceFiles(join(SRC, from))) {
    for (const target of await importsOf(file)) {
      if (target === to || target.startsWith(`${to}/`)) found.push(`${relative(SRC, file)} → ${target}`);
    }
  }
  return found;
}

describe('the state files shared by ship, freeze and status live in src/state/', () => {
  it('ship/ and freeze/ do not import each other', async () => {
    expect(await crossings('freeze', 'state')).not.toEqual([]); // the scan sees imports at all
    expect(await crossings('ship', 'freeze')).toEqual([]);
    expect(await crossings('freeze', 'ship')).toEqual([]);
  });

  it('state/ imports none of the folders that share it', async () => {
    for (const user of ['ship', 'freeze', 'status', 'cli', 'events', 'engines', 'restore']) {
      expect(await crossings('state', user)).toEqual([]);
    }
  });
});
