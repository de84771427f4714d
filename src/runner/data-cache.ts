// The data cache: in the cache dataset (snapshotted with the proto area), or a private temp dir copied at each checkpoint.
import {cp, mkdtemp, readdir, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {checkTrustedDir, ensurePrivateDir} from '../fs/private-dir.js'

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
    canRestore() {
      return Promise.resolve(true)
    },
    async restore() {},
    async dispose() {},
  }
}

/**
 * A data cache in a private 0700 temp dir (mkdtemp, in a temp dir checked first). Copies go to a private dir
 * removed at dispose(), or to `keepCopiesIn` (DCSNAP_UNSUPPORTED_TMP_RESUME=1), which survives the process
 * and is created 0700 or checked to be ours alone.
 */
export async function tmpDataCache(opts: {keepCopiesIn?: string} = {}): Promise<DataCache> {
  const hint = 'Remove it, or set TMPDIR (or `logs:` for kept copies) to a directory of your own.'
  // mkdtemp makes a fresh 0700 dir (never an existing one), in a temp dir no other user controls.
  const base = await checkTrustedDir(tmpdir(), hint)
  const kept = opts.keepCopiesIn === undefined ? undefined : await ensurePrivateDir(opts.keepCopiesIn, hint)
  const dir = await mkdtemp(join(base, 'dcsnap-cache-'))
  const copies = kept ?? (await mkdtemp(join(base, 'dcsnap-cache-copies-')))
  return {
    kind: 'tmp',
    dir,
    async checkpoint(key) {
      await rm(join(copies, key), {recursive: true, force: true})
      await cp(dir, join(copies, key), {recursive: true, preserveTimestamps: true, verbatimSymlinks: true})
    },
    async canRestore(key) {
      return stat(join(copies, key)).then(
        s => s.isDirectory(),
        () => false,
      )
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
