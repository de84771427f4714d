import {dcsnap, dcsnapJson} from '../support/cli.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
})
afterEach(async () => pool.destroy())

test('takes the same manual snapshot on every build dataset', async () => {
  const r = await dcsnapJson(['snapshot', 'before-experiment', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.json).toEqual({snapshot: 'before-experiment', created: [`${pool.proto}@before-experiment`, `${pool.cache}@before-experiment`]})
  expect(await snapshotsOf(pool.proto)).toEqual(['before-experiment'])
  expect(await snapshotsOf(pool.cache)).toEqual(['before-experiment'])
})

test('when one dataset already has the name, no dataset is left with a new snapshot', async () => {
  await zfsOk('snapshot', `${pool.cache}@taken`)
  const r = await dcsnap(['snapshot', 'taken', ...pool.flags])
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toMatch(/already exists/)
  expect(await snapshotsOf(pool.proto)).toEqual([])
})

test('dc- names are reserved for checkpoints (exit 2)', async () => {
  const r = await dcsnap(['snapshot', 'dc-1-fake', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/form of a dcsnap checkpoint/)
})

test('a name over 255 bytes in all is an input error and touches nothing', async () => {
  const r = await dcsnapJson(['snapshot', 'x'.repeat(250), ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error.code).toBe('SNAPSHOT_NAME_TOO_LONG')
  expect(await snapshotsOf(pool.proto)).toEqual([])
})
