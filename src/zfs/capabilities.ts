// What this zfs can do, read from its own usage texts; probed once and remembered per zfs command and the programs it runs.
import {constants} from 'node:fs'
import {createHash, randomBytes} from 'node:crypto'
import {chmod, lstat, mkdir, open, rename, stat, unlink} from 'node:fs/promises'
import {homedir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import type {ZfsRunner} from './command.js'

/** The features dcsnap adapts to. */
export interface ZfsCapabilities {
  /** A short name for messages: `openzfs`, `legacy`. */
  flavour: 'openzfs' | 'legacy'
  /** `zfs version` output's first line, when it has one. */
  version?: string
  /** `zfs list -j` (OpenZFS 2.3+). */
  json: boolean
  /** `zfs list -p` exact numbers (OpenZFS, illumos); without it dcsnap lists through `zfs get -Hp`. */
  parsableList: boolean
  /** Several snapshots in one atomic `zfs snapshot a@x b@x`. */
  multiSnapshot: boolean
  /** `zfs diff`. */
  diff: boolean
  /** The `written` property. */
  written: boolean
  /** The `clones` property of snapshots. */
  clones: boolean
  /** `zfs holds` lists hold tags. */
  holds: boolean
}

/** The line of zfs's usage text that describes `cmd` ('' when there is none). */
function usageLine(commandsUsage: string, cmd: string): string {
  return commandsUsage.split('\n').find(l => new RegExp(`^\\s*${cmd}\\s`).test(l)) ?? ''
}

/** The properties the `zfs get` usage text lists. */
function usageProperties(getUsage: string): Set<string> {
  return new Set(
    getUsage
      .split('\n')
      .map(l => /^\s+([a-z_]+)\s+(?:YES|NO)\s/.exec(l)?.[1])
      .filter((p): p is string => Boolean(p)),
  )
}

/** Reads capabilities from `zfs` (no arguments) and `zfs get` (no arguments) usage texts. */
export function parseCapabilities(commandsUsage: string, getUsage: string, versionText?: string): ZfsCapabilities {
  const line = (cmd: string) => usageLine(commandsUsage, cmd)
  const listLine = line('list')
  const snapshotLine = line('snapshot')
  const props = usageProperties(getUsage)
  const version = /^zfs-(\S+)/m.exec(versionText ?? '')?.[1]
  const openzfs = version !== undefined || /\s-j\b/.test(listLine) || /\[-H?p/.test(listLine)
  return {
    flavour: openzfs ? 'openzfs' : 'legacy',
    version,
    json: /\s\[?-j\b/.test(listLine),
    parsableList: /\[-[A-Za-z]*p/.test(listLine),
    multiSnapshot: /(?:snap(?:name)?>?|>)\s*\.\.\.\s*$/.test(snapshotLine.trimEnd()),
    diff: line('diff') !== '',
    written: props.has('written'),
    clones: props.has('clones'),
    holds: line('holds') !== '' && openzfs,
  }
}

/** A probe's result; `conclusive` is false when the usage texts were not zfs's (a forwarder or remote that failed). */
export interface CapabilitiesProbe {
  caps: ZfsCapabilities
  conclusive: boolean
}

/** Probes capabilities by running zfs three times (usage, `get` usage, `version`). */
export async function probeCapabilities(run: ZfsRunner): Promise<CapabilitiesProbe> {
  const [usage, get, version] = await Promise.all([run([]), run(['get']), run(['version'])])
  const commandsUsage = usage.stderr + usage.stdout
  const getUsage = get.stderr + get.stdout
  const caps = parseCapabilities(commandsUsage, getUsage, version.exitCode === 0 ? version.stdout : undefined)
  const conclusive =
    usageLine(commandsUsage, 'list') !== '' &&
    usageLine(commandsUsage, 'snapshot') !== '' &&
    usageProperties(getUsage).size > 0
  return {caps, conclusive}
}

/** Where capabilities are remembered between runs: `$XDG_CACHE_HOME/dcsnap/zfs-capabilities.json`. */
export function capabilitiesCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'dcsnap', 'zfs-capabilities.json')
}

/** The format of the cache file; entries written by another format are ignored (and dropped on the next write). */
export const CAPABILITIES_CACHE_VERSION = 2

/** At most this many zfs commands are remembered (the least recently probed go first). */
const MAX_ENTRIES = 32

/** Where a bare command word may be found: PATH, then the directories sudo's secure_path searches. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

/**
 * A key naming this zfs without running it: the command words and the identity (device, inode, size, mtime) of
 * every program they may run. A word with a `/` is that file; a bare word is every file of that name on PATH and in
 * the system directories (so behind `sudo -n zfs` the key follows both sudo and the zfs sudo finds on its
 * secure_path). Options (`-n`) are skipped. A zfs that a forwarder reaches elsewhere (a VM, ssh) is not seen:
 * there a usage error from any call makes dcsnap probe again (Zfs).
 */
export async function zfsFingerprint(words: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const ids: string[] = [`v${CAPABILITIES_CACHE_VERSION}`, ...words]
  for (const word of words) {
    if (word.startsWith('-')) continue
    for (const p of word.includes('/') ? [word] : await candidates(word, env)) {
      try {
        const s = await stat(p)
        ids.push(`${p}:${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`)
      } catch {
        ids.push(`${p}:missing`)
      }
    }
  }
  return createHash('sha256').update(ids.join('\0')).digest('hex').slice(0, 32)
}

/** Every regular file named `word` on PATH or in the system directories, each once. */
async function candidates(word: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const found: string[] = []
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS]
  for (const dir of new Set(dirs)) {
    const p = join(dir, word)
    try {
      if ((await stat(p)).isFile()) found.push(p)
    } catch {
      // Missing or unreadable: not a candidate.
    }
  }
  return found
}

/** Whether `v` has the shape of ZfsCapabilities (the cache is a file: its contents are checked, not trusted). */
export function isCapabilities(v: unknown): v is ZfsCapabilities {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const c = v as Record<string, unknown>
  const flags = ['json', 'parsableList', 'multiSnapshot', 'diff', 'written', 'clones', 'holds'] as const
  return (
    (c.flavour === 'openzfs' || c.flavour === 'legacy') &&
    (c.version === undefined || typeof c.version === 'string') &&
    flags.every(f => typeof c[f] === 'boolean')
  )
}

/** The entries of the cache file that have this format's version and shape ({} when there is none or it is not ours). */
async function readEntries(path: string): Promise<Record<string, ZfsCapabilities>> {
  const entries: Record<string, ZfsCapabilities> = {}
  if (!(await ownDirectory(dirname(path), false))) return entries
  let doc: unknown
  try {
    const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const s = await file.stat()
      if (!s.isFile() || !ownedByUs(s.uid) || (s.mode & 0o022) !== 0) return entries
      doc = JSON.parse(await file.readFile('utf8'))
    } finally {
      await file.close()
    }
  } catch {
    return entries
  }
  const d = doc as {version?: unknown; entries?: unknown} | null
  if (typeof d !== 'object' || d === null || d.version !== CAPABILITIES_CACHE_VERSION) return entries
  if (typeof d.entries !== 'object' || d.entries === null || Array.isArray(d.entries)) return entries
  for (const [key, caps] of Object.entries(d.entries)) if (isCapabilities(caps)) entries[key] = caps
  return entries
}

