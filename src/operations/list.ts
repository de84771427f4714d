// The listing view: the snapshots of the chosen builds and the manual ones, with space totals.
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {selectBuild} from '../snapshots/resolve.js'
import {repairOf, type SetState} from './repair.js'
import {loadInventory, type Session} from './session.js'

/** One snapshot as `dcsnap list` shows it (and prints with --json). */
export interface SnapshotView {
  name: string
  /** The line it is on: `head`, or a kept line (`k1`), addressed as `k1:NAME`. */
  line: string
  /** A snapshot of hand changes a line move kept (`hand-kN`). */
  hand: boolean
  /** For the baseline of a build that reused steps from the cache: how many (SPEC 6); else 0. */
  reused: number
  kind: SnapshotSet['kind']
  build: string | null
  index: number | null
  step: string | null
  /** ISO 8601 creation time. */
  created: string
  createtxg: number
  used: number
  /** For a checkpoint: seconds from the snapshot before it in its build (its step's run, and the snapshot) to it; else null. */
  durationSeconds: number | null
  /** `referenced`, summed over its datasets: the data it holds. */
  referenced: number
  written: number | null
  /** `split`: a rename left it half done, the other half named `splitWith`; `incomplete`: some build dataset lacks it. */
  state: SetState
  /** The other half's name when `split`. */
  splitWith: string | null
  /** When `incomplete`: names that could each be its other half after a rename (ambiguous: no repair offered). */
  splitCandidates: string[]
  /** The dcsnap command that completes a split or incomplete manual snapshot (null otherwise). */
  repair: string | null
  /** Another way out (the reverse rename, or destroying the partial manual snapshot). */
  alternative: string | null
  held: boolean
  clones: string[]
  datasets: string[]
  missing: string[]
}

/** The whole listing. */
export interface ListView {
  datasets: string[]
  builds: string[]
  snapshots: SnapshotView[]
  /**
   * `used`: the sum of the listed snapshots' own (unique) space; `usedBySnapshots`: what ZFS counts for every snapshot
   * of the head datasets (`usedbysnapshots`, shared blocks included), null where not listed.
   */
  totals: {snapshots: number; used: number; usedBySnapshots: number | null; written: number | null}
  /** Every kept line: its datasets, how many snapshots of its own it holds, and its space as ZFS counts it (`used` of its datasets). */
  lines: Array<{line: string; datasets: string[]; snapshots: number; used: number}>
}

/** What to list: every build, one build (default: the latest); `target` is the -m/-d words put into repair commands. */
export interface ListOptions {
  all?: boolean
  build?: string
  target?: readonly string[]
}

/** Lists (one zfs call) and keeps the latest build, the one named, or every build with `all`; manual snapshots always. */
export async function listSnapshots(session: Session, opts: ListOptions = {}): Promise<ListView> {
  return listView(await loadInventory(session), opts)
}

/**
 * Builds the listing from an inventory: the head's latest build (or the one named, on whatever line holds it), or
 * with `all` every build on every line; manual snapshots of the head always, of kept lines with `all`.
 */
export function listView(inventory: Inventory, opts: ListOptions = {}): ListView {
  const views: Array<{view: Inventory; sets: SnapshotSet[]}> = []
  let chosen: string[] = []
  if (opts.all) {
    for (const view of inventory.everywhere()) views.push({view, sets: view.ownSnapshots()})
    chosen = inventory.allBuildIds()
  } else {
    const build = inventory.builds().length > 0 || opts.build ? selectBuild(inventory, opts.build) : undefined
    const view = build ? (inventory.view(build.line) ?? inventory) : inventory
    chosen = build ? [build.id] : []
    views.push({
      view: inventory,
      sets: inventory.snapshots.filter(s => s.kind === 'manual' || (view === inventory && s.build === build?.id)),
    })
    if (view !== inventory) views.push({view, sets: view.snapshots.filter(s => s.build === build?.id)})
  }
  const snapshots = views.flatMap(({view, sets}) =>
    sets.map(s => ({...viewOf(s), durationSeconds: durationOf(view, s), ...repairOf(view, s, opts.target)})),
  )
  const written = snapshots.every(s => s.written !== null) ? snapshots.reduce((t, s) => t + (s.written ?? 0), 0) : null
  return {
    datasets: [...inventory.datasets],
    builds: chosen,
    snapshots,
    totals: {
      snapshots: snapshots.length,
      used: snapshots.reduce((t, s) => t + s.used, 0),
      usedBySnapshots: sumOf(inventory.datasetInfo.map(d => d.usedbysnapshots)),
      written,
    },
    lines: inventory.lines.map(l => {
      const own = l.ownSnapshots()
      return {
        line: l.line,
        datasets: [...l.datasets],
        snapshots: own.length,
        used: sumOf(l.datasetInfo.map(d => d.used)) ?? own.reduce((t, s) => t + s.used, 0),
      }
    }),
  }
}

/** The view of one snapshot set (state `complete` or `incomplete`: telling a split needs the inventory, as listView does). */
export function viewOf(s: SnapshotSet): SnapshotView {
  return {
    name: s.name,
    line: s.line,
    hand: s.user['dcsnap:kind'] === 'hand',
    reused: s.kind === 'baseline' ? Number(s.user['dcsnap:cached'] ?? 0) || 0 : 0,
    kind: s.kind,
    build: s.build ?? null,
    index: s.index ?? null,
    step: s.step ?? null,
    created: new Date(s.creation * 1000).toISOString(),
    createtxg: s.txg,
    used: s.used,
    durationSeconds: null,
    referenced: s.members.reduce((t, m) => t + m.referenced, 0),
    written: s.written ?? null,
    state: s.complete ? 'complete' : 'incomplete',
    splitWith: null,
    splitCandidates: [],
    repair: null,
    alternative: null,
    held: s.held,
    clones: s.clones,
    datasets: s.members.map(m => m.dataset),
    missing: s.missing,
  }
}

/** The sum of numbers that are all known, else null. */
function sumOf(values: Array<number | undefined>): number | null {
  const known = values.filter((v): v is number => v !== undefined)
  return values.length > 0 && known.length === values.length ? known.reduce((t, v) => t + v, 0) : null
}

/** A checkpoint's step time as its snapshots tell it: from the build's snapshot before it (on its line's lineage) to it. */
function durationOf(view: Inventory, s: SnapshotSet): number | null {
  if (s.kind !== 'checkpoint' || s.build === undefined) return null
  const before = view.snapshots.filter(o => o.build === s.build && o.txg < s.txg).at(-1)
  return before ? Math.max(0, s.creation - before.creation) : null
}
