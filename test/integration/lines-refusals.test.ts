// The refusals of a line move and of line targets, each on real ZFS with its exit code and message.
import {dcsnap, dcsnapJson, type ErrorJson} from '../support/cli.js'
import {fakeBuild, snapBoth, snapshotsOf} from '../support/checkpoints.js'
import {writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
  await fakeBuild(pool, '1', ['fetch', 'build'])
})
afterEach(async () => pool.destroy())

test('a head with child datasets is refused (exit 3) naming --discard; nothing changes', async () => {
  await zfsOk('create', `${pool.proto}/child`)
  const r = await dcsnapJson<ErrorJson>(['rollback', 'fetch', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.json.error).toMatchObject({code: 'HEAD_HAS_CHILDREN'})
  expect(r.json.error.message).toContain(`${pool.proto}/child`)
  expect(r.json.error.hint).toMatch(/--discard/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
})

test('line targets: an unknown line is exit 2 naming the lines; --discard on a kept line is exit 2', async () => {
  expect((await dcsnap(['rollback', 'fetch', ...pool.flags])).exitCode).toBe(0)
  const unknown = await dcsnapJson<ErrorJson>(['rollback', 'k9:dc-1-build', ...pool.flags])
  expect(unknown.exitCode).toBe(2)
  expect(unknown.json.error).toMatchObject({code: 'NO_SUCH_LINE'})
  expect(unknown.json.error.hint).toMatch(/head, k1/)
  const discard = await dcsnapJson<ErrorJson>(['rollback', 'k1:dc-1-build', '--discard', ...pool.flags])
  expect(discard.exitCode).toBe(2)
  expect(discard.json.error).toMatchObject({code: 'DISCARD_ON_LINE'})
  expect(await snapshotsOf(`${pool.proto}.dclines/k1`)).toEqual(expect.arrayContaining(['dc-1-build']))
})

test('a name on two lines is ambiguous (exit 2), naming both as LINE:NAME; one of them named so is taken', async () => {
  await snapBoth(pool, 'try')
  expect((await dcsnap(['rollback', 'fetch', ...pool.flags])).exitCode).toBe(0)
  await snapBoth(pool, 'try')
  const r = await dcsnapJson<ErrorJson>(['rollback', 'try', '--discard', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error).toMatchObject({code: 'AMBIGUOUS_TARGET'})
  expect(r.json.error.message).toMatch(/head:try.*k1:try|k1:try.*head:try/)
  expect((await dcsnap(['rollback', 'head:try', '--discard', ...pool.flags])).exitCode).toBe(0)
})

test('a journal dcsnap cannot read stops every command (exit 1) with the command that clears it; nothing is changed', async () => {
  await zfsOk('create', '-o', 'canmount=off', '-o', 'mountpoint=none', `${pool.proto}.dclines`)
  await zfsOk('set', 'dcsnap:journal=not json', `${pool.proto}.dclines`)
  const r = await dcsnapJson<ErrorJson>(['rollback', 'fetch', ...pool.flags])
  expect(r.exitCode).toBe(1)
  expect(r.json.error).toMatchObject({code: 'BAD_JOURNAL'})
  expect(r.json.error.hint).toContain(`zfs inherit dcsnap:journal ${pool.proto}.dclines`)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
  await zfsOk('inherit', 'dcsnap:journal', `${pool.proto}.dclines`)
  expect((await dcsnap(['rollback', 'fetch', ...pool.flags])).exitCode).toBe(0)
})

test('a base: that is not on every build dataset is an input error at its line (exit 2); nothing is changed', async () => {
  const m = writeManifest(pool, [{name: 'one', run: ['true']}], {extra: {base: 'golden'}})
  const r = await dcsnap(['build', '-q'], {cwd: m.dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/dcsnap\.yaml:\d+:\d+: the base golden is not on /)
  expect(r.stderr).toMatch(/dcsnap snapshot golden/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
})
