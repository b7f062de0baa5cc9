// Bundles the CLI with esbuild. Commands are split into chunks loaded on demand, so
// `promptops --help` parses only the entry chunk. tiktoken (WASM loaded from its own folder)
// stays external, as does DuckDB (a native addon per platform).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const COMMON = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  minify: process.env.PROMPTOPS_NO_MINIFY !== '1',
  sourcemap: 'linked',
  metafile: true,
};

const result = await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  ...COMMON,
  splitting: true,
  external: ['tiktoken', '@duckdb/node-api'],
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    // Bundled CommonJS dependencies call require(); give ESM chunks one.
    js: "import { createRequire as __promptopsCreateRequire } from 'node:module'; const require = __promptopsCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The runtime client services embed: its own bundle (no chunks shared with the CLI), so importing
// `promptops/runtime` loads nothing of the toolchain.
const runtime = await build({
  entryPoints: { runtime: 'src/runtime/index.ts' },
  outdir: 'dist',
  ...COMMON,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
const entry = result.metafile.outputs['dist/cli.js'];
console.log(`built dist/: ${outputs.length} files, ${(total / 1024).toFixed(0)} KB; cli entry ${(entry.bytes / 1024).toFixed(1)} KB`);
console.log(`built dist/runtime.js: ${(runtime.metafile.outputs['dist/runtime.js'].bytes / 1024).toFixed(1)} KB`);
