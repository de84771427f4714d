// Destroying snapshots and whole builds, and pruning old builds, each planned before anything is destroyed.
import {UsageError} from '../errors.js'
import {lineNumberOfDataset} from '../lines/names.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {refuseInReplica} from './replica-guard.js'
import {blockersOf, refuseBlockers, type Blocker} from './rollback.js'
import {ensureClones, loadInventory, type Session, withLock} from './session.js'

/** What a destroy or prune will remove, and what it keeps. */
export interface DestroyPlan {
  destroy: SnapshotSet[]
  /** Kept by prune because they are held or cloned. */
  kept: Blocker[]
}

const REPLICA_HINT =
  'It is what `dcsnap push` sent, and later pushes build on it: destroy it on the replica itself, with `zfs destroy`, only if you mean to.'

/** Plans `dcsnap destroy`: named snapshots or steps, or every snapshot of the named builds. */
export async function planDestroy(
  session: Session,
  targets: string[],
  opts: {build?: string; wholeBuild?: boolean} = {},
): Promise<DestroyPlan> {
  if (targets.length === 0)
    throw new UsageError(
      'NO_TARGETS',
      'nothing to destroy was named',
      'Name snapshots, steps, or builds with --whole-build.',
    )
  const inventory = await loadInventory(session)
  const picked = new Map<string, SnapshotSet>()
  for (const t of targets) {
    const sets = opts.wholeBuild ? buildSnapshots(inventory, t) : [resolveTarget(inventory, t, opts.build)]
    for (const s of sets) picked.set(s.members[0].name, s)
  }
  refuseInReplica(inventory, [...picked.values()], 'destroying it', REPLICA_HINT)
  await ensureClones(session, inventory)
  const destroy = [...picked.values()].sort((a, b) => a.txg - b.txg)
  // Naming a manual snapshot is consent to destroy it; holds and clones still refuse.
  refuseBlockers('destroy', blockersOf(destroy, true, emptiedLines(inventory, destroy)))
  return {destroy, kept: []}
}

/**
 * Plans `dcsnap prune --keep N`: every dcsnap snapshot of all but the N most recent builds, on the head and on kept
 * lines, except held or cloned ones and the base (the oldest baseline on the head's line, section 7).
 */
export async function planPrune(session: Session, keep: number): Promise<DestroyPlan> {
  if (!Number.isInteger(keep) || keep < 0)
    throw new UsageError('INVALID_KEEP', `--keep must be a whole number, not ${keep}`, 'Pass --keep N with N >= 0.')
  const inventory = await loadInventory(session)
  const newest = new Map<string, number>()
  for (const v of inventory.everywhere())
    for (const b of v.builds()) newest.set(b.id, Math.max(newest.get(b.id) ?? -1, b.snapshots.at(-1)!.txg))
  const ids = [...newest.keys()].sort((a, b) => newest.get(a)! - newest.get(b)!)
  const oldIds = new Set(ids.slice(0, Math.max(0, ids.length - keep)))
  const base = inventory.snapshots.find(s => s.kind === 'baseline' && s.complete)
  const old = everySnapshot(inventory).filter(s => s.build !== undefined && oldIds.has(s.build))
  if (old.length > 0) await ensureClones(session, inventory)
  const going = emptiedLines(inventory, old)
  // The checkpoints that kept builds reused steps from (SPEC 6): a resume of those builds at a reused step goes back to them.
  const sources = new Set(
    everySnapshot(inventory)
      .filter(s => s.build !== undefined && !oldIds.has(s.build))
      .flatMap(s => (s.user['dcsnap:from'] ?? '').split(' ').filter(Boolean)),
  )
  const isSource = (s: SnapshotSet) => s.members.some(m => m.guid !== undefined && sources.has(m.guid))
  const keptSets = old.filter(s => s === base || isSource(s) || blockersOf([s], true, going).length > 0)
  const kept = blockersOf(
    keptSets.filter(s => s !== base && !isSource(s)),
    true,
    going,
  )
  if (base && old.includes(base)) kept.push({snapshot: base.name, reason: 'base'})
  for (const s of keptSets)
    if (s !== base && isSource(s))
      kept.push({snapshot: s.name, reason: 'cache-source', detail: 'a kept build reused its step'})
  return {destroy: old.filter(s => !keptSets.includes(s)), kept}
}

/** The datasets of the kept lines whose every snapshot is in `sets`: they go with them. */
function emptiedLines(inventory: Inventory, sets: SnapshotSet[]): Set<string> {
  const picked = new Set(sets)
  const going = new Set<string>()
  for (const line of inventory.lines) {
    const own = line.ownSnapshots()
    if (own.length > 0 && own.every(s => picked.has(s))) for (const d of line.datasets) going.add(d)
  }
  return going
}

/**
 * Every snapshot once: the head's line, then each kept line's own; never one that lies in the replica the heads were
 * cloned from (`resume --from`), which reads on their line but is the replica's, not theirs.
 */
function everySnapshot(inventory: Inventory): SnapshotSet[] {
  return inventory
    .everywhere()
    .flatMap(v => v.ownSnapshots())
    .filter(s => inventory.ownsMembers(s))
}

/** Destroys every member of the planned snapshots, dataset by dataset. */
export async function executeDestroy(session: Session, plan: DestroyPlan): Promise<void> {
  return withLock(session, () => executeDestroyLocked(session, plan))
}

async function executeDestroyLocked(session: Session, plan: DestroyPlan): Promise<void> {
  const datasets = [...new Set(plan.destroy.flatMap(s => s.members.map(m => m.dataset)))]
  // Kept lines first, newest first (a later line may be a clone of an earlier one's snapshot), then the heads: a
  // line the plan empties is removed before the head snapshot it was cloned from is destroyed.
  datasets.sort((a, b) => lineNumberOfDataset(b) - lineNumberOfDataset(a))
  for (const dataset of datasets) {
    const names = plan.destroy.flatMap(s => s.members.filter(m => m.dataset === dataset).map(m => m.name))
    session.logger.info(`destroying ${names.length} snapshot(s) of ${dataset}`)
    await session.zfs.destroy(names)
    // A kept line left without snapshots holds nothing (it is never mounted): it goes too.
    if (!session.datasets.includes(dataset) && (await session.zfs.ownSnapshots(dataset)).length === 0) {
      session.logger.info(`removing the kept line ${dataset}: it holds no snapshots any more`)
      await session.zfs.destroyDataset(dataset)
    }
  }
}

/** Every snapshot of a build, on whatever lines hold it; refused when some of it lies in the replica the heads were cloned from. */
function buildSnapshots(inventory: Inventory, id: string): SnapshotSet[] {
  const sets = inventory
    .everywhere()
    .flatMap(v => v.ownSnapshots())
    .filter(s => s.build === id)
  refuseInReplica(inventory, sets, 'destroying it', REPLICA_HINT)
  if (sets.length === 0)
    throw new UsageError(
      'NO_SUCH_BUILD',
      `no build "${id}" on ${inventory.datasets.join(', ')} or its kept lines`,
      'Run `dcsnap list --all` to see the builds.',
    )
  return sets
}
