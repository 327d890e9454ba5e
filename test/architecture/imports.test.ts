import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The allowed imports between the folders of src/, as data: ARCHITECTURE.md's table. A folder may import
 * the folders listed for it (and the shared files directly in src/); anything else fails here, so the layering
 * cannot rot silently. `engines` means the engine-neutral files directly in src/engines/ (types, registry,
 * the shared planner); an engine's own folder (src/engines/<name>/) is reached only through the registry.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  config: [],
  archive: ['config'],
  state: ['archive'],
  events: ['state'],
  engines: ['config', 'archive', 'state', 'events'],
  ship: ['engines', 'archive', 'state', 'events', 'config'],
  freeze: ['engines', 'archive', 'state', 'events', 'config'],
  restore: ['engines', 'archive', 'events'],
  status: ['engines', 'archive', 'state', 'config'],
  attach: ['engines', 'archive'],
  report: ['engines', 'archive'],
  hooks: ['freeze'],
  demo: ['engines', 'archive', 'config', 'events', 'state'],
  cli: ['config', 'archive', 'state', 'events', 'engines', 'ship', 'freeze', 'restore', 'status', 'attach', 'report', 'hooks', 'demo'],
};

/** Exceptions by file, each with its reason. */
const ALLOWED_ENGINE_FOLDER_IMPORTS: Record<string, string> = {
  'demo/scenario.ts': 'the demo is a scenario on a throwaway MariaDB: it starts a private server and searches binlogs itself',
};

/** The archive's internals: where things live and how they are stored. Only src/archive/ uses them; everyone else asks Archive. */
const ARCHIVE_INTERNALS = ['archive/layout.ts', 'archive/storage.ts', 'archive/posix-driver.ts', 'archive/blob-driver.ts'];

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

interface Import {
  file: string;
  target: string;
}

/** Every relative import (static, `import type`, `export … from`, dynamic) in `text`, as a path under src/. */
function importsIn(file: string, text: string): Import[] {
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) => ({
    file,
    target: relative(SRC, resolve(SRC, dirname(file), match[1]!)).replace(/\.js$/, '.ts'),
  }));
}

const files = sourceFiles(SRC).map((path) => ({ file: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const imports = files.flatMap(({ file, text }) => importsIn(file, text));

/** The layer a file belongs to: its top folder ('.' for the shared files directly in src/); engine folders apart. */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts.length === 1) return '.';
  if (parts[0] === 'engines' && parts.length > 2) return `engines/${parts[1]}`;
  return parts[0]!;
}

const isEngineFolder = (layer: string): boolean => layer.startsWith('engines/');

/** Whether an import from layer `from` to layer `to` keeps to the table. */
function allowed(from: string, to: string, file: string): boolean {
  if (from === to || to === '.') return true;
  if (isEngineFolder(to)) return from === 'engines' || ALLOWED_ENGINE_FOLDER_IMPORTS[file] !== undefined;
  if (isEngineFolder(from)) return to === 'engines' || MAY_IMPORT.engines!.includes(to);
  if (from === '.') return false;
  return (MAY_IMPORT[from] ?? []).includes(to);
}

describe('imports between the folders of src/ (ARCHITECTURE.md)', () => {
  it('finds the imports it checks (the walk works, every folder is in the table)', () => {
    expect(imports.length).toBeGreaterThan(500);
    expect(imports).toContainEqual({ file: 'cli/restore.ts', target: 'engines/registry.ts' });
    const folders = new Set(files.map(({ file }) => layerOf(file)).filter((layer) => layer !== '.' && !isEngineFolder(layer)));
    expect([...folders].filter((folder) => !(folder in MAY_IMPORT))).toEqual([]);
  });

  it('every import keeps to the table: lower layers never import higher ones, engine folders only through the registry', () => {
    const broken = imports.filter(({ file, target }) => !allowed(layerOf(file), layerOf(target), file)).map(({ file, target }) => `${file} -> ${target}`);
    expect(broken).toEqual([]);
  });

  it('no engine imports another engine, and no engine imports restore/ or cli/', () => {
    const broken = imports.filter(({ file, target }) => {
      const from = layerOf(file);
      const to = layerOf(target);
      return isEngineFolder(from) && from !== to && (isEngineFolder(to) || to === 'restore' || to === 'cli');
    });
    expect(broken).toEqual([]);
  });

  it('the table itself has no cycle, so neither has src/', () => {
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      (MAY_IMPORT[from] ?? []).some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
    expect(Object.keys(MAY_IMPORT).filter((folder) => reaches(folder, folder))).toEqual([]);
  });

  it('no import cycle between files (value imports; `import type` is erased and cannot form one at run time)', () => {
    const valueImports = files.flatMap(({ file, text }) => importsIn(file, text.replace(/^(import|export) type [^;]*;$/gm, '')));
    const edges = new Map<string, string[]>();
    for (const { file, target } of valueImports) edges.set(file, [...(edges.get(file) ?? []), target]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const { file } of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("the archive owns its layout: no file outside src/archive/ imports its internals or reaches an Archive's storage", () => {
    const offences = [
      ...imports
        .filter(({ file, target }) => layerOf(file) !== 'archive' && ARCHIVE_INTERNALS.includes(target))
        .map(({ file, target }) => `${file} imports ${target}`),
      ...files
        .filter(({ file, text }) => layerOf(file) !== 'archive' && (/\bstorageOf\b/.test(text) || /\.storage\b/.test(text)))
        .map(({ file }) => `${file} reaches an Archive's storage`),
    ];
    expect(offences).toEqual([]);
  });

  it('catches what it is meant to catch (a hand-made offence of each kind)', () => {
    const planted: Import[] = [
      ...importsIn('archive/push.ts', "import type { Engine } from '../engines/types.js';"),
      ...importsIn('cli/plan.ts', "const { x } = await import('../engines/mysql/restore/plan.js');"),
      ...importsIn('engines/oracle/engine.ts', "export { y } from '../mysql/engine.js';"),
      ...importsIn('ship/shipper.ts', "import { z } from '../freeze/holder.js';"),
    ];
    expect(planted.filter(({ file, target }) => !allowed(layerOf(file), layerOf(target), file))).toHaveLength(4);
    expect(importsIn('ship/shipper.ts', "import { logsDir } from '../archive/layout.js';")[0]!.target).toBe('archive/layout.ts');
  });
});
