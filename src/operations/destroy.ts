// Destroying snapshots and whole builds, and pruning old builds, each planned before anything is destroyed.
import {UsageError} from '../errors.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {blockersOf, refuseBlockers, type Blocker} from './rollback.js'
import {ensureClones, loadInventory, type Session, withLock} from './session.js'

/** What a destroy or prune will remove, and what it keeps. */
export interface DestroyPlan {
  destroy: SnapshotSet[]
  /** Kept by prune because they are held or cloned. */
  kept: Blocker[]
}

/** Plans `dcsnap destroy`: named snapshots or steps, or every snapshot of the named builds. */
export async function planDestroy(session: Session, targets: string[], opts: {build?: string; wholeBuild?: boolean} = {}): Promise<DestroyPlan> {
  if (targets.length === 0) throw new UsageError('NO_TARGETS', 'nothing to destroy was named', 'Name snapshots, steps, or builds with --whole-build.')
  const inventory = await loadInventory(session)
  const picked = new Map<string, SnapshotSet>()
  for (const t of targets) {
    const sets = opts.wholeBuild ? buildSnapshots(inventory, t) : [resolveTarget(inventory, t, opts.build)]
    for (const s of sets) picked.set(s.name, s)
  }
  await ensureClones(session, inventory)
  const destroy = inventory.snapshots.filter(s => picked.has(s.name))
  // Naming a manual snapshot is consent to destroy it; holds and clones still refuse.
  refuseBlockers('destroy', blockersOf(destroy, true))
  return {destroy, kept: []}
}

/** Plans `dcsnap prune --keep N`: every dcsnap snapshot of all but the N most recent builds, except held or cloned ones. */
export async function planPrune(session: Session, keep: number): Promise<DestroyPlan> {
  if (!Number.isInteger(keep) || keep < 0) throw new UsageError('INVALID_KEEP', `--keep must be a whole number, not ${keep}`, 'Pass --keep N with N >= 0.')
  const inventory = await loadInventory(session)
  const builds = inventory.builds()
  const old = builds.slice(0, Math.max(0, builds.length - keep)).flatMap(b => b.snapshots)
  if (old.length > 0) await ensureClones(session, inventory)
  const kept = blockersOf(old, true)
  const keptNames = new Set(kept.map(k => k.snapshot))
  return {destroy: old.filter(s => !keptNames.has(s.name)), kept}
}

/** Destroys every member of the planned snapshots, dataset by dataset. */
export async function executeDestroy(session: Session, plan: DestroyPlan): Promise<void> {
  return withLock(session, () => executeDestroyLocked(session, plan))
}

async function executeDestroyLocked(session: Session, plan: DestroyPlan): Promise<void> {
  for (const dataset of session.datasets) {
    const names = plan.destroy.flatMap(s => s.members.filter(m => m.dataset === dataset).map(m => m.name))
    if (names.length === 0) continue
    session.logger.info(`destroying ${names.length} snapshot(s) of ${dataset}`)
    await session.zfs.destroy(names)
  }
}

function buildSnapshots(inventory: Inventory, id: string): SnapshotSet[] {
  const build = inventory.build(id)
  if (!build) throw new UsageError('NO_SUCH_BUILD', `no build "${id}" on ${inventory.datasets.join(', ')}`, 'Run `dcsnap list --all` to see the builds.')
  return build.snapshots
}
