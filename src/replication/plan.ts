// Which streams bring a replica's dataset up to date with the source, decided by snapshot guids, never by names.
import {RefusedError} from '../errors.js'

/** A snapshot as the planner sees it. */
export interface ChainSnapshot {
  /** Full name, `pool/ds@snap`. */
  name: string
  /** The part after `@`. */
  snapshot: string
  guid: string
  /** dcsnap's user properties (a received dcsnap snapshot has them; one made on the receiving side has not). */
  user: Record<string, string>
}

/** How one dataset of the replica catches up. */
export type RoleDecision =
  | {kind: 'up-to-date'; at: ChainSnapshot}
  /** The replica's dataset does not exist: a full stream of the first snapshot, then the rest as one `-I`. */
  | {kind: 'full'; first: ChainSnapshot; last: ChainSnapshot}
  /** `-I from to` into the replica's dataset, whose newest snapshot is `from`. */
  | {kind: 'incremental'; from: ChainSnapshot; last: ChainSnapshot}
  /**
   * The replica's head goes on past `from` with snapshots the source holds on another line (the source moved its
   * head): the replica's head moves back to `destAt` first, keeping those on a kept line, then `-I from last`.
   */
  | {kind: 'move'; destAt: ChainSnapshot; from: ChainSnapshot; last: ChainSnapshot}

/**
 * Decides one dataset: `src` is the source's chain (oldest first, non-empty), `dest` the replica dataset's own
 * snapshots (oldest first; undefined when it does not exist), `sourceGuids` every snapshot guid the source has on
 * any line. A replica that diverged (its own snapshots, or nothing in common) is refused, naming what differs.
 */
export function planDataset(
  label: string,
  src: readonly ChainSnapshot[],
  dest: readonly ChainSnapshot[] | undefined,
  sourceGuids: ReadonlySet<string>,
): RoleDecision {
  const last = src[src.length - 1]
  if (dest === undefined) return {kind: 'full', first: src[0], last}
  const index = new Map(src.map((s, i) => [s.guid, i]))
  let c = -1
  for (let i = dest.length - 1; i >= 0; i--) {
    if (index.has(dest[i].guid)) {
      c = i
      break
    }
  }
  if (c === -1) {
    throw new RefusedError(
      'REPLICA_DIVERGED',
      `${label} has no snapshot in common with the source${dest.length === 0 ? ' (it has no snapshots at all)' : ` (its newest is ${dest[dest.length - 1].snapshot})`}`,
      'Push to a new replica path, or destroy that dataset yourself if it holds nothing you need: dcsnap never overwrites it.',
    )
  }
  const srcAt = index.get(dest[c].guid)!
  const extra = dest.slice(c + 1)
  const own = extra.filter(s => !sourceGuids.has(s.guid) && !isDcsnapSnapshot(s))
  if (own.length > 0) {
    throw new RefusedError(
      'REPLICA_DIVERGED',
      `${label} has snapshots the source never had: ${own.map(s => s.snapshot).join(', ')} (after ${dest[c].snapshot}, which both have)`,
      'They were made on the receiving side: move them away (`zfs rename`) or destroy them there, then push again; dcsnap never overwrites them.',
    )
  }
  if (srcAt === src.length - 1) return {kind: 'up-to-date', at: last}
  if (extra.length === 0) return {kind: 'incremental', from: src[srcAt], last}
  return {kind: 'move', destAt: dest[c], from: src[srcAt], last}
}

/** A snapshot dcsnap made (a checkpoint, a baseline or a line's hand snapshot): it arrived by a transfer if it is on a replica. */
function isDcsnapSnapshot(s: ChainSnapshot): boolean {
  return s.user['dcsnap:build'] !== undefined || s.user['dcsnap:kind'] !== undefined || /^hand-k\d+$/.test(s.snapshot)
}
