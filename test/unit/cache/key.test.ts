import {chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {diffKeyInputs, expand, MISSING, programsOf, stepKey, type KeyOptions} from '../../../src/cache/key.js'
import type {StepDefinition} from '../../../src/manifest/manifest.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

const tempDir = tempDirPerTest('dcsnap-key-')

/** A manifest directory with a step script, a helper it sources, and an input tree. */
function checkout(dir: string): string {
  mkdirSync(join(dir, 'steps'), {recursive: true})
  mkdirSync(join(dir, 'conf', 'sub'), {recursive: true})
  writeFileSync(join(dir, 'steps', 'trim.sh'), '#!/bin/sh\n. ./steps/lib.sh\nrm -rf "$DCSNAP_PROTO/usr/share/doc"\n')
  chmodSync(join(dir, 'steps', 'trim.sh'), 0o755)
  writeFileSync(join(dir, 'steps', 'lib.sh'), 'x=1\n')
  writeFileSync(join(dir, 'conf', 'a.conf'), 'a\n')
  writeFileSync(join(dir, 'conf', 'sub', 'b.conf'), 'b\n')
  writeFileSync(join(dir, 'conf', '.hidden.conf'), 'h\n')
  return dir
}

const step = (over: Partial<StepDefinition> = {}): StepDefinition => ({
  name: 'trim',
  index: 3,
  run: './steps/trim.sh --all',
  env: {LANG: 'C'},
  ...over,
})

async function key(dir: string, over: Partial<KeyOptions> = {}) {
  return stepKey({step: step(), manifestDir: dir, inputs: ['steps/lib.sh', 'conf'], parent: 'p1', ...over})
}

test('the same manifest tree checked out at two paths gives the same key', async () => {
  const a = checkout(join(tempDir(), 'a'))
  const b = join(tempDir(), 'elsewhere', 'b')
  cpSync(a, b, {recursive: true})
  expect((await key(a)).key).toBe((await key(b)).key)
})

test('description and timeout are not in the key; run, env and the parent are', async () => {
  const dir = checkout(tempDir())
  const base = await key(dir)
  expect((await key(dir, {step: step({description: 'other words', timeoutMs: 5000})})).key).toBe(base.key)
  const env = await key(dir, {step: step({env: {LANG: 'de_DE'}})})
  expect(env.key).not.toBe(base.key)
  expect(diffKeyInputs(base.inputs, env.inputs)).toEqual([{kind: 'env', name: 'LANG', change: 'changed'}])
  const more = await key(dir, {step: step({env: {LANG: 'C', TZ: 'UTC'}})})
  expect(diffKeyInputs(base.inputs, more.inputs)).toEqual([{kind: 'env', name: 'TZ', change: 'appeared'}])
  const run = await key(dir, {step: step({run: './steps/trim.sh --some'})})
  expect(diffKeyInputs(base.inputs, run.inputs)).toEqual([{kind: 'definition', name: 'run', change: 'changed'}])
  const parent = await key(dir, {parent: 'p2'})
  expect(diffKeyInputs(base.inputs, parent.inputs)).toEqual([{kind: 'parent', name: 'parent', change: 'changed'}])
})

test('an edited script the step runs changes the key, and the difference names the file', async () => {
  const dir = checkout(tempDir())
  const base = await key(dir)
  writeFileSync(join(dir, 'steps', 'trim.sh'), '#!/bin/sh\nrm -rf "$DCSNAP_PROTO/usr/share/man"\n')
  const edited = await key(dir)
  expect(edited.key).not.toBe(base.key)
  expect(diffKeyInputs(base.inputs, edited.inputs)).toEqual([
    {kind: 'program', name: 'steps/trim.sh', change: 'changed'},
  ])
})

test('a mode change of the script counts; its mtime does not', async () => {
  const dir = checkout(tempDir())
  const base = await key(dir)
  const {utimesSync} = await import('node:fs')
  utimesSync(join(dir, 'steps', 'trim.sh'), new Date(0), new Date(0))
  expect((await key(dir)).key).toBe(base.key)
  chmodSync(join(dir, 'steps', 'trim.sh'), 0o644)
  expect((await key(dir)).key).not.toBe(base.key)
})

test('inputs: a file in a listed directory that appears, changes or goes is named', async () => {
  const dir = checkout(tempDir())
  const base = await key(dir, {inputs: ['conf/**/*.conf']})
  expect(base.inputs.filter(i => i.kind === 'input').map(i => i.name)).toEqual(['conf/a.conf', 'conf/sub/b.conf'])
  writeFileSync(join(dir, 'conf', 'c.conf'), 'c\n')
  rmSync(join(dir, 'conf', 'a.conf'))
  writeFileSync(join(dir, 'conf', 'sub', 'b.conf'), 'B\n')
  const after = await key(dir, {inputs: ['conf/**/*.conf']})
  expect(diffKeyInputs(base.inputs, after.inputs)).toEqual([
    {kind: 'input', name: 'conf/c.conf', change: 'appeared'},
    {kind: 'input', name: 'conf/sub/b.conf', change: 'changed'},
    {kind: 'input', name: 'conf/a.conf', change: 'went'},
  ])
})

test('an input that does not exist is in the key as missing, and appearing changes it', async () => {
  const dir = checkout(tempDir())
  const base = await key(dir, {inputs: ['extra.list']})
  expect(base.inputs.find(i => i.name === 'extra.list')?.digest).toBe(MISSING)
  writeFileSync(join(dir, 'extra.list'), 'pkg\n')
  const after = await key(dir, {inputs: ['extra.list']})
  expect(diffKeyInputs(base.inputs, after.inputs)).toEqual([{kind: 'input', name: 'extra.list', change: 'appeared'}])
})

test('programs: only words that are files inside the manifest tree, by their path relative to it', async () => {
  const dir = checkout(tempDir())
  symlinkSync('/bin/sh', join(dir, 'sh-link'))
  expect(await programsOf('sh -c "./steps/trim.sh x" && true', dir)).toEqual([])
  expect(await programsOf('./steps/trim.sh && steps/lib.sh; /bin/true ../outside', dir)).toEqual([
    'steps/lib.sh',
    'steps/trim.sh',
  ])
  expect(await programsOf(['bash', join(dir, 'steps', 'trim.sh'), 'sh-link'], dir)).toEqual(['steps/trim.sh'])
})

test('globs: * ? [..] and ** within the tree; dot files only for a dot pattern', async () => {
  const dir = checkout(tempDir())
  expect(await expand(dir, 'conf/*.conf')).toEqual(['conf/a.conf'])
  expect(await expand(dir, 'conf/.*.conf')).toEqual(['conf/.hidden.conf'])
  expect(await expand(dir, 'conf/?.conf')).toEqual(['conf/a.conf'])
  expect(await expand(dir, 'conf/[ab].conf')).toEqual(['conf/a.conf'])
  expect(await expand(dir, '**/b.conf')).toEqual(['conf/sub/b.conf'])
  expect(await expand(dir, 'conf')).toEqual(['conf'])
  expect(await expand(dir, 'nothing/*')).toEqual([])
})
