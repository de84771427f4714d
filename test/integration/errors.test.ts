import {expect} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {DiffEntry, ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {has, shOk} from '../support/zfs-host.js'

let pool: TestPool
beforeAll(async () => {
  pool = await createTestPool()
})
afterAll(async () => pool.destroy())

test('zfs not found: exit 127 with what to do', async () => {
  const r = await dcsnap(['list', ...pool.flags], {env: {DCSNAP_ZFS: '/nonexistent/zfs'}})
  expect(r.exitCode).toBe(127)
  expect(r.stderr).toMatch(/cannot run zfs: `\/nonexistent\/zfs` was not found/)
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
})

test('a dataset that does not exist is an input error (exit 2); --json gives the SPEC error object', async () => {
  const r = await dcsnapJson(['list', '-d', `${pool.name}/nope`])
  expect(r.exitCode).toBe(2)
  expect(r.json).toEqual({
    error: {
      code: 'NO_SUCH_DATASET',
      message: expect.stringMatching(/does not exist/),
      exitCode: 2,
      hint: expect.any(String),
      details: {stderr: expect.stringMatching(/does not exist/)},
    },
  })
})

test('an unknown flag is a usage error (exit 2)', async () => {
  const r = await dcsnap(['list', '--bogus'])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/--bogus/)
})

test.each([
  [['rollbak', 'dc-1'], 'unknown command "rollbak"', 'Did you mean `dcsnap rollback`?'],
  [['sandbox', 'creat'], 'unknown command "sandbox creat"', 'Did you mean `dcsnap sandbox create`?'],
  [['frobnicate'], 'unknown command "frobnicate"', '`dcsnap --help` lists the commands.'],
])('an unknown command %j is invalid usage (exit 2) naming the nearest one', async (argv, message, hint) => {
  const r = await dcsnap(argv)
  expect(r).toMatchObject({exitCode: 2, stdout: ''})
  expect(r.stderr).toBe(
    `error: ${message}\n${hint}${hint.startsWith('Did') ? ' `dcsnap --help` lists the commands.' : ''}`,
  )
  const j = await dcsnapJson(argv)
  expect(j).toMatchObject({exitCode: 2, json: {error: {code: 'UNKNOWN_COMMAND', message, exitCode: 2}}})
})

test('no manifest and no -d says how to name the datasets', async () => {
  const r = await dcsnap(['list'], {cwd: mkdtempSync(join(tmpdir(), 'dcsnap-empty-'))})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/no \.\/dcsnap\.yaml here/)
})

test('-m reads the datasets of a manifest; a bad one points at file:line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-m-'))
  writeFileSync(
    join(dir, 'dcsnap.yaml'),
    `version: 1\nname: t\ndatasets:\n  proto: ${pool.proto}\n  cache: ${pool.cache}\nsteps: []\n`,
  )
  const ok = await dcsnapJson<ListView>(['list'], {cwd: dir})
  expect(ok.exitCode).toBe(0)
  expect(ok.json.datasets).toEqual([pool.proto, pool.cache])
  writeFileSync(join(dir, 'bad.yaml'), 'version: 1\ndatasets:\n  proto: 42\n')
  const bad = await dcsnap(['list', '-m', join(dir, 'bad.yaml')])
  expect(bad.exitCode).toBe(2)
  expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:3:10: datasets.proto must be a dataset name`)
  writeFileSync(join(dir, 'syntax.yaml'), 'datasets:\n  proto: [unclosed\n')
  const syntax = await dcsnap(['list', '-m', join(dir, 'syntax.yaml')])
  expect(syntax.exitCode).toBe(2)
  expect(syntax.stderr).toMatch(/syntax\.yaml:\d+:\d+: /)
})

const onOpenZfs = has.diff ? test : test.skip
onOpenZfs(
  'diff lists the files changed in the proto area since a snapshot (OpenZFS; zfs-fuse has no zfs diff)',
  async () => {
    await dcsnap(['snapshot', 'before-diff', ...pool.flags])
    await shOk(`echo new > ${pool.mountpoint}/proto/new.txt`)
    const r = await dcsnapJson<{changes: DiffEntry[]}>(['diff', 'before-diff', ...pool.flags])
    expect(r.exitCode).toBe(0)
    expect(r.json.changes).toContainEqual(
      expect.objectContaining({change: 'added', path: `${pool.mountpoint}/proto/new.txt`}),
    )
  },
)

const onLegacy = has.diff ? test.skip : test
onLegacy('diff on a ZFS without `zfs diff` says so (zfs-fuse)', async () => {
  await dcsnap(['snapshot', 'd1', ...pool.flags])
  const r = await dcsnap(['diff', 'd1', ...pool.flags])
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toMatch(/this ZFS \(legacy\) has no `zfs diff`/)
})
