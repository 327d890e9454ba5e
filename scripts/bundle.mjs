#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ after tsc (`npm run build`): main.js is the entry bin/snaplog loads, and
// every command's code is a chunk loaded only when that command runs (the lazy loading of src/cli/main.ts
// kept). A hook or the freeze holder then starts by reading a handful of files instead of a hundred modules.
// Dependencies are bundled too, except the two that are only ever imported on demand and are large or
// native: oracledb (Oracle restores) and @azure/storage-blob (blob archives); they load from node_modules.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['oracledb', '@azure/storage-blob'],
  // Bundled CommonJS dependencies call require(): give every chunk one.
  banner: { js: "import { createRequire as __snaplogCreateRequire } from 'node:module'; const require = __snaplogCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
