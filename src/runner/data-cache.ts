// The data cache: in the cache dataset (snapshotted with the proto area), or a private temp dir copied at each checkpoint.
import {cp, mkdir, mkdtemp, readdir, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** Where the steps share state, and how its checkpoints are kept. */
export interface DataCache {
  kind: 'zfs' | 'tmp'
  /** The directory given to steps as DCSNAP_DATA_CACHE. */
  dir: string
  /** Called after a checkpoint snapshot: a tmp cache copies itself (`key` is the snapshot name). */
  checkpoint(key: string): Promise<void>
  /** Whether a checkpoint's copy can be restored (always for zfs: the snapshot holds it). */
  canRestore(key: string): Promise<boolean>
  /** Called after a rollback: a tmp cache puts back its copy. */
  restore(key: string): Promise<void>
  /** Removes what the process made (a tmp cache, and its copies unless they are kept). */
  dispose(): Promise<void>
}

/** A data cache living in the cache dataset's mountpoint: ZFS snapshots and rollbacks do all the work. */
export function zfsDataCache(mountpoint: string): DataCache {
  return {
    kind: 'zfs',
    dir: mountpoint,
    async checkpoint() {},
    async canRestore() {
      return true
    },
    async restore() {},
    async dispose() {},
  }
}

/**
 * A data cache in a private 0700 temp dir. Copies go to a private dir removed at dispose(),
 * or to `keepCopiesIn` (DCSNAP_UNSUPPORTED_TMP_RESUME=1), which survives the process.
 */
export async function tmpDataCache(opts: {keepCopiesIn?: string} = {}): Promise<DataCache> {
  const dir = await mkdtemp(join(tmpdir(), 'dcsnap-cache-'))
  const copies = opts.keepCopiesIn ?? (await mkdtemp(join(tmpdir(), 'dcsnap-cache-copies-')))
  await mkdir(copies, {recursive: true, mode: 0o700})
  return {
    kind: 'tmp',
    dir,
    async checkpoint(key) {
      await rm(join(copies, key), {recursive: true, force: true})
      await cp(dir, join(copies, key), {recursive: true, preserveTimestamps: true, verbatimSymlinks: true})
    },
    async canRestore(key) {
      return stat(join(copies, key)).then(s => s.isDirectory(), () => false)
    },
    async restore(key) {
      for (const entry of await readdir(dir)) await rm(join(dir, entry), {recursive: true, force: true})
      await cp(join(copies, key), dir, {recursive: true, preserveTimestamps: true, verbatimSymlinks: true})
    },
    async dispose() {
      await rm(dir, {recursive: true, force: true})
      if (!opts.keepCopiesIn) await rm(copies, {recursive: true, force: true})
    },
  }
}
