// What this zfs can do, read from its own usage texts; probed once and remembered per zfs binary.
import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, stat, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join} from 'node:path'
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
  return new Set(getUsage.split('\n').map(l => /^\s+([a-z_]+)\s+(?:YES|NO)\s/.exec(l)?.[1]).filter((p): p is string => Boolean(p)))
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
  const conclusive = usageLine(commandsUsage, 'list') !== '' && usageLine(commandsUsage, 'snapshot') !== '' && usageProperties(getUsage).size > 0
  return {caps, conclusive}
}

/** Where capabilities are remembered between runs: `$XDG_CACHE_HOME/dcsnap/zfs-capabilities.json`. */
export function capabilitiesCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'dcsnap', 'zfs-capabilities.json')
}

/** A key naming this zfs: its command words and the identity (inode, size, mtime) of the program run. */
export async function zfsFingerprint(words: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const program = await resolveProgram(words[0], env)
  const ids: string[] = [...words]
  for (const p of [program, ...words.slice(1).map(w => (isAbsolute(w) ? w : ''))]) {
    if (!p) continue
    try {
      const s = await stat(p)
      ids.push(`${p}:${s.ino}:${s.size}:${s.mtimeMs}`)
    } catch {
      ids.push(`${p}:missing`)
    }
  }
  return createHash('sha256').update(ids.join('\0')).digest('hex').slice(0, 32)
}

/** Reads remembered capabilities for a fingerprint, if any. */
export async function readCachedCapabilities(path: string, key: string): Promise<ZfsCapabilities | undefined> {
  try {
    const all = JSON.parse(await readFile(path, 'utf8')) as Record<string, ZfsCapabilities>
    return all[key]
  } catch {
    return undefined
  }
}

/** Remembers capabilities for a fingerprint (best effort: a read-only home only costs a probe next time). */
export async function writeCachedCapabilities(path: string, key: string, caps: ZfsCapabilities): Promise<void> {
  try {
    let all: Record<string, ZfsCapabilities> = {}
    try {
      all = JSON.parse(await readFile(path, 'utf8'))
    } catch {}
    all[key] = caps
    await mkdir(dirname(path), {recursive: true})
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(all, null, 2) + '\n')
    await rename(tmp, path)
  } catch {}
}

async function resolveProgram(word: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (word.includes('/')) return word
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir || '.', word)
    try {
      if ((await stat(p)).isFile()) return p
    } catch {}
  }
  return ''
}
