import {dcsnap, dcsnapJson, type ErrorJson} from '../support/cli.js'
import {fakeBuild, readProto, snapBoth, snapshotsOf, writeProto} from '../support/checkpoints.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
  await fakeBuild(pool, '1', ['fetch', 'build', 'iso'])
})
afterEach(async () => pool.destroy())

test('--discard --dry-run prints the target and exactly what would be destroyed, and changes nothing', async () => {
  await writeProto(pool, 'scratch.txt', 'unsaved')
  const r = await dcsnap(['rollback', 'fetch', '--discard', '--dry-run', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.stdout).toContain(`roll back ${pool.proto}, ${pool.cache} to dc-1-fetch`)
  expect(r.stdout).toContain('destroys 2 snapshot(s): dc-1-build, dc-1-iso')
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build', 'dc-1-iso'])
  expect(await readProto(pool, 'scratch.txt')).toBe('unsaved')
})

test('--discard rolls every dataset back to a step, destroying the later checkpoints', async () => {
  await writeProto(pool, 'scratch.txt', 'unsaved')
  const r = await dcsnapJson(['rollback', 'fetch', '--discard', '--yes', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.json).toMatchObject({target: 'dc-1-fetch', destroy: ['dc-1-build', 'dc-1-iso'], rolledBack: true})
  for (const ds of [pool.proto, pool.cache]) expect(await snapshotsOf(ds)).toEqual(['dc-1', 'dc-1-fetch'])
  expect(await readProto(pool, 'fetch.txt')).toBe('1:fetch')
  expect(await readProto(pool, 'build.txt')).toBe('')
  expect(await readProto(pool, 'scratch.txt')).toBe('')
})

test('without --yes and without a terminal it refuses (exit 3) before destroying anything', async () => {
  const r = await dcsnap(['rollback', 'dc-1-fetch', '--discard', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.stderr).toMatch(/not confirmed/)
  expect(r.stderr).toMatch(/--yes/)
  expect(await snapshotsOf(pool.proto)).toHaveLength(4)
})

test('to the latest checkpoint it needs no confirmation and only discards changes', async () => {
  await writeProto(pool, 'scratch.txt', 'unsaved')
  const r = await dcsnap(['rollback', 'iso', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.stdout).toContain('destroys no snapshots')
  expect(await readProto(pool, 'scratch.txt')).toBe('')
})

test('a manual snapshot after the target refuses with exit 3 naming it; --force destroys it', async () => {
  await snapBoth(pool, 'my-experiment')
  const r = await dcsnap(['rollback', 'build', '--discard', '--yes', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.stderr).toMatch(/would destroy .*my-experiment \(manual\)/)
  expect(r.stderr).toMatch(/--force/)
  expect(await snapshotsOf(pool.proto)).toContain('dc-1-iso')
  const forced = await dcsnap(['rollback', 'build', '--discard', '--yes', '--force', ...pool.flags])
  expect(forced.exitCode).toBe(0)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
})

test('a held snapshot after the target refuses with exit 3, even with --force', async () => {
  await zfsOk('hold', 'keep', `${pool.cache}@dc-1-iso`)
  const r = await dcsnapJson<ErrorJson>(['rollback', 'fetch', '--discard', '--yes', '--force', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.json.error).toMatchObject({code: 'WOULD_DESTROY_PROTECTED', exitCode: 3})
  expect(r.json.error.message).toMatch(/dc-1-iso \(held\)/)
  expect(await snapshotsOf(pool.proto)).toHaveLength(4)
  await zfsOk('release', 'keep', `${pool.cache}@dc-1-iso`)
})

test('a snapshot with a clone refuses with exit 3', async () => {
  await zfsOk('clone', `${pool.proto}@dc-1-iso`, `${pool.name}/experiment`)
  const r = await dcsnap(['rollback', 'fetch', '--discard', '--yes', '--force', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.stderr).toMatch(/dc-1-iso \(has clones: .*\/experiment\)/)
  expect(await snapshotsOf(pool.proto)).toHaveLength(4)
})

test('an incomplete target is refused with exit 3', async () => {
  await zfsOk('snapshot', `${pool.proto}@dc-1-extra`)
  const r = await dcsnap(['rollback', 'dc-1-extra', '--yes', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.stderr).toMatch(/dc-1-extra is incomplete: .*cache lacks it/)
})

test('an unknown target is an input error (exit 2) in two lines', async () => {
  const r = await dcsnap(['rollback', 'nope', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.stderr.trim().split('\n')).toEqual([
    `error: no snapshot or step "nope" in build 1 on ${pool.proto}, ${pool.cache}`,
    'Run `dcsnap list --all` to see the checkpoints and manual snapshots, on the head and on kept lines.',
  ])
})

test('to a manual snapshot by name', async () => {
  await snapBoth(pool, 'good-state')
  await writeProto(pool, 'later.txt', 'x')
  const r = await dcsnap(['rollback', 'good-state', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(await readProto(pool, 'later.txt')).toBe('')
})
