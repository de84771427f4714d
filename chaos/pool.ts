// A file-backed zfs-fuse pool of the chaos suite's own per experiment, with fresh datasets for each trial.
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {run, sleep, zfs, zfsOk, zfsRetry} from './exec.js'

/** A pool made for one experiment. */
export interface ChaosPool {
  name: string
  dir: string
  mountpoint: string
  /** Creates `<pool>/<parent>/<child>` for each child (and the parent) and returns their names. */
  datasets(parent: string, children: string[]): Promise<string[]>
  /** Destroys `<pool>/<parent>` with everything under it (clones of its snapshots included). */
  drop(parent: string): Promise<void>
  destroy(): Promise<void>
}

let counter = 0

/** Creates a pool on a sparse file under /var/tmp. */
export async function createChaosPool(label: string, size = '256M'): Promise<ChaosPool> {
  const dir = mkdtempSync(join('/var/tmp', `dcsnap-chaos-${label}-`))
  const name = `chaos${process.pid}x${++counter}`
  const vdev = join(dir, 'vdev')
  const mountpoint = join(dir, 'mnt')
  const t = await run('truncate', ['-s', size, vdev])
  if (t.exitCode !== 0) throw new Error(`truncate failed: ${t.stderr}`)
  const c = await run('zpool', ['create', '-m', mountpoint, name, vdev], {timeoutMs: 120_000})
  if (c.exitCode !== 0) throw new Error(`zpool create ${name} failed: ${c.stderr.trim()}`)
  return {
    name,
    dir,
    mountpoint,
    async datasets(parent, children) {
      await zfsOk(['create', '-p', `${name}/${parent}`])
      const names = children.map(c => `${name}/${parent}/${c}`)
      for (const ds of names) await zfsOk(['create', ds])
      return names
    },
    async drop(parent) {
      const ds = `${name}/${parent}`
      // Clones made from these datasets' snapshots elsewhere in the pool (kept lines, checkpoint readers) go first.
      const origins = await zfs(['list', '-H', '-o', 'name,origin', '-r', name])
      for (const line of origins.stdout.split('\n')) {
        const [clone, origin] = line.split('\t')
        if (origin?.startsWith(`${ds}/`) && !clone.startsWith(`${ds}/`))
          await zfsRetry(['destroy', '-R', '-f', clone]).catch(() => {})
      }
      await zfsRetry(['destroy', '-R', '-f', ds])
    },
    async destroy() {
      for (let attempt = 1; ; attempt++) {
        const r = await run('zpool', ['destroy', '-f', name], {timeoutMs: 120_000})
        if (r.exitCode === 0 || /no such pool/.test(r.stderr)) break
        if (attempt >= 20) throw new Error(`zpool destroy ${name} failed: ${r.stderr.trim()}`)
        await sleep(250 * attempt)
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
