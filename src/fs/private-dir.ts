// Directories dcsnap writes in: created 0700 where missing, and checked that no other user can redirect or fill them.
import type {Stats} from 'node:fs'
import {chmod, lstat, mkdir, readlink} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {cannotCreateDir, unsafePath} from './unsafe-path.js'

const DEFAULT_HINT = 'Remove it, or choose another directory.'
const MAX_LINKS = 40

/** The effective uid dcsnap runs as. */
export function ownUid(): number {
  return process.geteuid?.() ?? 0
}

/** Whether a uid may own a directory on the way to ours: ourselves or root. */
function trustedOwner(uid: number): boolean {
  return uid === ownUid() || uid === 0
}

/** How ensurePrivateDir creates what is missing. */
export interface PrivateDirOptions {
  /** What to do about an unsafe path (the error's second line). */
  hint?: string
  /** Mode of the directories it creates (default 0700); group and others never get write permission. */
  mode?: number
}

/**
 * Creates `path` (each missing component 0700) and checks it before use; returns its absolute path.
 * The directory itself must be a real directory (not a symlink) owned by us that neither group nor others can
 * write. Every directory and symlink on the way (symlink targets included) must be owned by us or root, and
 * writable by group or others only when sticky (like /tmp). Anything else is an UNSAFE_PATH error (exit 2).
 */
export async function ensurePrivateDir(path: string, opts: PrivateDirOptions | string = {}): Promise<string> {
  const {hint = DEFAULT_HINT, mode = 0o700} = typeof opts === 'string' ? {hint: opts} : opts
  const abs = resolve(path)
  const missing: string[] = []
  let existing = abs
  while (!(await exists(existing, hint))) {
    missing.unshift(existing)
    existing = dirname(existing)
  }
  await checkChain(existing, hint)
  for (const dir of missing) {
    try {
      await mkdir(dir, {mode: 0o700})
      // Its parent is checked, so nobody else can swap it before the umask-proof chmod.
      await chmod(dir, mode & ~0o022)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreateDir(dir, error, hint)
    }
    await checkOwnDir(dir, hint)
  }
  if (missing.length === 0) await checkOwnDir(abs, hint)
  return abs
}

/**
 * Checks a directory dcsnap makes fresh entries in with O_EXCL or mkdtemp (e.g. TMPDIR): it and everything on the
 * way must be owned by us or root, and writable by group or others only when sticky. Returns its real path.
 */
export async function checkTrustedDir(path: string, hint = DEFAULT_HINT): Promise<string> {
  return checkChain(resolve(path), hint)
}

async function exists(path: string, hint: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw cannotCreateDir(path, error, hint)
  }
}

/** Checks that `dir` is ours alone: a real directory, owned by us, not writable by group or others. */
async function checkOwnDir(dir: string, hint: string): Promise<void> {
  const s = await lstatOr(dir, hint)
  if (s.isSymbolicLink()) throw unsafePath(dir, 'is a symbolic link, not a directory', hint)
  if (!s.isDirectory()) throw unsafePath(dir, 'is not a directory', hint)
  if (s.uid !== ownUid())
    throw unsafePath(dir, `is owned by uid ${s.uid}, not by uid ${ownUid()} that dcsnap runs as`, hint)
  if ((s.mode & 0o022) !== 0)
    throw unsafePath(
      dir,
      `is writable by ${whoMayWrite(s)} (mode ${mode(s)})`,
      `Make it private (chmod go-w ${dir}), or ${lowerFirst(hint)}`,
    )
}

/**
 * Walks `path` from the root as the kernel would, following symlinks, and checks each directory and symlink on
 * the way (see ensurePrivateDir). Returns the path with every symlink resolved.
 */
async function checkChain(path: string, hint: string, depth = 0): Promise<string> {
  if (depth > MAX_LINKS) throw unsafePath(path, 'goes through too many symbolic links', hint)
  let real = '/'
  checkTrustedStats(real, await lstatOr(real, hint), hint)
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue
    if (name === '..') {
      real = dirname(real)
      continue
    }
    const p = join(real, name)
    const s = await lstatOr(p, hint)
    if (s.isSymbolicLink()) {
      if (!trustedOwner(s.uid))
        throw unsafePath(p, `is a symbolic link owned by uid ${s.uid} (another user could point it elsewhere)`, hint)
      const target = await readlink(p)
      real = await checkChain(target.startsWith('/') ? target : join(real, target), hint, depth + 1)
    } else {
      checkTrustedStats(p, s, hint)
      real = p
    }
  }
  return real
}

/** A directory on the way: owned by us or root, and writable by group or others only when sticky. */
function checkTrustedStats(dir: string, s: Stats, hint: string): void {
  if (!s.isDirectory()) throw unsafePath(dir, 'is not a directory', hint)
  if (!trustedOwner(s.uid))
    throw unsafePath(
      dir,
      `is a directory owned by uid ${s.uid} (neither root nor uid ${ownUid()} that dcsnap runs as)`,
      hint,
    )
  if ((s.mode & 0o022) !== 0 && (s.mode & 0o1000) === 0) {
    throw unsafePath(
      dir,
      `is writable by ${whoMayWrite(s)} without the sticky bit (mode ${mode(s)})`,
      `Make it private (chmod go-w ${dir}), or ${lowerFirst(hint)}`,
    )
  }
}

async function lstatOr(path: string, hint: string): Promise<Stats> {
  try {
    return await lstat(path)
  } catch (error) {
    throw cannotCreateDir(path, error, hint)
  }
}

function whoMayWrite(s: Stats): string {
  return [(s.mode & 0o020) !== 0 ? 'its group' : '', (s.mode & 0o002) !== 0 ? 'others' : '']
    .filter(Boolean)
    .join(' and ')
}

function mode(s: Stats): string {
  return (s.mode & 0o7777).toString(8).padStart(4, '0')
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
