#!/usr/bin/env node
// Regenerates the README's generated parts: the manifest reference (from the schema) and the command reference
// (`oclif readme`, from the built commands). `npm run docs`; a test fails when the README is out of date.
import {execFileSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {manifestReference} from './manifest-reference.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const readmePath = join(root, 'README.md')

/** Replaces the text between `<!-- NAME -->` and `<!-- NAMEstop -->` (oclif's marker style). */
export function replaceSection(text, name, body) {
  const start = `<!-- ${name} -->`
  const stop = `<!-- ${name}stop -->`
  const a = text.indexOf(start)
  const b = text.indexOf(stop)
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${stop} section`)
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`
}

/** The README as it should be: the manifest reference from the schema, then the command reference from oclif. */
export function generatedReadme() {
  const schema = JSON.parse(readFileSync(join(root, 'schemas/manifest.schema.json'), 'utf8'))
  const withManifest = replaceSection(readFileSync(readmePath, 'utf8'), 'manifest-reference', manifestReference(schema))
  writeFileSync(readmePath + '.tmp', withManifest)
  try {
    const out = execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/oclif/bin/run.js'),
        'readme',
        '--dry-run',
        '--no-aliases',
        '--readme-path',
        'README.md.tmp',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: {...process.env, OCLIF_SKIP_UPDATE_CHECK: '1', NO_COLOR: '1'},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    return out.replace(/^replacing <!-- \w+ --> in .*\n/gm, '')
  } finally {
    rmSync(readmePath + '.tmp', {force: true})
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(readmePath, generatedReadme())
  console.error('README.md: manifest and command references regenerated')
}
