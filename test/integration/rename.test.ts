import {join} from 'node:path'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {fakeBuild, snapBoth, snapshotsOf} from '../support/checkpoints.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
  await fakeBuild(pool, '1', ['fetch'])
})
afterEach(async () => pool.destroy())

test('renames on every dataset; out of the dc- form it becomes manual', async () => {
  const r = await dcsnapJson(['rename', 'dc-1-fetch', 'keep-fetch', ...pool.flags])
  expect(r.exitCode).toBe(0)
  for (const ds of [pool.proto, pool.cache]) expect(await snapshotsOf(ds)).toEqual(['dc-1', 'keep-fetch'])
  const list = await dcsnapJson(['list', ...pool.flags])
  expect(list.json.snapshots.find((s: {name: string}) => s.name === 'keep-fetch').kind).toBe('manual')
})

test('when one dataset already has the new name, every dataset is left unchanged', async () => {
  await zfsOk('snapshot', `${pool.cache}@taken`)
  const r = await dcsnap(['rename', 'dc-1-fetch', 'taken', ...pool.flags])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/"taken" already exists on .*cache: nothing was renamed/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch'])
  expect(await snapshotsOf(pool.cache)).toEqual(['dc-1', 'dc-1-fetch', 'taken'])
})

test('when zfs fails on the second dataset, the first is renamed back', async () => {
  await snapBoth(pool, 'exp')
  const env = {DCSNAP_ZFS: `${join(repoRoot, 'fixtures/bin/fail-zfs')} ${host.env.DCSNAP_ZFS ?? 'zfs'}`, DCSNAP_FAIL_MATCH: `^rename ${pool.cache}@exp `}
  const r = await dcsnap(['rename', 'exp', 'exp2', ...pool.flags], {env})
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toMatch(/injected failure/)
  expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'exp'])
  expect(await snapshotsOf(pool.cache)).toEqual(['dc-1', 'dc-1-fetch', 'exp'])
})

test('renaming a snapshot that does not exist is an input error', async () => {
  const r = await dcsnap(['rename', 'nope', 'other', ...pool.flags])
  expect(r.exitCode).toBe(2)
})
