// Each test makes its own file-backed pool with proto and cache datasets, and removes it afterwards.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {host, shOk} from './zfs-host.js'

/** A pool made for one test. */
export interface TestPool {
  name: string
  proto: string
  cache: string
  /** Where the pool is mounted (proto at `<mountpoint>/proto`). */
  mountpoint: string
  /** Flags that point dcsnap at both datasets. */
  flags: string[]
  destroy(): Promise<void>
}

let counter = 0

/** Creates a pool on a sparse file (in the VM's /tmp on the OpenZFS tier). */
export async function createTestPool(size = '128M'): Promise<TestPool> {
  const name = `dct${process.pid}x${++counter}`
  const local = host.tier === 'zfs-fuse'
  const dir = local ? mkdtempSync(join(tmpdir(), 'dcsnap-pool-')) : `/tmp/${name}`
  if (!local) await shOk(`mkdir -p ${dir}`)
  const file = `${dir}/vdev`
  const mountpoint = `${dir}/mnt`
  await shOk(`truncate -s ${size} ${file}`)
  const created = await host.zpool(['create', '-m', mountpoint, name, file])
  if (created.exitCode !== 0) throw new Error(`zpool create ${name} failed: ${created.stderr}`)
  for (const ds of ['proto', 'cache']) {
    const r = await host.zfs(['create', `${name}/${ds}`])
    if (r.exitCode !== 0) throw new Error(`zfs create failed: ${r.stderr}`)
  }
  const pool: TestPool = {
    name,
    proto: `${name}/proto`,
    cache: `${name}/cache`,
    mountpoint,
    flags: ['-d', `${name}/proto`, '-d', `${name}/cache`],
    async destroy() {
      await destroyPool(name)
      if (local) rmSync(dir, {recursive: true, force: true})
      else await shOk(`rm -rf ${dir}`)
    },
  }
  return pool
}

/** Destroys a test's pool; zfs-fuse can answer "busy" for a moment after files in the pool were used: retries. */
export async function destroyPool(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await host.zpool(['destroy', '-f', name])
    if (r.exitCode === 0 || /no such pool/.test(r.stderr)) return
    if (attempt >= 20) throw new Error(`zpool destroy ${name} failed: ${r.stderr}`)
    await new Promise(res => setTimeout(res, 250 * attempt))
  }
}
