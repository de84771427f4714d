// The snapshot model: snapshots grouped by name across the build datasets, into builds, checkpoints and manual ones.
import {HEAD_LINE, lineDataset, lineNumber, lineOf, linesContainer, REPLICA_LINE} from '../lines/names.js'
import type {ZfsDataset, ZfsListing, ZfsSnapshot} from '../zfs/listing.js'
import {parseSnapshotName} from './names.js'

/** One snapshot name across the build datasets. */
export interface SnapshotSet {
  /** The part after `@`. */
  name: string
  /** The line it is seen on (`head`, `k1`, ...); its members may lie on an older line it descends from. */
  line: string
  kind: 'checkpoint' | 'baseline' | 'manual'
  build?: string
  step?: string
  /** The step's index from `dcsnap:index`, when dcsnap made it. */
  index?: number
  /** The snapshot on each dataset that has it, in dataset order. */
  members: ZfsSnapshot[]
  /** Build datasets that lack it: a checkpoint with any is `incomplete`. */
  missing: string[]
  complete: boolean
  /** Some member has a hold. */
  held: boolean
  /** Clones of any member (known where ZFS has `clones`, or after origins were read). */
  clones: string[]
  /** createtxg on the first build dataset that has it: the order of events, never creation time. */
  txg: number
  /** Earliest creation time, seconds since the epoch (for display only). */
  creation: number
  /** Space used, summed over members. */
  used: number
  /** Bytes written since the previous snapshot, summed, where ZFS has `written`. */
  written?: number
  /** dcsnap user properties of the first member. */
  user: Record<string, string>
}

/** A build: its baseline and checkpoints, in the order they were taken. */
export interface Build {
  id: string
  /** The line it was read on (`head` or a kept line). */
  line: string
  baseline?: SnapshotSet
  checkpoints: SnapshotSet[]
  /** Baseline and checkpoints together, in order. */
  snapshots: SnapshotSet[]
}

/**
 * Everything dcsnap knows of the build datasets after one listing: the head's line, and (`lines`) each kept line
 * as a view of its own. A line's snapshots are its lineage: its own, and those of the datasets it was cloned from
 * up to its origin, so a build split by a line move reads whole on the line that holds its end.
 */
export class Inventory {
  /** The datasets of this line: the head datasets, or `<head>.dclines/kN` for each. */
  readonly datasets: readonly string[]
  /** The head datasets (the manifest's), proto first. */
  readonly heads: readonly string[]
  /** `head`, or the kept line's name. */
  readonly line: string
  readonly datasetInfo: ZfsDataset[]
  /** Every snapshot name on the line, oldest first. */
  readonly snapshots: SnapshotSet[]
  /** The kept lines, oldest first (empty on a kept line's view). */
  readonly lines: Inventory[]
  /**
   * On the head's view of heads cloned from a replica (`resume --from`): the replica's own line, named
   * `REPLICA_LINE`, with what it received after the heads' origins (later pushes). Only cache hits read it.
   */
  readonly upstream?: Inventory
  /** The unfinished line move recorded on the proto's lines container, if any (section 7). */
  readonly journal?: string
  /** The whole listing this was made from. */
  readonly listing: ZfsListing
  private readonly perDataset = new Map<string, ZfsSnapshot[]>()

  /**
   * `upstreams` (by head position) name the replica datasets a head was cloned from (`dcsnap resume --from`): the
   * head's lineage goes on into them, so the build's earlier checkpoints read on the head's line.
   */
  constructor(
    heads: readonly string[],
    listing: ZfsListing,
    line: string = HEAD_LINE,
    readonly upstreams: ReadonlyArray<string | undefined> = [],
  ) {
    this.heads = heads
    this.line = line
    this.listing = listing
    this.datasets = line === HEAD_LINE || line === REPLICA_LINE ? heads : heads.map(h => lineDataset(h, line))
    this.datasetInfo = this.datasets
      .map(d => listing.datasets.find(x => x.name === d))
      .filter((d): d is ZfsDataset => Boolean(d))
    // Each name's member on each dataset of the line (by position), found in one pass.
    const byName = new Map<string, Array<ZfsSnapshot | undefined>>()
    const byDataset = snapshotsByDataset(listing)
    this.heads.forEach((head, i) => {
      const own = this.datasets[i]
      const list = lineage(own, head, listing, byDataset, upstreams[i])
      if (list.length > 0) this.perDataset.set(own, list)
      for (const s of list) {
        let at = byName.get(s.snapshot)
        if (!at) byName.set(s.snapshot, (at = new Array<ZfsSnapshot | undefined>(heads.length)))
        at[i] = s
      }
    })
    this.snapshots = [...byName.entries()]
      .map(([name, found]) => this.makeSet(name, found))
      .sort((a, b) => a.txg - b.txg || a.name.localeCompare(b.name))
    if (line === HEAD_LINE) {
      this.journal = listing.datasets.find(d => d.name === linesContainer(heads[0]))?.user['dcsnap:journal']
      const names = new Set<string>()
      for (const d of listing.datasets)
        for (const h of heads) {
          const l = lineOf(h, d.name)
          if (l) names.add(l)
        }
      this.lines = [...names]
        .sort((a, b) => lineNumber(a) - lineNumber(b))
        .map(l => new Inventory(heads, listing, l, upstreams))
      const from = upstreams.filter((u): u is string => u !== undefined)
      if (from.length === heads.length && from.length > 0) this.upstream = new Inventory(from, listing, REPLICA_LINE)
    } else {
      this.lines = []
    }
  }

