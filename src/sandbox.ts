// A throw-away file-backed pool with proto and cache datasets, for trying dcsnap out and for tests.
import {readFile, rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {execa} from 'execa'
import {UsageError} from './errors.js'
import {ensurePrivateDir} from './fs/private-dir.js'
import {openNewFile, writeFileAtomic} from './fs/safe-open.js'
import {silentLogger, type Logger} from './logger.js'
import {zfsCommandWords} from './zfs/command.js'
import {zfsErrorFor, zfsNotFound} from './zfs/errors.js'

/** Where and how big the sandbox is. */
export interface SandboxOptions {
  /** Pool name (default `dcsandbox`). */
  pool?: string
  /** Directory for the vdev file, the mountpoint and the state file (default `/var/tmp/dcsnap-sandbox/<pool>`). */
  dir?: string
  /** Size of the vdev file (default `512M`). */
  size?: string
  env?: NodeJS.ProcessEnv
  logger?: Logger
}

/** A sandbox that exists. */
export interface Sandbox {
  pool: string
  dir: string
  file: string
  mountpoint: string
  proto: string
  cache: string
}

/** The zpool command words: DCSNAP_ZPOOL, else DCSNAP_ZFS with its `zfs` word swapped for `zpool`. */
export function zpoolCommandWords(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = (env.DCSNAP_ZPOOL ?? '').trim().split(/\s+/).filter(Boolean)
  if (own.length > 0) return own
  const words = zfsCommandWords(env)
  const last = words.length - 1
  return [...words.slice(0, last), words[last].replace(/zfs$/, 'zpool')]
}

function layout(opts: SandboxOptions): Sandbox {
  const pool = opts.pool ?? 'dcsandbox'
  if (!/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(pool))
    throw new UsageError(
      'INVALID_POOL',
      `invalid pool name "${pool}"`,
      'A pool name starts with a letter, then letters, digits, _ . : -.',
    )
  const dir = resolve(opts.dir ?? join('/var/tmp/dcsnap-sandbox', pool))
  return {
    pool,
    dir,
    file: join(dir, 'vdev.img'),
    mountpoint: join(dir, 'mnt'),
    proto: `${pool}/proto`,
    cache: `${pool}/cache`,
  }
}

/** Bytes in a size such as `512M`, `1G`, `1GiB` or `4096` (K, M, G, T: powers of 1024). */
export function parseSize(size: string): number {
  const m = /^(\d+)\s*(?:([KMGT])(?:i?B)?)?$/i.exec(size.trim())
  const bytes = m ? Number(m[1]) * 1024 ** (m[2] ? 'KMGT'.indexOf(m[2].toUpperCase()) + 1 : 0) : Number.NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new UsageError(
      'INVALID_SIZE',
      `invalid size "${size}"`,
      'Give a number of bytes with an optional K, M, G or T suffix, e.g. 512M or 1G.',
    )
  return bytes
}

async function run(words: string[], args: string[]): Promise<void> {
  const [file, ...prefix] = words
  const r = await execa(file, [...prefix, ...args], {reject: false, stdin: 'ignore'})
  if (r.failed && r.exitCode === undefined)
    throw zfsNotFound(words, String((r as {code?: string}).code ?? r.shortMessage))
  if (r.exitCode !== 0) throw zfsErrorFor([words.at(-1)!, ...args], String(r.stderr))
}

/** Creates the pool on a sparse file, and its proto and cache datasets. */
export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const s = layout(opts)
  const logger = opts.logger ?? silentLogger
  const env = opts.env ?? process.env
  const state = join(s.dir, 'sandbox.json')
  const bytes = parseSize(opts.size ?? '512M')
  // The pool file is created as root in a shared place (/var/tmp): in a directory only we can write (0755 so that a
  // delegated user can still reach the mountpoint), as a new file never following a planted symlink.
  const dirOpts = {mode: 0o755, hint: 'Remove it, or choose another --dir.'}
  await ensurePrivateDir(s.dir, dirOpts)
  if (await readFile(state, 'utf8').catch(() => undefined)) {
    throw new UsageError(
      'SANDBOX_EXISTS',
      `a sandbox already exists in ${s.dir}`,
      'Use it, or remove it first with `dcsnap sandbox destroy`.',
    )
  }
  await ensurePrivateDir(s.mountpoint, dirOpts)
  const image = await openNewFile(
    s.file,
    0o600,
    'Remove it (a leftover of an earlier `dcsnap sandbox create`?), or choose another --dir.',
  )
  try {
    await image.truncate(bytes)
  } catch (error) {
    await rm(s.file, {force: true})
    throw error
  } finally {
    await image.close()
  }
  logger.info(`creating pool ${s.pool} on ${s.file}`)
  try {
    await run(zpoolCommandWords(env), ['create', '-m', s.mountpoint, s.pool, s.file])
  } catch (error) {
    await rm(s.file, {force: true})
    throw error
  }
  await writeFileAtomic(state, JSON.stringify(s, null, 2) + '\n')
  for (const ds of [s.proto, s.cache]) await run(zfsCommandWords(env), ['create', ds])
  return s
}

/** Destroys a sandbox made by createSandbox (and only such a pool: it must have the state file). */
export async function destroySandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const s = layout(opts)
  const state = join(s.dir, 'sandbox.json')
  const recorded = await readFile(state, 'utf8').then(
    t => JSON.parse(t) as Sandbox,
    () => undefined,
  )
  if (!recorded || recorded.pool !== s.pool) {
    throw new UsageError(
      'NO_SANDBOX',
      `no dcsnap sandbox "${s.pool}" in ${s.dir}`,
      'Only pools made by `dcsnap sandbox create` are destroyed; pass the same --pool and --dir.',
    )
  }
  const words = zpoolCommandWords(opts.env ?? process.env)
  // zfs-fuse can call a pool busy for a moment after its files were used: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await run(words, ['destroy', s.pool])
      break
    } catch (error) {
      const busy = /busy/i.test((error as Error).message)
      if (/no such pool/i.test((error as Error).message)) break
      if (!busy || attempt >= 10) throw error
      await new Promise(r => setTimeout(r, 300 * attempt))
    }
  }
  await rm(s.file, {force: true})
  await rm(state, {force: true})
  await rm(s.mountpoint, {recursive: true, force: true})
  return s
}
