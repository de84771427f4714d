import type {ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {fakeBuild, snapBoth, snapshotsOf} from '../support/checkpoints.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
})
afterEach(async () => pool.destroy())

test('a held checkpoint refuses rollback --discard and destroy until released', async () => {
  await fakeBuild(pool, '1', ['fetch', 'build'])
  const held = await dcsnapJson<{held: string[]}>(['hold', 'build', ...pool.flags])
  expect(held.exitCode).toBe(0)
  expect(held.json.held).toEqual([`${pool.proto}@dc-1-build`, `${pool.cache}@dc-1-build`])
  expect((await dcsnap(['hold', 'build', ...pool.flags])).stdout).toMatch(/already held/)
  expect((await dcsnapJson<ListView>(['list', ...pool.flags])).json.snapshots.at(-1)?.held).toBe(true)
  expect((await dcsnap(['rollback', 'fetch', '--discard', '--yes', ...pool.flags])).exitCode).toBe(3)
  const d = await dcsnap(['destroy', 'build', ...pool.flags])
  expect(d.exitCode).toBe(3)
  expect(d.stderr).toMatch(/dc-1-build \(held\)/)
  expect((await dcsnap(['release', 'build', ...pool.flags])).exitCode).toBe(0)
  expect((await dcsnap(['release', 'build', ...pool.flags])).stdout).toMatch(/already not held/)
  expect((await dcsnap(['destroy', 'build', ...pool.flags])).exitCode).toBe(0)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch'])
})

test('destroy --dry-run lists exactly what it would destroy; named manual snapshots are destroyed', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  await snapBoth(pool, 'scratch')
  const dry = await dcsnapJson<{destroy: string[]}>(['destroy', 'fetch', 'scratch', '--dry-run', ...pool.flags])
  expect(dry.exitCode).toBe(0)
  expect(dry.json.destroy).toEqual([
    `${pool.proto}@dc-1-fetch`,
    `${pool.cache}@dc-1-fetch`,
    `${pool.proto}@scratch`,
    `${pool.cache}@scratch`,
  ])
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'scratch'])
  const r = await dcsnap(['destroy', 'fetch', 'scratch', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(await snapshotsOf(pool.cache)).toEqual(['dc-1'])
})

test('destroy --whole-build removes a build baseline and checkpoints, not manual snapshots', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  await snapBoth(pool, 'scratch')
  await fakeBuild(pool, '2', ['fetch'])
  const r = await dcsnap(['destroy', '--whole-build', '1', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(await snapshotsOf(pool.proto)).toEqual(['scratch', 'dc-2', 'dc-2-fetch'])
})

test('prune --keep N keeps the newest builds, manual and held snapshots, and the base', async () => {
  await fakeBuild(pool, '1', ['a'])
  await snapBoth(pool, 'mine')
  await fakeBuild(pool, '2', ['a'])
  await fakeBuild(pool, '3', ['a'])
  await zfsOk('hold', 'dcsnap', `${pool.proto}@dc-2-a`)
  const dry = await dcsnap(['prune', '--keep', '1', '--dry-run', ...pool.flags])
  expect(dry.exitCode).toBe(0)
  expect(dry.stdout).toMatch(/would destroy 4 snapshot\(s\)/)
  expect(dry.stdout).toMatch(/keeping dc-2-a \(held\)/)
  expect(dry.stdout).toMatch(/keeping dc-1 \(base\)/)
  expect(await snapshotsOf(pool.proto)).toHaveLength(7)
  const r = await dcsnapJson(['prune', '--keep', '1', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'mine', 'dc-2-a', 'dc-3', 'dc-3-a'])
  await zfsOk('release', 'dcsnap', `${pool.proto}@dc-2-a`)
})
