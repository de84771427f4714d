// The build lock: an flock(2) held by a small child process for as long as this process lives.
// The kernel drops it when the holder dies, however it dies, so a stale lock never blocks.
import {spawn, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BusyError} from './errors.js'

/** Who holds a lock, as its holder wrote it down. */
export interface LockHolder {
  pid: number
  command: string
  since: string
  build?: string
}

const UNKNOWN_HOLDER: LockHolder = {pid: 0, command: 'unknown', since: ''}

/** A held lock; release() frees it (exiting frees it too). */
export interface BuildLock {
  path: string
  release(): void
}

/**
 * The directory of lock files: DCSNAP_LOCK_DIR, else /run/dcsnap for root, else a private per-user dir
 * (a shared world-writable one would let another user plant files there; set DCSNAP_LOCK_DIR to share).
 */
export function lockDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DCSNAP_LOCK_DIR) return env.DCSNAP_LOCK_DIR
  const uid = process.getuid?.() ?? 0
  return uid === 0 ? '/run/dcsnap' : join(tmpdir(), `dcsnap-locks-${uid}`)
}

/** The lock file of a set of build datasets (the same set, in any order, gives the same file). */
export function lockPath(datasets: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash('sha256').update([...datasets].sort().join('\n')).digest('hex').slice(0, 24)
  return join(lockDir(env), `${key}.lock`)
}

/** Reads the holder written into a lock file (undefined when none is recorded). */
export function readLockHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

/**
 * Whether a lock is held right now, and by whom. On Linux it reads /proc/locks, so looking never takes the
 * lock (a build starting at that moment is not turned away); elsewhere it tries the lock without waiting.
 */
export async function probeLock(datasets: readonly string[], env?: NodeJS.ProcessEnv): Promise<LockHolder | undefined> {
  const path = lockPath(datasets, env)
  let id: string
  try {
    // /proc/locks names a file as major:minor:inode, the device numbers in two-digit hex.
    const st = statSync(path)
    const hex = (n: number) => n.toString(16).padStart(2, '0')
    id = `${hex(Math.floor(st.dev / 256) & 0xfff)}:${hex(st.dev & 0xff)}:${st.ino}`
  } catch {
    return undefined
  }
  let table: string | undefined
  try {
    table = readFileSync('/proc/locks', 'utf8')
  } catch {}
  if (table !== undefined) {
    const held = table.split('\n').some(l => /\bFLOCK\b/.test(l) && l.split(/\s+/).includes(id))
    return held ? (readLockHolder(path) ?? UNKNOWN_HOLDER) : undefined
  }
  try {
    ;(await acquireLock(datasets, {env, record: false})).release()
    return undefined
  } catch (error) {
    if (error instanceof BusyError) return readLockHolder(path) ?? UNKNOWN_HOLDER
    throw error
  }
}

/** Takes the lock of a set of datasets without waiting; throws BusyError (exit 4) naming the holder. */
export async function acquireLock(datasets: readonly string[], opts: {env?: NodeJS.ProcessEnv; build?: string; record?: boolean} = {}): Promise<BuildLock> {
  const path = lockPath(datasets, opts.env)
  mkdirSync(join(path, '..'), {recursive: true, mode: 0o700})
  // flock -n: take it or fail at once; the child keeps it until its stdin (our pipe) closes.
  const child = spawn('flock', ['-n', '-E', '75', path, 'sh', '-c', 'echo locked; read _'], {stdio: ['pipe', 'pipe', 'ignore']})
  const outcome = await new Promise<'locked' | 'busy' | Error>(resolve => {
    child.stdout!.once('data', () => resolve('locked'))
    child.once('exit', code => resolve(code === 75 ? 'busy' : new Error(`flock exited with ${code}`)))
    child.once('error', error => resolve(error))
  })
  if (outcome === 'busy') {
    const h = readLockHolder(path)
    const who = h ? `pid ${h.pid} (${h.command})${h.build ? ` building ${h.build}` : ''} since ${h.since}` : 'another process'
    throw new BusyError(`the build datasets ${datasets.join(', ')} are locked by ${who}`, 'Wait for it to finish (`dcsnap status` shows it), or stop that process.', {holder: h, lock: path})
  }
  if (outcome instanceof Error) throw outcome
  child.stdout!.destroy()
  child.unref()
  ;(child.stdin as unknown as {unref?: () => void}).unref?.()
  if (opts.record !== false) {
    const holder: LockHolder = {pid: process.pid, command: process.argv.slice(1).join(' '), since: new Date().toISOString(), build: opts.build}
    writeFileSync(path, JSON.stringify(holder) + '\n')
  }
  return {path, release: () => releaseChild(child)}
}

function releaseChild(child: ChildProcess): void {
  child.stdin?.end()
  child.kill()
}
