#!/usr/bin/env node
// Writes oclif.manifest.json from the compiled commands, so the CLI starts without importing them all.
// (What `oclif manifest` does, without the oclif tool's large dependency tree.)
import {writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Plugin} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({
  root,
  type: 'core',
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
})
await plugin.load()
const ids = Object.keys(plugin.manifest.commands)
if (ids.length === 0) throw new Error('no commands found under dist/commands: run tsc first')
await writeFile(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2) + '\n')
