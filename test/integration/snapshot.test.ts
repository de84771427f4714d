import {expect} from '@jest/globals'
import {join} from 'node:path'
import type {ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson, type ErrorJson} from '../support/cli.js'
import {fakeBuild, snapshotsOf} from '../support/checkpoints.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, has, host, zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
})
afterEach(async () => pool.destroy())

test('takes the same manual snapshot on every build dataset', async () => {
  const r = await dcsnapJson(['snapshot', 'before-experiment', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.json).toEqual({
    snapshot: 'before-experiment',
    created: [`${pool.proto}@before-experiment`, `${pool.cache}@before-experiment`],
    existing: [],
  })
  expect(await snapshotsOf(pool.proto)).toEqual(['before-experiment'])
  expect(await snapshotsOf(pool.cache)).toEqual(['before-experiment'])
})

test('when every dataset already has the name, nothing is taken (exit 2)', async () => {
  for (const ds of [pool.proto, pool.cache]) await zfsOk('snapshot', `${ds}@taken`)
  const r = await dcsnapJson<ErrorJson>(['snapshot', 'taken', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error.code).toBe('SNAPSHOT_EXISTS')
  expect(r.json.error.message).toMatch(/"taken" already exists on .*proto, .*cache: no snapshot was taken/)
})

test('when one dataset already has the name (a snapshot left half done), only the others are snapshotted, and it says so', async () => {
  await zfsOk('snapshot', `${pool.cache}@taken`)
  const r = await dcsnap(['snapshot', 'taken', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.stdout).toBe(`${pool.proto}@taken\n${pool.cache}@taken (already there, taken earlier)`)
  expect(r.stderr).toMatch(
    new RegExp(
      `completed snapshot taken left half done: taken now on ${pool.proto}; ${pool.cache} at \\S+ already had it`,
    ),
  )
  expect(await snapshotsOf(pool.proto)).toEqual(['taken'])
  expect(await snapshotsOf(pool.cache)).toEqual(['taken'])
})

test('a partial name that is a renamed checkpoint is not completed with a snapshot of now (exit 2)', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  await zfsOk('rename', `${pool.cache}@dc-1-fetch`, `${pool.cache}@kept`)
  await zfsOk('destroy', `${pool.proto}@dc-1-fetch`)
  const r = await dcsnapJson<ErrorJson>(['snapshot', 'kept', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error.message).toMatch(/as a checkpoint of build 1 \(step fetch\)/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1'])
})

test('a partial name that is half of a rename left half done is not completed with a snapshot of now (exit 2)', async () => {
  for (const ds of [pool.proto, pool.cache]) await zfsOk('snapshot', `${ds}@old`)
  await zfsOk('rename', `${pool.proto}@old`, `${pool.proto}@new`)
  const r = await dcsnapJson<ErrorJson>(['snapshot', 'new', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error).toMatchObject({code: 'SNAPSHOT_SPLIT', hint: expect.stringContaining('dcsnap rename old new')})
  expect(await snapshotsOf(pool.cache)).toEqual(['old'])
})

describeWhere(
  !has.multiSnapshot,
  'a snapshot left half done by a killed zfs',
  'one atomic zfs call snapshots every dataset',
  () => {
    test('re-running completes it; list shows it incomplete with the repair; nothing is lost', async () => {
      const env = {
        DCSNAP_ZFS: `${join(repoRoot, 'fixtures/bin/die-after-zfs')} ${host.env.DCSNAP_ZFS ?? 'zfs'}`,
        DCSNAP_DIE_MATCH: `^snapshot ${pool.cache}@exp$`,
      }
      const r = await dcsnap(['snapshot', 'exp', ...pool.flags], {env})
      // TODO: 1 only, once a zfs killed by a signal is its own error kind (today it looks like zfs not found, 127).
      expect([1, 127]).toContain(r.exitCode)
      expect(await snapshotsOf(pool.proto)).toEqual([])
      expect(await snapshotsOf(pool.cache)).toEqual(['exp'])
      const list = await dcsnapJson<ListView>(['list', ...pool.flags])
      const flags = pool.flags.join(' ')
      expect(list.json.snapshots).toEqual([
        expect.objectContaining({
          name: 'exp',
          state: 'incomplete',
          missing: [pool.proto],
          repair: `dcsnap snapshot exp ${flags}`,
        }),
      ])
      const human = await dcsnap(['list', ...pool.flags])
      expect(human.stdout).toContain(`incomplete: manual snapshot "exp" is on ${pool.cache} only.`)
      expect(human.stdout).toContain(`complete it (${pool.proto} taken now): dcsnap snapshot exp ${flags}`)
      expect(human.stdout).toContain(`or remove it: dcsnap destroy exp ${flags}`)

      const again = await dcsnapJson(['snapshot', 'exp', ...pool.flags])
      expect(again.exitCode).toBe(0)
      expect(again.json).toEqual({snapshot: 'exp', created: [`${pool.proto}@exp`], existing: [`${pool.cache}@exp`]})
      for (const ds of [pool.proto, pool.cache]) expect(await snapshotsOf(ds)).toEqual(['exp'])
      expect((await dcsnapJson<ListView>(['list', ...pool.flags])).json.snapshots[0]).toMatchObject({
        state: 'complete',
        repair: null,
      })
    })
  },
)

test('dc- names are reserved for checkpoints (exit 2)', async () => {
  const r = await dcsnap(['snapshot', 'dc-1-fake', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/form of a dcsnap checkpoint/)
})

test('a name over 255 bytes in all is an input error and touches nothing', async () => {
  const r = await dcsnapJson<ErrorJson>(['snapshot', 'x'.repeat(250), ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.json.error.code).toBe('SNAPSHOT_NAME_TOO_LONG')
  expect(await snapshotsOf(pool.proto)).toEqual([])
})
