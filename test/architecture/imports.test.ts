import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The allowed imports between the folders of src/, as data. A rule names the files it applies to (`from`,
 * a path prefix under src/) and the imports they may not have (`mayNotImport`, path prefixes), with
 * exceptions (`except`: prefixes, or files directly in a folder with `/*`).
 */
interface ImportRule {
  from: string;
  mayNotImport: string;
  except?: string[];
  why: string;
}

const RULES: ImportRule[] = [
  { from: 'engines/', mayNotImport: 'restore/', why: 'engines sit below the restore conductor: what they share with it lives below them' },
  { from: 'engines/', mayNotImport: 'cli/', why: 'engines do not know the command line' },
  {
    from: 'cli/',
    mayNotImport: 'engines/',
    except: ['engines/*'],
    why: "the CLI asks the registry (engines/registry.ts, engines/types.ts and the other engine-neutral files directly in engines/), never an engine's folder",
  },
];

/** Import cycles between top-level folders that exist today and are being taken apart elsewhere; nothing may be added. */
const KNOWN_FOLDER_CYCLES: string[] = [
  'archive <-> engines', // archive/ uses engines/types.ts (CloseMarker) and engines/source-file.ts: the archive's own redesign removes it
  'freeze <-> ship', // freeze and ship read each other's state files: they move to one room
];

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import (static, `import type`, `export … from`, dynamic) of every file, as paths under src/. */
function importsOf(): { file: string; target: string }[] {
  return sourceFiles(SRC).flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    const file = relative(SRC, path);
    return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) => ({
      file,
      target: relative(SRC, resolve(dirname(path), match[1]!)).replace(/\.js$/, '.ts'),
    }));
  });
}

function excepted(target: string, except: string[] | undefined): boolean {
  return (except ?? []).some((pattern) => (pattern.endsWith('/*') ? dirname(target) === pattern.slice(0, -2) : target.startsWith(pattern)));
}

const topFolder = (file: string): string => (file.includes('/') ? file.split('/')[0]! : '.');

describe('imports between the folders of src/', () => {
  const imports = importsOf();

  it('finds the imports it checks (the walk works)', () => {
    expect(imports.length).toBeGreaterThan(500);
    expect(imports).toContainEqual({ file: 'cli/restore.ts', target: 'engines/registry.ts' });
  });

  for (const rule of RULES) {
    it(`no ${rule.from} file imports ${rule.mayNotImport}${rule.except ? ` (except ${rule.except.join(', ')})` : ''}: ${rule.why}`, () => {
      const broken = imports
        .filter(({ file, target }) => file.startsWith(rule.from) && target.startsWith(rule.mayNotImport) && !excepted(target, rule.except))
        .map(({ file, target }) => `${file} -> ${target}`);
      expect(broken).toEqual([]);
    });
  }

  it('no import cycle between top-level folders beyond the known ones', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, target } of imports) {
      const from = topFolder(file);
      const to = topFolder(target);
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    // A cycle of any length: a folder that reaches itself. Reported as the pair of folders that reach each other.
    const reaches = (from: string, to: string): boolean => {
      const seen = new Set<string>();
      const walk = (at: string): boolean => [...(edges.get(at) ?? [])].some((next) => next === to || (!seen.has(next) && (seen.add(next), walk(next))));
      return walk(from);
    };
    const folders = [...edges.keys()].sort();
    const cycles = folders.flatMap((a) => folders.filter((b) => a < b && edges.get(a)?.has(b) && reaches(b, a)).map((b) => `${a} <-> ${b}`));
    expect(cycles.filter((cycle) => !KNOWN_FOLDER_CYCLES.includes(cycle))).toEqual([]);
  });
});