/** Reads remembered capabilities for a fingerprint, if any. */
export async function readCachedCapabilities(path: string, key: string): Promise<ZfsCapabilities | undefined> {
  return (await readEntries(path))[key]
}

/**
 * Remembers capabilities for a fingerprint (best effort: a read-only home only costs a probe next time). The file is
 * written to a new temp file (O_EXCL, 0600) and renamed over, in a directory that is ours and not writable by others.
 */
export async function writeCachedCapabilities(path: string, key: string, caps: ZfsCapabilities): Promise<void> {
  const dir = dirname(path)
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await mkdir(dir, {recursive: true, mode: 0o700})
    if (!(await ownDirectory(dir, true))) return
    const entries = await readEntries(path)
    delete entries[key]
    entries[key] = caps
    const keys = Object.keys(entries)
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete entries[old]
    const file = await open(tmp, 'wx', 0o600)
    try {
      await file.writeFile(JSON.stringify({version: CAPABILITIES_CACHE_VERSION, entries}, null, 2) + '\n')
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch {
    await unlink(tmp).catch(() => {})
  }
}

/** Whether `dir` is a real directory of this user that nobody else may write to (with `fix`, one of ours is made 0700). */
async function ownDirectory(dir: string, fix: boolean): Promise<boolean> {
  try {
    const s = await lstat(dir)
    if (!s.isDirectory() || !ownedByUs(s.uid)) return false
    if ((s.mode & 0o022) === 0) return true
    if (!fix) return false
    await chmod(dir, 0o700)
    return true
  } catch {
    return false
  }
}

function ownedByUs(uid: number): boolean {
  return process.getuid === undefined || uid === process.getuid()
}
