// The refusals of a line move and of line targets, each on real ZFS with its exit code and message.
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {fakeBuild, snapshotsOf} from '../support/checkpoints.js'
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
  const r = await dcsnapJson(['rollback', 'fetch', ...pool.flags])
  expect(r.exitCode).toBe(3)
  expect(r.json.error).toMatchObject({code: 'HEAD_HAS_CHILDREN'})
  expect(r.json.error.message).toContain(`${pool.proto}/child`)
  expect(r.json.error.hint).toMatch(/--discard/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
})

test('line targets: an unknown line is exit 2 naming the lines; --discard on a kept line is exit 2', async () => {
  expect((await dcsnap(['rollback', 'fetch', ...pool.flags])).exitCode).toBe(0)
  const unknown = await dcsnapJson(['rollback', 'k9:dc-1-build', ...pool.flags])
  expect(unknown.exitCode).toBe(2)
  expect(unknown.json.error).toMatchObject({code: 'NO_SUCH_LINE'})
  expect(unknown.json.error.hint).toMatch(/head, k1/)
  const discard = await dcsnapJson(['rollback', 'k1:dc-1-build', '--discard', ...pool.flags])
  expect(discard.exitCode).toBe(2)
  expect(discard.json.error).toMatchObject({code: 'DISCARD_ON_LINE'})
  expect(await snapshotsOf(`${pool.proto}.dclines/k1`)).toEqual(expect.arrayContaining(['dc-1-build']))
})
