import {Zfs, type ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {fakeBuild} from '../support/checkpoints.js'
import {countZfsCalls} from '../support/count.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, has, host, shOk} from '../support/zfs-host.js'

let pool: TestPool
beforeEach(async () => {
  pool = await createTestPool()
})
afterEach(async () => pool.destroy())

async function zfsCalls(args: string[]): Promise<string[]> {
  const {result, calls} = await countZfsCalls(args, [pool.proto, pool.cache])
  expect(result.exitCode).toBe(0)
  return calls
}

describeWhere(has.multiSnapshot, 'atomic multi-dataset snapshots', 'zfs-fuse takes one snapshot per call', () => {
  test('proto and cache are snapshotted in one zfs call', async () => {
    const calls = await zfsCalls(['snapshot', 'together', ...pool.flags])
    expect(calls.filter(c => c.startsWith('snapshot'))).toEqual([
      `snapshot ${pool.proto}@together ${pool.cache}@together`,
    ])
  })
})

describeWhere(!has.multiSnapshot, 'one snapshot per call', 'this ZFS snapshots several datasets atomically', () => {
  test('each dataset gets its own zfs snapshot call', async () => {
    const calls = await zfsCalls(['snapshot', 'apart', ...pool.flags])
    expect(calls.filter(c => c.startsWith('snapshot'))).toEqual([
      `snapshot ${pool.proto}@apart`,
      `snapshot ${pool.cache}@apart`,
    ])
  })
})

describeWhere(has.written, 'the written property', 'zfs-fuse has no written property', () => {
  test('list shows what each checkpoint wrote', async () => {
    await fakeBuild(pool, '1', ['small'])
    await shOk(`head -c 200000 /dev/urandom > ${pool.mountpoint}/proto/big.bin`)
    await fakeBuild(pool, '2', ['big'])
    const r = await dcsnapJson<ListView>(['list', '--all', ...pool.flags])
    const big = r.json.snapshots.find(s => s.name === 'dc-2')
    expect(big?.written).toBeGreaterThan(100_000)
    expect(r.json.totals.written).toBeGreaterThan(100_000)
    expect((await dcsnap(['list', ...pool.flags])).stdout).toMatch(/WRITTEN/)
  })
})

describeWhere(has.holdsListing, 'hold tags', 'zfs-fuse cannot list hold tags (its zfs holds is broken)', () => {
  test('the hold dcsnap places carries the dcsnap tag', async () => {
    await fakeBuild(pool, '1', ['a'])
    expect((await dcsnap(['hold', 'a', ...pool.flags])).exitCode).toBe(0)
    const zfs = new Zfs({env: {...process.env, ...host.env}, capabilitiesCache: false})
    const tags = await zfs.holds([`${pool.proto}@dc-1-a`, `${pool.cache}@dc-1-a`])
    expect([...tags.values()]).toEqual([['dcsnap'], ['dcsnap']])
    expect((await dcsnap(['release', 'a', ...pool.flags])).exitCode).toBe(0)
  })
})