  /** The view of one line (`head` is this inventory's head view); undefined when no such line exists. */
  view(line: string): Inventory | undefined {
    if (line === this.line) return this
    return this.lines.find(l => l.line === line)
  }

  /** The view a set was seen on: the head's line, a kept line, or the replica's (`upstream`). */
  viewOf(set: SnapshotSet): Inventory | undefined {
    return set.line === REPLICA_LINE && this.upstream ? this.upstream : this.view(set.line)
  }

  /**
   * Whether every member of a set lies in the build datasets' own family (a head or one of its kept lines), not in a
   * replica a head was cloned from (`resume --from`): going back to one there clones it again (never promoted).
   */
  ownsMembers(set: SnapshotSet): boolean {
    // By dataset, not by position: an incomplete set's members are only those that exist.
    return set.members.every(m => this.heads.some(h => m.dataset === h || lineOf(h, m.dataset) !== undefined))
  }

  /** `everywhere()`, then the line of the replica the heads were cloned from (`upstream`), when they were. */
  withUpstream(): Inventory[] {
    return this.upstream ? [...this.everywhere(), this.upstream] : this.everywhere()
  }

  /** The head's line and every kept line. */
  everywhere(): Inventory[] {
    return [this, ...this.lines]
  }

  /** Every build id on any line. */
  allBuildIds(): string[] {
    // The replica's builds too: a build made here takes an id the other machine has not used.
    return [...new Set(this.withUpstream().flatMap(v => v.builds().map(b => b.id)))]
  }

  /** The line whose lineage holds the newest snapshot of a build (the head's when tied), or undefined. */
  lineOfBuild(id: string): Inventory | undefined {
    let best: Inventory | undefined
    let txg = -1
    for (const v of this.everywhere()) {
      const last = v.build(id)?.snapshots.at(-1)?.txg
      if (last !== undefined && last > txg) [best, txg] = [v, last]
    }
    return best
  }

  private makeSet(name: string, found: Array<ZfsSnapshot | undefined>): SnapshotSet {
    const members = found.filter((s): s is ZfsSnapshot => Boolean(s))
    const parsed = parseSnapshotName(name)
    const user = members[0].user
    const index = user['dcsnap:index'] === undefined ? undefined : Number(user['dcsnap:index'])
    const written = members.every(m => m.written !== undefined)
      ? members.reduce((t, m) => t + (m.written ?? 0), 0)
      : undefined
    return {
      name,
      line: this.line,
      kind: parsed.kind,
      build: parsed.kind === 'manual' ? undefined : parsed.build,
      step: parsed.kind === 'checkpoint' ? parsed.step : undefined,
      index: Number.isFinite(index) ? index : undefined,
      members,
      missing: this.datasets.filter((_, i) => !found[i]),
      complete: members.length === this.datasets.length,
      held: members.some(m => m.userrefs > 0),
      clones: members.flatMap(m => m.clones ?? []),
      txg: members[0].createtxg,
      creation: Math.min(...members.map(m => m.creation)),
      used: members.reduce((t, m) => t + m.used, 0),
      written,
      user,
    }
  }

  /** Where this line's datasets are mounted (absolute mountpoints only: not `none` or `legacy`). */
  mountpoints(): string[] {
    return this.datasetInfo.flatMap(d => (d.mountpoint?.startsWith('/') ? [d.mountpoint] : []))
  }

  /** A kept line's own snapshots (not those of the line it descends from); every snapshot of the head's line. */
  ownSnapshots(): SnapshotSet[] {
    return this.line === HEAD_LINE
      ? this.snapshots
      : this.snapshots.filter(s => s.members.some(m => this.datasets.includes(m.dataset)))
  }

  /** Builds, oldest first (by their first snapshot). */
  builds(): Build[] {
    const builds = new Map<string, Build>()
    for (const s of this.snapshots) {
      if (s.build === undefined) continue
      let b = builds.get(s.build)
      if (!b) builds.set(s.build, (b = {id: s.build, line: this.line, checkpoints: [], snapshots: []}))
      if (s.kind === 'baseline') b.baseline = s
      else b.checkpoints.push(s)
      b.snapshots.push(s)
    }
    return [...builds.values()]
  }

  /** A build by id. */
  build(id: string): Build | undefined {
    return this.builds().find(b => b.id === id)
  }

  /** The build whose newest snapshot is the most recent (by createtxg). */
  latestBuild(): Build | undefined {
    let latest: Build | undefined
    let txg = -1
    for (const b of this.builds()) {
      const last = b.snapshots.at(-1)!.txg
      if (last > txg) [latest, txg] = [b, last]
    }
    return latest
  }

