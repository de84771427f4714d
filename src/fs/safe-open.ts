// Opening files for writing without following symlinks, and replacing files atomically through an O_EXCL temp file.
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {open, rename, unlink, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {ownUid} from './private-dir.js'
import {unsafePath} from './unsafe-path.js'

const {O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK} = constants
const DEFAULT_HINT = 'Remove it, or choose another directory.'

/** Creates a file that must not exist yet (O_EXCL|O_NOFOLLOW), with exactly `mode` whatever the umask. */
export async function openNewFile(path: string, mode = 0o600, hint = DEFAULT_HINT): Promise<FileHandle> {
  const fh = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode).catch(error => {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw unsafePath(path, 'already exists (dcsnap only creates this file, never reuses one)', hint)
    throw error
  })
  return withChecks(fh, () => fh.chmod(mode))
}

/**
 * Opens a file to write it from the start, creating it with `mode` if missing. Refuses a symlink, and
 * anything that is not a regular file of ours with a single link, before truncating it; sets its mode to `mode`.
 */
export async function openForWrite(path: string, mode = 0o600, hint = DEFAULT_HINT): Promise<FileHandle> {
  // O_NONBLOCK: a FIFO found there fails (ENXIO) instead of blocking; it changes nothing for a regular file.
  const fh = await open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, mode).catch(error => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw unsafePath(path, 'is a symbolic link', hint)
    if (code === 'EISDIR' || code === 'ENXIO') throw unsafePath(path, 'is not a regular file', hint)
    throw error
  })
  return withChecks(fh, async () => {
    const s = await fh.stat()
    if (!s.isFile()) throw unsafePath(path, 'is not a regular file', hint)
    if (s.nlink !== 1) throw unsafePath(path, `has ${s.nlink} hard links (writing it would change another file)`, hint)
    if (s.uid !== ownUid())
      throw unsafePath(path, `is owned by uid ${s.uid}, not by uid ${ownUid()} that dcsnap runs as`, hint)
    await fh.truncate(0)
    await fh.chmod(mode)
  })
}

/** Replaces `path` with `data`: written to a new randomly named temp file beside it (O_EXCL|O_NOFOLLOW), fsynced, renamed over. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`)
  const fh = await openNewFile(tmp, mode)
  try {
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    // rename(2) replaces whatever is at `path` (a symlink included) without following it.
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => {})
    throw error
  }
}

async function withChecks(fh: FileHandle, checks: () => Promise<void>): Promise<FileHandle> {
  try {
    await checks()
    return fh
  } catch (error) {
    await fh.close().catch(() => {})
    throw error
  }
}
