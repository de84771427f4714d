// The zfs client: every zfs command line dcsnap runs is built here, adapted to the probed capabilities.
import {isDeepStrictEqual} from 'node:util'
import {execZfsRunner, runOrThrow, zfsCommandWords, type ZfsRunner} from './command.js'
import {
  capabilitiesCachePath,
  probeCapabilities,
  type CapabilitiesProbe,
  readCachedCapabilities,
  writeCachedCapabilities,
  zfsFingerprint,
  type ZfsCapabilities,
} from './capabilities.js'
import {missingNames, ZfsError, zfsErrorFor, zfsUnsupportedOutput} from './errors.js'
import {parseAllow} from './allow.js'
import {parseDiff, type DiffEntry} from './diff.js'
import {
  checkListed,
  listingPart,
  listProperties,
  parseGetRows,
  parseJson,
  parseTabular,
  type ZfsListing,
} from './listing.js'

/** How to reach zfs. */
export interface ZfsOptions {
  /** Environment read for DCSNAP_ZFS and PATH, and added to dcsnap's own for zfs children (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** Replaces the exec of zfs (tests, logging, remote hosts). */
  runner?: ZfsRunner
  /** Skips the probe. */
  capabilities?: ZfsCapabilities
  /** Where probed capabilities are remembered; false to never remember. */
  capabilitiesCache?: string | false
  /** Receives each zfs command line. */
  debug?: (line: string) => void
}

const probes = new Map<string, Promise<CapabilitiesProbe>>()

/** What a line move reads of one dataset or snapshot. */
export interface ObjectState {
  guid: string
  origin?: string
  mounted?: boolean
  canmount?: string
  mountpoint?: string
}

/** How deep a list reaches below its names: lines containers hold kept lines, whose snapshots are one level further. */
function listDepth(containers: readonly string[]): number {
  return containers.length > 0 ? 2 : 1
}

/** A list asked for and not yet run. */
interface PendingList {
  datasets: readonly string[]
  containers: readonly string[]
  resolve: (listing: ZfsListing) => void
  reject: (error: unknown) => void
}

/** A zfs client bound to one zfs command. */
export class Zfs {
  readonly words: string[]
  private readonly run: ZfsRunner
  private readonly env: NodeJS.ProcessEnv
  private readonly cachePath: string | false
  private caps?: Promise<ZfsCapabilities>
  private capsFromCache = false
  private pendingLists?: PendingList[]

  constructor(opts: ZfsOptions = {}) {
    this.env = opts.env ?? process.env
    this.words = zfsCommandWords(this.env)
    this.run = opts.runner ?? execZfsRunner(this.words, {debug: opts.debug, env: this.env})
    this.cachePath = opts.capabilitiesCache ?? (opts.runner ? false : capabilitiesCachePath(this.env))
    if (opts.capabilities) this.caps = Promise.resolve(opts.capabilities)
  }

  /** What this zfs supports: probed once per process and zfs binary, and remembered on disk. */
  capabilities(): Promise<ZfsCapabilities> {
    this.caps ??= this.loadCapabilities()
    return this.caps
  }

  private async loadCapabilities(refresh = false): Promise<ZfsCapabilities> {
    if (this.cachePath === false) return (await probeCapabilities(this.run)).caps
    const key = await zfsFingerprint(this.words, this.env)
    if (!refresh) {
      const cached = await readCachedCapabilities(this.cachePath, key)
      if (cached) {
        this.capsFromCache = true
        return cached
      }
    }
    let probe = refresh ? undefined : probes.get(key)
    if (!probe) {
      probe = probeCapabilities(this.run)
      probes.set(key, probe)
    }
    const {caps, conclusive} = await probe
    this.capsFromCache = false
    // A probe that did not reach zfs (e.g. a forwarder that failed for a moment) serves this process only: remembered,
    // it would pin a wrong answer (an OpenZFS taken for legacy ZFS) on every later run.
    if (conclusive) await writeCachedCapabilities(this.cachePath, key, caps)
    return caps
  }

  /** Runs zfs with argv; throws ZfsError on failure; returns stdout. */
  exec(argv: readonly string[]): Promise<string> {
    return runOrThrow(this.run, argv)
  }

