// File-backed pools each benchmark makes and removes: on this machine (zfs-fuse) or in the VM's /tmp (OpenZFS).
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {execOk, zfsOk, zpoolOk, type Tier} from './tier.js'

/** A pool made for a benchmark, with its build datasets. */
export interface BenchPool {
  name: string
  /** A directory holding the vdev (on the tier) and the mountpoint `mnt` (on the tier, and on this machine for the VM). */
  dir: string
  mountpoint: string
  proto: string
  cache: string
  /** `-d proto -d cache`. */
  flags: string[]
  destroy(): Promise<void>
}

let counter = 0

/** A fresh directory of the same path on this machine and on the tier (the VM's /tmp, for the OpenZFS tier). */
export async function benchDir(tier: Tier): Promise<string> {
  const dir = mkdtempSync(join(tier.kind === 'zfs-fuse' ? '/var/tmp' : '/tmp', 'dcsnap-bench-'))
  if (tier.kind === 'openzfs') await execOk(tier, ['mkdir', '-p', dir])
  return dir
}

/** A pool name unique to this process. */
export function poolName(): string {
  return `dcb${process.pid}x${++counter}`
}

/** Creates a pool on a sparse file of `size` with datasets proto and cache (no compression: sizes mean bytes written). */
export async function createPool(tier: Tier, size: string): Promise<BenchPool> {
  const dir = await benchDir(tier)
  const name = poolName()
  const vdev = join(dir, 'vdev')
  await execOk(tier, ['truncate', '-s', size, vdev])
  await zpoolOk(tier, ['create', '-O', 'compression=off', '-m', join(dir, 'mnt'), name, vdev])
  const pool = attach(tier, name, dir)
  for (const ds of [pool.proto, pool.cache]) await zfsOk(tier, ['create', ds])
  // On the VM tier the runner keeps its record on this machine, under the same path as the mountpoint (see docs/performance.md).
  if (tier.kind === 'openzfs') mkdirSync(join(dir, 'mnt', 'cache'), {recursive: true})
  return pool
}

/** The BenchPool of an existing pool `name` whose files are in `dir`. */
export function attach(tier: Tier, name: string, dir: string): BenchPool {
  return {
    name,
    dir,
    mountpoint: join(dir, 'mnt'),
    proto: `${name}/proto`,
    cache: `${name}/cache`,
    flags: ['-d', `${name}/proto`, '-d', `${name}/cache`],
    destroy: () => destroyPool(tier, name, dir),
  }
}

/** Destroys a pool (zfs-fuse can answer "busy" for a moment after use: retried) and removes its directory. */
export async function destroyPool(tier: Tier, name: string, dir: string): Promise<void> {
  await retryBusy(async () => {
    const r = await tier.zpool(['destroy', '-f', name])
    if (r.exitCode !== 0 && !/no such pool/.test(r.stderr)) throw new Error(`zpool destroy ${name} failed: ${r.stderr}`)
  })
  if (tier.kind === 'openzfs') await execOk(tier, ['rm', '-rf', dir])
  rmSync(dir, {recursive: true, force: true})
}

/** Destroys every snapshot of the datasets (set-up between runs, not measured): one call per dataset where ZFS takes `ds@a,b`. */
export async function destroySnapshots(tier: Tier, datasets: string[]): Promise<void> {
  const out = await zfsOk(tier, ['list', '-H', '-t', 'snapshot', '-o', 'name', '-r', ...datasets])
  const names = out.split('\n').filter(Boolean)
  for (const ds of datasets) {
    const mine = names.filter(n => n.startsWith(`${ds}@`)).map(n => n.slice(ds.length + 1))
    if (mine.length === 0) continue
    if (tier.kind === 'openzfs') await zfsOk(tier, ['destroy', `${ds}@${mine.join(',')}`])
    else for (const s of mine) await retryBusy(() => zfsOk(tier, ['destroy', `${ds}@${s}`]))
  }
}

/** Runs `body`, retrying for a few seconds while zfs-fuse says a dataset is busy. */
export async function retryBusy<T>(body: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await body()
    } catch (error) {
      if (attempt >= 20 || !/busy/.test(String(error))) throw error
      await new Promise(res => setTimeout(res, 250 * attempt))
    }
  }
}
