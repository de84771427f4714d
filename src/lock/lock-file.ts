// One dataset's lock file: opened without following symlinks, locked with flock(2) through flock(1) on our own
// open file, so the lock belongs to that open file and is held by every process that inherited it.
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, readSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {DcsnapError, ExitCode, UsageError} from '../errors.js'

/** A step of a build that runs under the lock (recorded so that another dcsnap can find it if this one dies). */
export interface StepHolder {
  name: string
  pid: number
  since: string
  /** The step's cgroup, where the system lets dcsnap make one: its daemons cannot leave it. */
  cgroup?: string
  /** The step's session id (its first process's pid). */
  sid: number
}

/** Who holds a lock, as its holder wrote it down. */
export interface LockHolder {
  pid: number
  /** The holder's start time (/proc/PID/stat), telling a reused pid from the holder. */
  start?: string
  command: string
  since: string
  build?: string
  dataset?: string
  uid?: number
  step?: StepHolder
}

/** An open lock file. */
export interface LockFile {
  path: string
  fd: number
  /** False when another user made the file read-only to us: the lock still works, the holder is not written. */
  writable: boolean
}

/** The lock file of one dataset in `dir`. */
export function lockFilePath(dir: string, dataset: string): string {
  return join(dir, `dcsnap.${createHash('sha256').update(dataset).digest('hex').slice(0, 24)}.lock`)
}

/** Opens (or creates, 0666 so that every user of the datasets can record itself) a lock file, never through a symlink. */
export function openLockFile(path: string): LockFile {
  const {O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW} = constants
  for (let attempt = 0; ; attempt++) {
    let fd: number
    let writable = true
    try {
      fd = openSync(path, O_RDWR | O_NOFOLLOW)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        try {
          fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666)
          fchmodSync(fd, 0o666)
        } catch (error2) {
          if ((error2 as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) continue
          throw unsafe(path, error2)
        }
      } else if (code === 'EACCES') {
        try {
          fd = openSync(path, O_RDONLY | O_NOFOLLOW)
          writable = false
        } catch (error2) {
          throw unsafe(path, error2)
        }
      } else {
        throw unsafe(path, error)
      }
    }
    const st = fstatSync(fd)
    if (!st.isFile() || st.nlink !== 1) {
      closeSync(fd)
      throw unsafe(path, new Error(st.isFile() ? 'it has other hard links' : 'it is not a regular file'))
    }
    return {path, fd, writable}
  }
}

function unsafe(path: string, error: unknown): UsageError {
  const e = error as NodeJS.ErrnoException
  const why = e.code === 'ELOOP' ? 'it is a symbolic link' : e.message
  return new UsageError(
    'UNSAFE_LOCK_FILE',
    `cannot use the lock file ${path}: ${why}`,
    'Remove it if no dcsnap runs (it is recreated), or point DCSNAP_LOCK_DIR at a directory only trusted users can write.',
  )
}

/** Tries to take the flock of an open lock file without waiting: true when taken, false when another holds it. */
export function tryFlock(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // flock(1) on fd 3 (our open file, inherited): the lock stays with the open file after flock exits.
    const child = spawn('flock', ['-n', '-E', '75', '3'], {stdio: ['ignore', 'ignore', 'pipe', fd]})
    let stderr = ''
    child.stderr!.on('data', d => (stderr += String(d)))
    child.once('error', error => {
      const code = (error as NodeJS.ErrnoException).code
      reject(
        new DcsnapError(
          'FLOCK_NOT_FOUND',
          `cannot run flock(1) to lock the build datasets: ${code ?? error.message}`,
          'Install util-linux (it provides flock), or put it on PATH.',
          ExitCode.failed,
        ),
      )
    })
    child.once('close', code => {
      if (code === 0) resolve(true)
      else if (code === 75) resolve(false)
      else
        reject(
          new DcsnapError(
            'LOCK_FAILED',
            `flock(1) failed with exit code ${code}: ${stderr.trim()}`,
            'Check the lock directory (DCSNAP_LOCK_DIR).',
            ExitCode.failed,
          ),
        )
    })
  })
}

/** Reads the holder recorded in a lock file (undefined when none, or when it does not look like one). */
export function readHolder(fd: number): LockHolder | undefined {
  const buf = Buffer.alloc(64 * 1024)
  let text: string
  try {
    text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8')
  } catch {
    return undefined
  }
  if (text.trim() === '') return undefined
  try {
    const h = JSON.parse(text) as Partial<LockHolder>
    if (
      typeof h !== 'object' ||
      h === null ||
      typeof h.pid !== 'number' ||
      typeof h.command !== 'string' ||
      typeof h.since !== 'string'
    )
      return undefined
    if (
      h.step !== undefined &&
      (typeof h.step !== 'object' ||
        h.step === null ||
        typeof h.step.pid !== 'number' ||
        typeof h.step.sid !== 'number' ||
        typeof h.step.name !== 'string')
    ) {
      return {...h, step: undefined} as LockHolder
    }
    return h as LockHolder
  } catch {
    return undefined
  }
}

/** Records the holder in a lock file we hold (or clears it with undefined). */
export function writeHolder(file: LockFile, holder: LockHolder | undefined): void {
  if (!file.writable) return
  ftruncateSync(file.fd, 0)
  if (holder) writeSync(file.fd, `${JSON.stringify(holder)}\n`, 0)
}
