// Where dcsnap's dataset lock files live: one directory shared by root and every delegated user, so that they
// exclude each other, and never a directory another user could swap files in.
import {lstatSync, mkdirSync, type Stats} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {UsageError} from '../errors.js'
import {ownUid} from '../fs/private-dir.js'

/** The system's lock directory (FHS): root-owned, sticky and world-writable, so any user can lock and none can remove another's file. */
export const SYSTEM_LOCK_DIR = '/run/lock'

/**
 * The directory of lock files: DCSNAP_LOCK_DIR, else /run/lock (shared by root and delegated users), else, where a
 * system has no sane /run/lock, a private per-user directory (0700; then root and other users do not see its locks).
 */
export function lockDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DCSNAP_LOCK_DIR) {
    mkdirSync(env.DCSNAP_LOCK_DIR, {recursive: true, mode: 0o700})
    return verified(env.DCSNAP_LOCK_DIR, 'DCSNAP_LOCK_DIR')
  }
  const st = lstatOrUndefined(SYSTEM_LOCK_DIR)
  if (st && isSharedSticky(st)) return SYSTEM_LOCK_DIR
  const uid = ownUid()
  const dir = uid === 0 ? '/run/dcsnap' : join(env.XDG_RUNTIME_DIR || tmpdir(), `dcsnap-locks-${uid}`)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  return verified(dir, 'the lock directory')
}

/** Refuses a lock directory that is a symlink, not a directory, owned by another user, or writable by others without the sticky bit. */
function verified(dir: string, what: string): string {
  const st = lstatOrUndefined(dir)
  const uid = ownUid()
  const problem = !st
    ? 'does not exist'
    : st.isSymbolicLink()
      ? 'is a symbolic link'
      : !st.isDirectory()
        ? 'is not a directory'
        : st.uid !== uid && st.uid !== 0
          ? `is owned by uid ${st.uid}`
          : (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0
            ? 'is writable by other users and not sticky'
            : undefined
  if (problem) {
    throw new UsageError(
      'UNSAFE_LOCK_DIR',
      `${what} ${dir} ${problem}: another user could take or swap dcsnap's lock files`,
      'Use a directory owned by you or root, not writable by others (or sticky like /run/lock); DCSNAP_LOCK_DIR picks one.',
    )
  }
  return dir
}

function isSharedSticky(st: Stats): boolean {
  return st.isDirectory() && !st.isSymbolicLink() && st.uid === 0 && (st.mode & 0o1777) === 0o1777
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}
