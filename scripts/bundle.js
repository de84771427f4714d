#!/usr/bin/env node
// Bundles the CLI (oclif and the commands) into dist/cli/, so start-up reads a few files instead of hundreds.
// The library parts the commands import lazily become separate chunks, loaded only by the command that runs.
// oclif's command_not_found hook is an entry of its own (dist/cli/hooks/not-found.js, package.json oclif.hooks), so
// the package ships it without dist/commands. No source maps: see docs/decisions.md, "Packaging".
import {build} from 'esbuild'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await build({
  entryPoints: {
    dcsnap: join(root, 'dist', 'commands', 'index.js'),
    'hooks/not-found': join(root, 'dist', 'commands', 'hooks', 'not-found.js'),
  },
  outdir: join(root, 'dist', 'cli'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
  // oclif can load TypeScript commands in development; the built CLI never does.
  external: ['typescript', 'ts-node', 'tsx'],
  // Some dependencies are CommonJS and call require(): give the ESM bundle one.
  banner: {
    js: "import {createRequire as __dcsnapRequire} from 'node:module'; const require = __dcsnapRequire(import.meta.url);",
  },
})
