// The 10,000-snapshot pool of the listing benchmarks: made once per ZFS kind/version and layout, cached
// outside the checkout as the exported pool's vdev file, and imported from a fresh copy for each run.
import {spawn} from 'node:child_process'
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import {createHash} from 'node:crypto'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {bulkSnapshots, type BulkSnapshot} from '../test/support/bulk-snapshots.js'
import {attach, benchDir, destroyPool, poolName, type BenchPool} from './pool.js'
import {execOk, runOk, vmTool, zfsOk, zpoolOk, type Tier} from './tier.js'

/** 200 builds, each a baseline and 24 step checkpoints, on proto and cache: 10,000 snapshots. */
export const LAYOUT = {builds: 200, perBuild: 25, datasets: ['proto', 'cache']} as const

/** Total snapshots of the layout. */
export const LAYOUT_SNAPSHOTS = LAYOUT.builds * LAYOUT.perBuild * LAYOUT.datasets.length

const FORMAT = 1
// Sparse. OpenZFS 2.3 ran out of space in 1 GiB at 6,800 snapshots (each carries a fat ZAP of string user properties).
const IMAGE_SIZE = '4G'

/** Where images are kept: DCSNAP_BENCH_CACHE, default /var/cache/dcsnap-bench. */
export function imageCacheDir(): string {
  return process.env.DCSNAP_BENCH_CACHE || '/var/cache/dcsnap-bench'
}

/** What the cache remembers with an image. */
interface ImageMeta {
  pool: string
  snapshots: number
  createdAt: string
  setupSeconds: number
  /** Of which making the snapshots. */
  snapshotSeconds?: number
  /** How the snapshots were made: `zfs program` (channel programs, OpenZFS) or `zfs snapshot` (one call per step). */
  madeWith?: string
}

/** Imports a copy of the cached 10k-snapshot pool (making and caching it first if needed); `destroy()` removes the copy. */
export async function importListPool(tier: Tier, version: string, log: (line: string) => void): Promise<BenchPool> {
  const image = await ensureListImage(tier, version, log)
  const meta = JSON.parse(readFileSync(`${image}.json`, 'utf8')) as ImageMeta
  const dir = await benchDir(tier)
  const vdev = join(dir, 'vdev')
  if (tier.kind === 'openzfs') await streamIntoVm(tier, image, vdev)
  else await runOk('cp', ['--sparse=always', image, vdev])
  const name = poolName()
  await zpoolOk(tier, ['import', '-d', dir, meta.pool, name])
  return attach(tier, name, dir)
}

/** The cached image of the 10k-snapshot pool for this ZFS, made first if it is not cached yet; returns its path. */
export async function ensureListImage(tier: Tier, version: string, log: (line: string) => void): Promise<string> {
  const key = `${tier.kind}-${version.replace(/[^A-Za-z0-9.+~_-]/g, '_')}-b${LAYOUT.builds}x${LAYOUT.perBuild}x${LAYOUT.datasets.length}-f${FORMAT}`
  const image = join(imageCacheDir(), `${key}.img`)
  if (!existsSync(`${image}.json`)) await makeImage(tier, image, log)
  return image
}

