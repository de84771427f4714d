import type {ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {importPoolImage, LIST_2000} from '../support/pool-images.js'
import {fakeBuild, snapBoth} from '../support/checkpoints.js'
import {countZfsCalls} from '../support/count.js'
import {writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {shOk, zfsOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
})
afterEach(async () => pool.destroy())

test('an empty build dataset lists nothing', async () => {
  const r = await dcsnap(['list', ...pool.flags])
  expect(r.exitCode).toBe(0)
  expect(r.stdout).toContain(`no snapshots on ${pool.proto}, ${pool.cache}`)
})

test('the latest build by default, every build with --all, manual snapshots always', async () => {
  await fakeBuild(pool, '1', ['fetch', 'build'])
  await snapBoth(pool, 'before-experiment')
  await fakeBuild(pool, '2', ['fetch'])
  const latest = await dcsnapJson<ListView>(['list', ...pool.flags])
  expect(latest.exitCode).toBe(0)
  expect(latest.json.builds).toEqual(['2'])
  expect(latest.json.snapshots.map(s => s.name)).toEqual(['before-experiment', 'dc-2', 'dc-2-fetch'])
  const all = await dcsnapJson<ListView>(['list', '--all', ...pool.flags])
  expect(all.json.snapshots.map(s => s.name)).toEqual([
    'dc-1',
    'dc-1-fetch',
    'dc-1-build',
    'before-experiment',
    'dc-2',
    'dc-2-fetch',
  ])
  const fetch = all.json.snapshots[1]
  expect(fetch).toMatchObject({
    kind: 'checkpoint',
    build: '1',
    step: 'fetch',
    index: 1,
    state: 'complete',
    held: false,
    datasets: [pool.proto, pool.cache],
  })
  const one = await dcsnapJson<ListView>(['list', '--build', '1', ...pool.flags])
  expect(one.json.builds).toEqual(['1'])
  const human = await dcsnap(['list', '--all', ...pool.flags])
  expect(human.stdout).toMatch(/^BUILD\s+#\s+STEP\s+SNAPSHOT\s+LINE\s+CREATED\s+DURATION\s+USED\s+REFER/m)
  expect(human.stdout).toMatch(/^1\s+2\s+build\s+dc-1-build\s/m)
  expect(human.stdout).toMatch(/6 snapshot\(s\) on .*; used by snapshots: /)
})

test('a checkpoint that one build dataset lacks is incomplete', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  await zfsOk('snapshot', `${pool.proto}@dc-1-build`)
  const r = await dcsnapJson<ListView>(['list', ...pool.flags])
  expect(r.json.snapshots.at(-1)).toMatchObject({name: 'dc-1-build', state: 'incomplete', missing: [pool.cache]})
  expect((await dcsnap(['list', ...pool.flags])).stdout).toMatch(/dc-1-build\s.*incomplete/)
})

test('a snapshot renamed by hand out of the dc- form is manual, into it a checkpoint', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  for (const ds of [pool.proto, pool.cache]) await zfsOk('rename', `${ds}@dc-1-fetch`, `${ds}@kept-fetch`)
  await snapBoth(pool, 'handmade')
  for (const ds of [pool.proto, pool.cache]) await zfsOk('rename', `${ds}@handmade`, `${ds}@dc-1-extra`)
  const r = await dcsnapJson<ListView>(['list', ...pool.flags])
  const kinds = Object.fromEntries(r.json.snapshots.map(s => [s.name, s.kind]))
  expect(kinds).toEqual({'dc-1': 'baseline', 'kept-fetch': 'manual', 'dc-1-extra': 'checkpoint'})
})

test('a checkpoint split by a half-done rename and a partial manual snapshot are marked, with their repairs, in one zfs call', async () => {
  await fakeBuild(pool, '1', ['fetch'])
  await zfsOk('rename', `${pool.proto}@dc-1-fetch`, `${pool.proto}@keep-fetch`)
  await zfsOk('snapshot', `${pool.proto}@mine`)
  const {file} = writeManifest(pool, [{name: 'fetch', run: 'true'}])
  const {result, calls} = await countZfsCalls(['list', '--json', '-m', file], [pool.proto, pool.cache])
  expect(calls).toHaveLength(1)
  const view = JSON.parse(result.stdout) as ListView
  const rows = view.snapshots.map(s => [s.name, s.state, s.splitWith, s.repair])
  expect(rows).toEqual([
    ['dc-1', 'complete', null, null],
    ['keep-fetch', 'split', 'dc-1-fetch', `dcsnap rename dc-1-fetch keep-fetch -m ${file}`],
    ['dc-1-fetch', 'split', 'keep-fetch', `dcsnap rename dc-1-fetch keep-fetch -m ${file}`],
    ['mine', 'incomplete', null, `dcsnap snapshot mine -m ${file}`],
  ])
  const human = await dcsnap(['list', '-m', file])
  expect(human.stdout).toMatch(/^1\s+1\s+fetch\s+dc-1-fetch\s.*split$/m)
  expect(human.stdout).toContain(`complete it: dcsnap rename dc-1-fetch keep-fetch -m ${file}`)
  expect(human.stdout).toContain(`complete it (${pool.cache} taken now): dcsnap snapshot mine -m ${file}`)
})

test('listing many snapshots (2,000) spawns exactly one zfs process', async () => {
  const n = 2000
  // ZFS takes one snapshot of a dataset per transaction group: 2,000 of them take minutes on a busy machine (in the VM
  // and on zfs-fuse alike), so the pool is a copy of an image made once per machine (test/support/pool-images.ts;
  // scripts/test makes it before the tests).
  const many = await importPoolImage(LIST_2000)
  try {
    // Warmed on the empty cache dataset: listing 2,000 snapshots twice takes minutes in the VM on a busy machine.
    const {result, calls} = await countZfsCalls(['list', '--json', '-d', many.proto], [many.proto], [many.cache])
    expect(result.exitCode).toBe(0)
    expect((JSON.parse(result.stdout) as ListView).snapshots).toHaveLength(n)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatch(/^(list|get) /)
  } finally {
    await many.destroy()
  }
})

test("the totals are what ZFS counts: usedbysnapshots of the build datasets, and each kept line's used", async () => {
  // Blocks that several snapshots share count once in usedbysnapshots and in no snapshot's own `used`.
  await shOk(`head -c 1048576 /dev/urandom > ${pool.mountpoint}/proto/blob`)
  await fakeBuild(pool, '1', ['fetch', 'build', 'iso'])
  await shOk(`head -c 1048576 /dev/urandom > ${pool.mountpoint}/proto/blob`)
  await snapBoth(pool, 'after')
  expect((await dcsnap(['rollback', 'build', ...pool.flags])).exitCode).toBe(0)
  const list = await dcsnapJson<ListView>(['list', '--all', ...pool.flags])
  const sum = async (prop: string, ...names: string[]) =>
    (await zfsOk('get', '-H', '-p', '-o', 'value', prop, ...names))
      .trim()
      .split('\n')
      .reduce((t, v) => t + Number(v), 0)
  expect(list.json.totals.usedBySnapshots).toBe(await sum('usedbysnapshots', pool.proto, pool.cache))
  expect(list.json.lines).toHaveLength(1)
  expect(list.json.lines[0].used).toBe(await sum('used', `${pool.proto}.dclines/k1`, `${pool.cache}.dclines/k1`))
  expect(list.json.lines[0].used).toBeGreaterThan(1024 * 1024)
})