  /**
   * Runs `call`, which builds its zfs command lines from the capabilities. When they came from the cache and zfs
   * answers as if it lacked something (a usage error, output dcsnap cannot read), the cache may be stale (zfs was
   * upgraded behind a prefix or a forwarder): probe again once and, if the capabilities changed, call again.
   */
  private async withFreshCapabilities<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (!(
        error instanceof ZfsError &&
        (error.kind === 'unsupported' || error.kind === 'unsupported-output') &&
        this.capsFromCache
      ))
        throw error
      const stale = await this.capabilities()
      this.caps = this.loadCapabilities(true)
      if (isDeepStrictEqual(stale, await this.caps)) throw error
      return call()
    }
  }

  /**
   * The datasets and all their snapshots, in ONE zfs call whatever their number; each dataset must be listed.
   * `containers` (lines containers, section 7) are listed with their children and those children's snapshots in
   * the same call; one that does not exist (no line kept yet) is left out. Lists asked for in the same tick share
   * one call.
   */
  list(datasets: readonly string[], containers: readonly string[] = []): Promise<ZfsListing> {
    return new Promise((resolve, reject) => {
      const batch = (this.pendingLists ??= [])
      batch.push({datasets, containers, resolve, reject})
      if (batch.length === 1) queueMicrotask(() => void this.flushLists())
    })
  }

  /**
   * Runs the lists asked for in one tick (both ends of a local push, read side by side) as ONE zfs call, and gives each
   * caller its part. Should that call fail, each list runs alone, so that each caller gets its own error.
   */
  private async flushLists(): Promise<void> {
    const batch = this.pendingLists ?? []
    this.pendingLists = undefined
    const alone = (l: PendingList) =>
      this.withFreshCapabilities(() => this.listOnce(l.datasets, l.containers)).then(l.resolve, l.reject)
    if (batch.length === 1) return alone(batch[0])
    const datasets = [...new Set(batch.flatMap(l => l.datasets))]
    const containers = [...new Set(batch.flatMap(l => l.containers))].filter(c => !datasets.includes(c))
    let whole: ZfsListing
    try {
      whole = await this.withFreshCapabilities(() => this.listOnce(datasets, containers))
    } catch {
      await Promise.all(batch.map(alone))
      return
    }
    for (const l of batch) l.resolve(listingPart(whole, [...l.datasets, ...l.containers], listDepth(l.containers)))
  }

  private async listOnce(datasets: readonly string[], containers: readonly string[]): Promise<ZfsListing> {
    const caps = await this.capabilities()
    const props = listProperties(caps)
    const depth = String(listDepth(containers))
    const scope = ['-t', 'filesystem,volume,snapshot', '-d', depth]
    const names = [...datasets, ...containers]
    // No name would list every dataset of every pool.
    if (names.length === 0) return {datasets: [], snapshots: []}
    let argv: string[]
    let parse: (out: string) => ZfsListing
    // `zfs list -j` prints nothing at all when one name is missing (a lines container before the first line is
    // kept); `-Hp` lists the rest, so it is used whenever containers are asked for.
    if (caps.json && !(caps.parsableList && containers.length > 0)) {
      // `-p`, not `--json-int`: OpenZFS 2.3.2's --json-int prints every guid above 2^63 as 9223372036854775807.
      argv = ['list', '-j', '-p', ...scope, '-o', props.join(','), ...names]
      parse = out => parseJson(out, props, argv)
    } else if (caps.parsableList) {
      argv = ['list', '-H', '-p', ...scope, '-o', props.join(','), ...names]
      parse = out => parseTabular(out, props, argv)
    } else {
      argv = [
        'get',
        '-H',
        '-p',
        '-r',
        '-d',
        depth,
        '-o',
        'name,property,value',
        props.filter(p => p !== 'name').join(','),
        ...names,
      ]
      parse = out => parseGetRows(out, props, argv)
    }
    const r = await this.run(argv)
    // A lines container that does not exist (no line was ever kept) is the usual case: zfs lists the rest and
    // complains of it alone, which costs nothing more. Any other complaint is an error.
    let missing: string[] = []
    if (r.exitCode !== 0) {
      const lines = r.stderr.split('\n').filter(l => l.trim() !== '')
      missing = missingNames(r.stderr, containers)
      if (missing.length === 0 || !lines.every(l => missing.some(c => l.includes(`'${c}'`))))
        throw zfsErrorFor(argv, r.stderr)
    }
    let listing: ZfsListing
    try {
      listing = parse(r.stdout)
    } catch (error) {
      if (missing.length === 0) throw error
      // This zfs gives no readable listing when a name is missing: ask again without it.
      return this.listOnce(
        datasets,
        containers.filter(c => !missing.includes(c)),
      )
    }
    checkListed(listing, [...datasets, ...containers.filter(c => !missing.includes(c))], argv)
    return listing
  }

  /** Creates a filesystem with properties (`-o`), never its parents. */
  async create(dataset: string, props: Record<string, string> = {}): Promise<void> {
    await this.exec(['create', ...propertyOptions(props), dataset])
  }

  /** Clones a snapshot (full name) into a new dataset with properties (`-o`). */
  async clone(snapshot: string, dataset: string, props: Record<string, string> = {}): Promise<void> {
    await this.exec(['clone', ...propertyOptions(props), snapshot, dataset])
  }

  /** Promotes a clone: it takes over its origin's snapshots up to the origin. */
  async promote(dataset: string): Promise<void> {
    await this.exec(['promote', dataset])
  }

  /** Sets properties, one call each (legacy ZFS takes one property per `zfs set`). */
  async set(dataset: string, props: Record<string, string>): Promise<void> {
    for (const [k, v] of Object.entries(props)) await this.exec(['set', `${k}=${v}`, dataset])
  }

  /** Makes a property inherited again (or, for a user property without a parent value, unset). */
  async inherit(dataset: string, property: string): Promise<void> {
    await this.exec(['inherit', property, dataset])
  }

  /** Mounts a filesystem at its mountpoint. */
  async mount(dataset: string): Promise<void> {
    await this.exec(['mount', dataset])
  }

  /** Unmounts a filesystem (never forced: a busy one is an error). */
  async unmount(dataset: string): Promise<void> {
    await this.exec(['unmount', dataset])
  }

  /** Destroys one filesystem that has no snapshots and no children (never -r). */
  async destroyDataset(dataset: string): Promise<void> {
    await this.exec(['destroy', dataset])
  }

  /**
   * What line moves read of datasets or snapshots that may or may not exist: those that do, by name. One call: zfs
   * prints the ones that exist and names each missing one on stderr (exit 1, OpenZFS and zfs-fuse alike); its output
   * is taken only when every line of stderr names a missing one, else the missing ones are left out and asked again.
   */
  async states(names: readonly string[]): Promise<Map<string, ObjectState>> {
    const asked = [...new Set(names)]
    if (asked.length === 0) return new Map()
    const argv = ['get', '-H', '-p', '-o', 'name,property,value', STATE_PROPERTIES.join(','), ...asked]
    const r = await this.run(argv)
    if (r.exitCode === 0) return parseStates(r.stdout, asked, argv)
    const gone = missingNames(r.stderr, asked)
    const complaints = r.stderr.split('\n').filter(l => l.trim() !== '')
    if (gone.length === 0) throw zfsErrorFor(argv, r.stderr)
    if (complaints.length === gone.length && complaints.every(l => /does not exist|no such pool/.test(l)))
      return parseStates(r.stdout, asked, argv)
    return this.states(asked.filter(n => !gone.includes(n)))
  }

  /** A user property's value on a dataset, or undefined when unset or the dataset does not exist. */
  async userProperty(dataset: string, property: string): Promise<string | undefined> {
    try {
      const v = (await this.exec(['get', '-H', '-o', 'value', property, dataset])).replace(/\n$/, '')
      return v === '-' || v === '' ? undefined : v
    } catch (error) {
      if (error instanceof ZfsError && error.kind === 'no-such-dataset') return undefined
      throw error
    }
  }

  /**
   * The delegated permissions granted on a dataset itself, as `zfs allow` argument lists (dataset left out), where
   * ZFS can list them (OpenZFS; zfs-fuse's `zfs allow` does not work): none elsewhere.
   */
  async allowGrants(dataset: string): Promise<string[][]> {
    if ((await this.capabilities()).flavour !== 'openzfs') return []
    const argv = ['allow', dataset]
    return parseAllow(await this.exec(argv), dataset, argv)
  }

  /** Grants delegated permissions on a dataset: one `zfs allow` call with the argument list `allowGrants` gave. */
  async allow(dataset: string, grant: readonly string[]): Promise<void> {
    await this.exec(['allow', ...grant, dataset])
  }

  /** The `written` bytes of snapshots (full names) that exist and where ZFS has the property. */
  async writtenOf(names: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>()
    if (names.length === 0) return found
    const argv = ['get', '-H', '-p', '-o', 'name,value', 'written', ...names]
    for (const [name, value, line] of await this.namedValues(argv)) {
      if (!/^\d+$/.test(value)) throw zfsUnsupportedOutput(argv, 'a line is not a snapshot and a number of bytes', line)
      found.set(name, Number(value))
    }
    return found
  }

  /** The `receive_resume_token` of datasets that have one (an interrupted resumable receive), by name. */
  async resumeTokens(datasets: readonly string[]): Promise<Map<string, string>> {
    const argv = ['get', '-H', '-o', 'name,value', 'receive_resume_token', ...datasets]
    const found = new Map<string, string>()
    for (const [name, value] of await this.namedValues(argv)) if (value !== '-' && value !== '') found.set(name, value)
    return found
  }

  /** The datasets of `names` that are encrypted (`encryption` other than off); none where ZFS has no encryption. */
  async encrypted(names: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>()
    if (names.length === 0 || (await this.capabilities()).flavour !== 'openzfs') return found
    const argv = ['get', '-H', '-o', 'name,value', 'encryption', ...names]
    for (const [name, value] of await this.namedValues(argv)) if (value !== 'off' && value !== '-') found.add(name)
    return found
  }

  /** Runs `zfs get -H -o name,value ...` and splits each line: [name, value, the line]. */
  private async namedValues(argv: string[]): Promise<Array<[string, string, string]>> {
    const rows: Array<[string, string, string]> = []
    for (const line of (await this.exec(argv)).split('\n')) {
      if (line === '') continue
      const tab = line.indexOf('\t')
      if (tab <= 0) throw zfsUnsupportedOutput(argv, 'a line is not a name and a value separated by a tab', line)
      rows.push([line.slice(0, tab), line.slice(tab + 1), line])
    }
    return rows
  }

  /** The names of a dataset's own snapshots. */
  async ownSnapshots(dataset: string): Promise<string[]> {
    const out = await this.exec(['list', '-H', '-t', 'snapshot', '-d', '1', '-o', 'name', dataset])
    return out.split('\n').filter(l => l.startsWith(`${dataset}@`))
  }

  /** The properties set locally on a dataset (`zfs get -s local`), by name. */
  async localProperties(dataset: string): Promise<Record<string, string>> {
    const argv = ['get', '-H', '-p', '-s', 'local', '-o', 'property,value', 'all', dataset]
    const props: Record<string, string> = {}
    for (const line of (await this.exec(argv)).split('\n')) {
      if (line === '') continue
      const tab = line.indexOf('\t')
      if (tab <= 0) throw zfsUnsupportedOutput(argv, 'a line is not a property and a value separated by a tab', line)
      props[line.slice(0, tab)] = line.slice(tab + 1)
    }
    return props
  }

  /** Creates snapshots (full names) with user properties in one atomic call; several names need multiSnapshot. */
  async snapshot(names: readonly string[], props: Record<string, string> = {}): Promise<void> {
    await this.withFreshCapabilities(() => this.exec(['snapshot', ...propertyOptions(props), ...names]))
  }

  /** Destroys snapshots (full names) of one dataset; one call where ZFS takes `ds@a,b,c`. */
  destroy(names: readonly string[]): Promise<void> {
    return this.withFreshCapabilities(() => this.destroyOnce(names))
  }

  private async destroyOnce(names: readonly string[]): Promise<void> {
    if (names.length === 0) return
    const caps = await this.capabilities()
    const dataset = names[0].slice(0, names[0].indexOf('@'))
    const sameDataset = names.every(n => n.startsWith(`${dataset}@`))
    if (caps.flavour === 'openzfs' && sameDataset && names.length > 1) {
      await this.exec(['destroy', `${dataset}@${names.map(n => n.slice(dataset.length + 1)).join(',')}`])
      return
    }
    for (const n of names) await this.exec(['destroy', n])
  }

  /** Rolls a dataset back to its most recent snapshot; never with -r: dcsnap destroys what it planned first. */
  async rollback(snapshot: string): Promise<void> {
    await this.exec(['rollback', snapshot])
  }

  /** Renames one snapshot or dataset (full names). */
  async rename(from: string, to: string): Promise<void> {
    await this.exec(['rename', from, to])
  }

  /** Places a hold with a tag on snapshots (full names), in one call. */
  async hold(tag: string, names: readonly string[]): Promise<void> {
    await this.exec(['hold', tag, ...names])
  }

  /** Releases a hold tag from snapshots (full names), in one call. */
  async release(tag: string, names: readonly string[]): Promise<void> {
    await this.exec(['release', tag, ...names])
  }

  /** The hold tags of snapshots, where ZFS can list them. */
  holds(names: readonly string[]): Promise<Map<string, string[]>> {
    return this.withFreshCapabilities(() => this.holdsOnce(names))
  }

  private async holdsOnce(names: readonly string[]): Promise<Map<string, string[]>> {
    const tags = new Map<string, string[]>(names.map(n => [n, []]))
    if (names.length === 0 || !(await this.capabilities()).holds) return tags
    const argv = ['holds', '-H', ...names]
    for (const line of (await this.exec(argv)).split('\n')) {
      if (line === '') continue
      const [name, tag] = line.split('\t')
      const held = tags.get(name)
      if (!held || !tag)
        throw zfsUnsupportedOutput(argv, 'a line is not a snapshot asked for, a tag and a time separated by tabs', line)
      held.push(tag)
    }
    return tags
  }

  /** Clones of snapshots in the given pools, from every dataset's origin (for ZFS without `clones`). */
  async clonesByOrigin(pools: readonly string[]): Promise<Map<string, string[]>> {
    const argv = ['list', '-H', '-t', 'filesystem,volume', '-r', '-o', 'name,origin', ...pools]
    const out = await this.exec(argv)
    const clones = new Map<string, string[]>()
    for (const line of out.split('\n')) {
      if (line === '') continue
      const cells = line.split('\t')
      const [name, origin] = cells
      if (cells.length !== 2 || !name || !origin || (origin !== '-' && !origin.includes('@'))) {
        throw zfsUnsupportedOutput(
          argv,
          'a line is not a dataset and its origin (a snapshot or "-") separated by a tab',
          line,
        )
      }
      if (origin === '-') continue
      const list = clones.get(origin)
      if (list) list.push(name)
      else clones.set(origin, [name])
    }
    return clones
  }

  /** Files changed between a snapshot and a later snapshot or the live dataset (`zfs diff -FH`). */
  diff(from: string, to?: string): Promise<DiffEntry[]> {
    return this.withFreshCapabilities(async () => {
      const caps = await this.capabilities()
      if (!caps.diff) {
        throw new ZfsError(
          'unsupported',
          ['diff', from],
          '',
          undefined,
          `this ZFS (${caps.flavour}${caps.version ? ' ' + caps.version : ''}) has no \`zfs diff\``,
        )
      }
      const argv = ['diff', '-F', '-H', from, ...(to ? [to] : [])]
      return parseDiff(await this.exec(argv), argv)
    })
  }
}

