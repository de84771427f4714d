// Pools with thousands of snapshots, made once per machine and ZFS and kept as gzipped vdev files (DCSNAP_TEST_CACHE,
// default /var/cache/dcsnap-test, under pools/). ZFS takes one snapshot of a dataset per transaction group: in the VM
// (100-300 ms each under QEMU's TCG) 2,000 snapshots took 208 s at load 1 and over 600 s on a busy machine, and over
// 120 s on zfs-fuse on a busy machine. A test imports a fresh copy of the image instead, so no test makes them while it
// runs; scripts/test makes the missing images before each tier (`node dist/test/support/pool-images.js`).
import {spawn} from 'node:child_process'
import {createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {pathToFileURL} from 'node:url'
import {bulkSnapshots} from './bulk-snapshots.js'
import {repoRoot} from './paths.js'
import {destroyPool, type TestPool} from './pool.js'
import {host, shOk, zfsOk} from './zfs-host.js'

/** A pool made by a recipe: its datasets under the pool, and what makes their snapshots. */
export interface PoolImage {
  /** Names the recipe in the cache; change it when the recipe changes. */
  key: string
  make(pool: string): Promise<void>
}

/** proto with 2,000 snapshots dc-1-s0 .. dc-1-s1999, and an empty cache (the listing test). */
export const LIST_2000: PoolImage = {
  key: 'list2000-v1',
  async make(pool) {
    const n = 2000
    if (host.tier === 'openzfs') {
      const snapshots = Array.from({length: n}, (_, i) => ({name: `dc-1-s${i}`}))
      await bulkSnapshots({datasets: [`${pool}/proto`], snapshots})
    } else {
      // 8 at a time is fastest on zfs-fuse.
      await shOk(
        `i=0; while [ $i -lt ${n} ]; do zfs snapshot ${pool}/proto@dc-1-s$i & i=$((i+1)); [ $((i % 8)) -eq 0 ] && wait; done; wait`,
      )
    }
  },
}

/** Every image the tests use, made ahead by scripts/test. */
export const POOL_IMAGES = [LIST_2000]

const vm = (tool: string) => join(repoRoot, 'test', 'vm', tool)

function cacheDir(): string {
  return join(process.env.DCSNAP_TEST_CACHE || '/var/cache/dcsnap-test', 'pools')
}

let zfsVersion: Promise<string> | undefined
async function imagePath(image: PoolImage): Promise<string> {
  // zfs-fuse has no `zfs version`; its pool version (23) never changes.
  zfsVersion ??=
    host.tier === 'openzfs'
      ? zfsOk('version').then(v =>
          v
            .split('\n')[0]
            .trim()
            .replace(/[^A-Za-z0-9.+~_-]/g, '_'),
        )
      : Promise.resolve('zfs-fuse')
  return join(cacheDir(), `${image.key}-${await zfsVersion}.img.gz`)
}

/** A directory of its own where the pools live (the VM's /tmp on the OpenZFS tier). */
async function poolDir(name: string): Promise<string> {
  const dir = host.tier === 'openzfs' ? `/tmp/${name}` : join(tmpdir(), name)
  await shOk(`rm -rf ${dir}; mkdir -p ${dir}`)
  return dir
}

/** The image's file on this machine, made first (minutes) when it is not cached yet. */
export async function ensurePoolImage(image: PoolImage): Promise<string> {
  const path = await imagePath(image)
  if (existsSync(path)) return path
  const name = `dcimg${process.pid}`
  const dir = await poolDir(name)
  await shOk(`truncate -s 256M ${dir}/vdev`)
  try {
    const created = await host.zpool(['create', '-m', 'none', name, `${dir}/vdev`])
    if (created.exitCode !== 0) throw new Error(`zpool create ${name} failed: ${created.stderr}`)
    for (const ds of ['proto', 'cache']) await zfsOk('create', `${name}/${ds}`)
    await image.make(name)
    const exported = await host.zpool(['export', name])
    if (exported.exitCode !== 0) throw new Error(`zpool export ${name} failed: ${exported.stderr}`)
    mkdirSync(cacheDir(), {recursive: true})
    if (host.tier === 'openzfs') await fromVm(`${dir}/vdev`, `${path}.tmp`)
    else await shOk(`gzip -1 -c ${dir}/vdev > ${path}.tmp`)
    renameSync(`${path}.tmp`, path)
    return path
  } finally {
    await host.zpool(['destroy', '-f', name])
    await shOk(`rm -rf ${dir}`)
    rmSync(`${path}.tmp`, {force: true})
  }
}

/** A pool of its own made from a copy of the image (made first if needed); `destroy()` removes it. */
export async function importPoolImage(image: PoolImage): Promise<TestPool> {
  const path = await ensurePoolImage(image)
  const name = `dct${process.pid}i${Math.random().toString(36).slice(2, 7)}`
  const dir = await poolDir(name)
  if (host.tier === 'openzfs') await intoVm(path, `${dir}/vdev`)
  else await shOk(`gunzip -c ${path} | cp --sparse=always /dev/stdin ${dir}/vdev`)
  // The pool keeps the name it was exported with: find it in the copy, and import it under this test's name.
  const listed = await host.zpool(['import', '-d', dir])
  const old = /pool: (\S+)/.exec(listed.stdout)?.[1]
  if (old === undefined) throw new Error(`no pool found in the copy of ${path}: ${listed.stdout}${listed.stderr}`)
  const r = await host.zpool(['import', '-d', dir, old, name])
  if (r.exitCode !== 0) throw new Error(`zpool import ${old} as ${name} failed: ${r.stderr}`)
  return {
    name,
    proto: `${name}/proto`,
    cache: `${name}/cache`,
    mountpoint: 'none',
    flags: ['-d', `${name}/proto`, '-d', `${name}/cache`],
    async destroy() {
      await destroyPool(name)
      await shOk(`rm -rf ${dir}`)
    },
  }
}

// The vdev is mostly zeros: gzipped (in the VM, by busybox) it is 33 MB instead of 256, and streaming 256 MB through
// the forwarders took 79 s on a busy machine.

/** Copies a file out of the VM, gzipped there. */
async function fromVm(from: string, to: string): Promise<void> {
  const child = spawn(vm('exec'), ['--', 'gzip', '-1', '-c', from], {stdio: ['ignore', 'pipe', 'pipe']})
  await Promise.all([pipeline(child.stdout, createWriteStream(to)), exited(child, `gzip ${from} in the VM`)])
}

/** Copies a gzipped file into the VM, unpacking it there. */
async function intoVm(from: string, to: string): Promise<void> {
  const child = spawn(vm('exec'), ['--stdin', '--', 'sh', '-c', `gunzip -c > ${to}`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  await Promise.all([pipeline(createReadStream(from), child.stdin), exited(child, `gunzip into ${to} in the VM`)])
}

function exited(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${err.trim()}`))))
  })
}

// Run as a program (scripts/test, after the VM started): makes every image that is not cached yet.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const image of POOL_IMAGES) {
    const t0 = Date.now()
    const path = await ensurePoolImage(image)
    console.log(`pool image ${image.key}: ${path} (${Math.round((Date.now() - t0) / 1000)} s)`)
  }
}
