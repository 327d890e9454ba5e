import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');
const archiveDir = join(src, 'archive');

/** The archive's internals: where things live and how they are stored. Only src/archive/ may use them. */
const INTERNAL_MODULES = ['layout', 'storage', 'posix-driver', 'blob-driver'].map((name) => join(archiveDir, `${name}.ts`));

async function sourcesOutsideArchive(): Promise<string[]> {
  const all = (await readdir(src, { recursive: true })).map(String).filter((file) => file.endsWith('.ts'));
  return all.map((file) => join(src, file)).filter((file) => !file.startsWith(`${archiveDir}/`));
}

function importedFiles(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
}

describe('the archive owns its layout', () => {
  it('no file outside src/archive/ imports layout.ts, the storage drivers, or reaches an Archive\'s storage', async () => {
    const offences: string[] = [];
    for (const file of await sourcesOutsideArchive()) {
      const text = await readFile(file, 'utf8');
      const name = relative(root, file);
      for (const imported of importedFiles(file, text)) {
        if (INTERNAL_MODULES.includes(imported)) offences.push(`${name} imports ${relative(root, imported)}`);
      }
      if (/\bstorageOf\b/.test(text)) offences.push(`${name} uses storageOf`);
      if (/\.storage\b/.test(text)) offences.push(`${name} reaches .storage`);
    }
    expect(offences).toEqual([]);
  });

  it('sees the imports it checks (a file that imports layout.ts would be caught)', () => {
    const file = join(src, 'ship', 'example.ts');
    expect(importedFiles(file, "import { logsDir } from '../archive/layout.js';\nconst x = await import('../archive/storage.js');")).toEqual(
      INTERNAL_MODULES.slice(0, 2),
    );
  });
});