  /** Manual snapshots (not in the `dc-` form), oldest first. */
  manual(): SnapshotSet[] {
    return this.snapshots.filter(s => s.kind === 'manual')
  }

  /** A snapshot set by its exact name. */
  find(name: string): SnapshotSet | undefined {
    return this.snapshots.find(s => s.name === name)
  }

  /** The snapshots of one dataset, oldest first. */
  on(dataset: string): ZfsSnapshot[] {
    return this.perDataset.get(dataset) ?? []
  }

  /** The snapshots of `dataset` taken after `snapshot` (by createtxg): what a rollback to it destroys. */
  after(dataset: string, snapshot: string): ZfsSnapshot[] {
    const list = this.on(dataset)
    const at = list.find(s => s.snapshot === snapshot)
    return at ? list.filter(s => s.createtxg > at.createtxg) : []
  }

  /** Records clones found from origins (ZFS without the `clones` property). */
  addClones(byOrigin: Map<string, string[]>): void {
    for (const set of this.snapshots) {
      for (const m of set.members) m.clones = byOrigin.get(m.name) ?? []
      set.clones = set.members.flatMap(m => m.clones ?? [])
    }
  }

  /** The set a full snapshot name belongs to. */
  setOf(snapshot: ZfsSnapshot): SnapshotSet {
    return this.find(snapshot.snapshot)!
  }

  /** Every set that could be the other half of `set` if a rename left it split under two names (see `splitHalves`). */
  splitCandidates(set: SnapshotSet): SnapshotSet[] {
    return this.snapshots.filter(other => splitHalves(set, other))
  }

  /** The other half of `set` when it is split and the pairing is unambiguous (each the other's only candidate); else undefined. */
  splitPartner(set: SnapshotSet): SnapshotSet | undefined {
    const candidates = this.splitCandidates(set)
    if (candidates.length !== 1) return undefined
    const [partner] = candidates
    return this.splitCandidates(partner).length === 1 ? partner : undefined
  }
}

/** Each dataset's snapshots, oldest first. */
function snapshotsByDataset(listing: ZfsListing): Map<string, ZfsSnapshot[]> {
  const map = new Map<string, ZfsSnapshot[]>()
  for (const s of listing.snapshots) {
    let list = map.get(s.dataset)
    if (!list) map.set(s.dataset, (list = []))
    list.push(s)
  }
  for (const list of map.values()) list.sort((a, b) => a.createtxg - b.createtxg)
  return map
}

/**
 * A dataset's lineage: the snapshots of the datasets of its family (the head and its lines) it was cloned from, up to
 * each origin, then its own; past the family, into `upstream`'s family (a replica the head was cloned from), where a
 * snapshot whose name the lineage already has is left out (the head's own copy of its origin stands for it).
 */
function lineage(
  dataset: string,
  head: string,
  listing: ZfsListing,
  byDataset: Map<string, ZfsSnapshot[]>,
  upstream?: string,
): ZfsSnapshot[] {
  const chain: ZfsSnapshot[][] = []
  const seen = new Set<string>()
  const names = new Set<string>()
  let ds: string | undefined = dataset
  let upTo = Infinity
  let inUpstream = false
  while (ds !== undefined && !seen.has(ds)) {
    seen.add(ds)
    const limit = upTo
    const part = (byDataset.get(ds) ?? []).filter(s => s.createtxg <= limit && !(inUpstream && names.has(s.snapshot)))
    for (const s of part) names.add(s.snapshot)
    chain.unshift(part)
    const origin = listing.datasets.find(d => d.name === ds)?.origin
    ds = undefined
    if (origin) {
      const from = origin.slice(0, origin.indexOf('@'))
      const snap = byDataset.get(from)?.find(s => s.name === origin)
      const family = from === head || lineOf(head, from) !== undefined
      const replica = upstream !== undefined && (from === upstream || lineOf(upstream, from) !== undefined)
      if (snap && (family || replica)) {
        ds = from
        upTo = snap.createtxg
        inUpstream = replica && !family
      }
    }
  }
  return chain.flat()
}

/** How far apart (seconds) two halves of a manual snapshot may have been taken to look like one set. */
export const SPLIT_WINDOW_SECONDS = 60

/** The dcsnap user properties of two sets are the same: for checkpoints this names the same build and step. */
export function sameDcsnapProperties(a: SnapshotSet, b: SnapshotSet): boolean {
  const ka = Object.keys(a.user).sort()
  const kb = Object.keys(b.user).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.user[k] === b.user[k])
}

/** Two names that look like one snapshot set split by a half-done rename: each on datasets the other lacks, with the
 * same dcsnap properties (a checkpoint's build and step), and, without them (manual snapshots), taken at one moment. */
export function splitHalves(a: SnapshotSet, b: SnapshotSet): boolean {
  if (a === b || a.name === b.name || a.complete || b.complete) return false
  if (a.members.some(m => b.members.some(n => n.dataset === m.dataset))) return false
  if (!sameDcsnapProperties(a, b)) return false
  if (a.user['dcsnap:build'] !== undefined) return true
  return Math.abs(a.creation - b.creation) <= SPLIT_WINDOW_SECONDS
}