/** `-o name=value` for each property. */
function propertyOptions(props: Record<string, string>): string[] {
  return Object.entries(props).flatMap(([k, v]) => ['-o', `${k}=${v}`])
}

const STATE_PROPERTIES = ['guid', 'origin', 'mounted', 'canmount', 'mountpoint']

/** `zfs get -H -p -o name,property,value` of STATE_PROPERTIES, by name. */
function parseStates(out: string, asked: readonly string[], argv: readonly string[]): Map<string, ObjectState> {
  const found = new Map<string, ObjectState>()
  for (const line of out.split('\n')) {
    if (line === '') continue
    const [name, prop, value] = line.split('\t')
    if (value === undefined || !asked.includes(name))
      throw zfsUnsupportedOutput(argv, 'a line is not a name asked for, a property and a value separated by tabs', line)
    let st = found.get(name)
    if (!st) found.set(name, (st = {guid: ''}))
    if (prop === 'guid') st.guid = value
    else if (prop === 'origin') st.origin = value === '-' ? undefined : value
    else if (prop === 'mounted') st.mounted = value === 'yes'
    else if (prop === 'canmount') st.canmount = value === '-' ? undefined : value
    else if (prop === 'mountpoint') st.mountpoint = value === '-' ? undefined : value
  }
  return found
}