async function makeImage(tier: Tier, image: string, log: (line: string) => void): Promise<void> {
  const t0 = Date.now()
  const dir = await benchDir(tier)
  const name = `dcbimg${process.pid}`
  const vdev = join(dir, 'vdev')
  log(`making the ${LAYOUT_SNAPSHOTS}-snapshot pool for ${tier.kind} (once; cached in ${imageCacheDir()})`)
  try {
    await execOk(tier, ['truncate', '-s', IMAGE_SIZE, vdev])
    await zpoolOk(tier, ['create', '-O', 'compression=off', '-m', 'none', name, vdev])
    for (const ds of LAYOUT.datasets) await zfsOk(tier, ['create', `${name}/${ds}`])
    const t1 = Date.now()
    const progress = (b: number) => log(`  ${b} builds of ${LAYOUT.builds} (${Math.round((Date.now() - t0) / 1000)} s)`)
    const datasets = LAYOUT.datasets.map(ds => `${name}/${ds}`)
    if (tier.kind === 'openzfs') {
      // Channel programs in the VM, one step (both datasets, their properties) per transaction group: see bulkSnapshots.
      const steps = []
      for (let b = 1; b <= LAYOUT.builds; b++) for (let i = 0; i < LAYOUT.perBuild; i++) steps.push(layoutStep(b, i))
      const chunk = 20 * LAYOUT.perBuild
      await bulkSnapshots({
        datasets,
        snapshots: steps,
        env: tier.env,
        chunk,
        progress: n => progress(n / LAYOUT.perBuild),
      })
    } else {
      // ZFS takes one snapshot of a dataset per transaction group, so parallel calls on the same datasets only
      // contend: one build after the other; without multi-dataset snapshots, the datasets' calls run side by side.
      for (let b = 1; b <= LAYOUT.builds; b++) {
        for (let i = 0; i < LAYOUT.perBuild; i++) await snapshotStep(tier, datasets, layoutStep(b, i))
        if (b % 20 === 0) progress(b)
      }
    }
    const snapshotSeconds = Math.round((Date.now() - t1) / 1000)
    await zpoolOk(tier, ['export', name])
    mkdirSync(imageCacheDir(), {recursive: true})
    if (tier.kind === 'openzfs') await streamFromVm(tier, vdev, `${image}.tmp`)
    else copyFileSync(vdev, `${image}.tmp`)
    await runOk('cp', ['--sparse=always', `${image}.tmp`, image])
    rmSync(`${image}.tmp`)
    const meta: ImageMeta = {
      pool: name,
      snapshots: LAYOUT_SNAPSHOTS,
      createdAt: new Date().toISOString(),
      setupSeconds: Math.round((Date.now() - t0) / 1000),
      snapshotSeconds,
      madeWith: tier.kind === 'openzfs' ? 'zfs program' : 'zfs snapshot',
    }
    writeFileSync(`${image}.json.tmp`, JSON.stringify(meta, null, 2) + '\n')
    renameSync(`${image}.json.tmp`, `${image}.json`)
    log(`  made in ${meta.setupSeconds} s (snapshots: ${meta.snapshotSeconds} s, with ${meta.madeWith})`)
  } finally {
    await destroyPool(tier, name, dir).catch(() => {})
  }
}

/** Snapshot `i` of build `b` (0: the baseline): its name and the user properties dcsnap sets. */
function layoutStep(b: number, i: number): BulkSnapshot {
  const step = i === 0 ? undefined : `step${String(i).padStart(2, '0')}`
  const hash = (s: string) => createHash('sha256').update(s).digest('hex')
  return {
    name: step ? `dc-${b}-${step}` : `dc-${b}`,
    props: {
      'dcsnap:build': String(b),
      ...(step ? {'dcsnap:step': step} : {}),
      'dcsnap:index': String(i),
      'dcsnap:manifest': hash('manifest'),
      'dcsnap:steps': hash(`steps ${i}`),
      'dcsnap:cache': 'zfs',
    },
  }
}

/** One step on every dataset with `zfs snapshot -o ...`: one call where ZFS takes several datasets, else one each. */
async function snapshotStep(tier: Tier, datasets: string[], step: BulkSnapshot): Promise<void> {
  const opts = Object.entries(step.props ?? {}).flatMap(([k, v]) => ['-o', `${k}=${v}`])
  const names = datasets.map(ds => `${ds}@${step.name}`)
  if (tier.multiSnapshot) await zfsOk(tier, ['snapshot', ...opts, ...names])
  else await Promise.all(names.map(n => zfsOk(tier, ['snapshot', ...opts, n])))
}

/** Copies a file out of the VM (`cat` through the forwarder). */
async function streamFromVm(tier: Tier, from: string, to: string): Promise<void> {
  const child = spawn(vmTool('exec'), ['--', 'cat', from], {
    env: {...process.env, ...tier.env},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await Promise.all([pipeline(child.stdout, createWriteStream(to)), exited(child, `cat ${from} in the VM`)])
}

/** Copies a file into the VM (`dd` reading the forwarder's stdin). */
async function streamIntoVm(tier: Tier, from: string, to: string): Promise<void> {
  const child = spawn(vmTool('exec'), ['--stdin', '--', 'dd', `of=${to}`, 'bs=1M'], {
    env: {...process.env, ...tier.env},
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  await Promise.all([pipeline(createReadStream(from), child.stdin), exited(child, `dd of=${to} in the VM`)])
}

function exited(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', c => (err += c))
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${err.trim()}`))))
  })
}
