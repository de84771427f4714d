// Rollback with a plan: the target, every snapshot it destroys, and the SPEC's refusals, before anything changes.
import {RefusedError} from '../errors.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {ensureClones, loadInventory, type Session, withLock} from './session.js'

/** Why a snapshot blocks a plan. */
export interface Blocker {
  snapshot: string
  reason: 'manual' | 'held' | 'clones'
  detail?: string
}

/** What a rollback will do: roll each dataset back to `target`, destroying `destroy` first. */
export interface RollbackPlan {
  target: SnapshotSet
  /** The snapshot sets destroyed (only their members after the target), oldest first. */
  destroy: SnapshotSet[]
  /** Per dataset: the full target name and the full names destroyed. */
  steps: Array<{dataset: string; target: string; destroy: string[]}>
  blockers: Blocker[]
}

/** Options of a rollback. */
export interface RollbackOptions {
  build?: string
  /** Also destroy manual snapshots taken after the target (holds and clones: never). */
  force?: boolean
}

/** Plans a rollback to a target without changing anything; `blockers` say what refuses it. */
export function planRollback(inventory: Inventory, target: SnapshotSet, opts: RollbackOptions = {}): RollbackPlan {
  if (!target.complete) {
    throw new RefusedError('INCOMPLETE_SNAPSHOT', `${target.name} is incomplete: ${target.missing.join(', ')} lacks it`,
      'Roll back to a snapshot that every build dataset has (`dcsnap list` marks incomplete ones).')
  }
  const steps = inventory.datasets.map(dataset => ({
    dataset,
    target: `${dataset}@${target.name}`,
    destroy: inventory.after(dataset, target.name).map(s => s.name),
  }))
  const names = new Set(steps.flatMap(s => s.destroy.map(n => n.slice(n.indexOf('@') + 1))))
  const destroy = inventory.snapshots.filter(s => names.has(s.name))
  return {target, destroy, steps, blockers: blockersOf(destroy, opts.force ?? false)}
}

/** The SPEC's refusals for destroying snapshots: manual ones (unless force), held and cloned ones (always). */
export function blockersOf(sets: SnapshotSet[], force: boolean): Blocker[] {
  const blockers: Blocker[] = []
  for (const s of sets) {
    if (s.held) blockers.push({snapshot: s.name, reason: 'held'})
    if (s.clones.length > 0) blockers.push({snapshot: s.name, reason: 'clones', detail: s.clones.join(', ')})
    if (s.kind === 'manual' && !force) blockers.push({snapshot: s.name, reason: 'manual'})
  }
  return blockers
}

/** Throws the refusal (exit 3) that lists every blocker, naming what would let it proceed. */
export function refuseBlockers(action: string, blockers: Blocker[]): void {
  if (blockers.length === 0) return
  const list = blockers.map(b => `${b.snapshot} (${b.reason === 'clones' ? `has clones: ${b.detail}` : b.reason})`).join(', ')
  const hints: string[] = []
  if (blockers.some(b => b.reason === 'manual')) hints.push('--force destroys the manual snapshots')
  if (blockers.some(b => b.reason === 'held')) hints.push('`dcsnap release` the held ones')
  if (blockers.some(b => b.reason === 'clones')) hints.push('destroy or promote the clones')
  throw new RefusedError('WOULD_DESTROY_PROTECTED', `${action} would destroy ${list}`, `Refused: ${hints.join('; ')} to proceed.`, {blockers})
}

/** Lists, resolves the target and plans, reading clones too where ZFS needs an extra call for them. */
export async function prepareRollback(session: Session, target: string, opts: RollbackOptions = {}): Promise<RollbackPlan> {
  const inventory = await loadInventory(session)
  const set = resolveTarget(inventory, target, opts.build)
  let plan = planRollback(inventory, set, opts)
  if (plan.destroy.length > 0) {
    await ensureClones(session, inventory)
    plan = planRollback(inventory, set, opts)
  }
  return plan
}

/** Carries out a plan: per dataset, destroy exactly the planned snapshots, then `zfs rollback` (never -r). */
export async function executeRollback(session: Session, plan: RollbackPlan): Promise<void> {
  return withLock(session, () => executeRollbackLocked(session, plan))
}

async function executeRollbackLocked(session: Session, plan: RollbackPlan): Promise<void> {
  refuseBlockers(`rollback to ${plan.target.name}`, plan.blockers)
  const done: string[] = []
  for (const step of plan.steps) {
    try {
      if (step.destroy.length > 0) {
        session.logger.info(`destroying ${step.destroy.length} snapshot(s) of ${step.dataset} after ${plan.target.name}`)
        await session.zfs.destroy(step.destroy)
      }
      session.logger.info(`rolling ${step.dataset} back to ${plan.target.name}`)
      await session.zfs.rollback(step.target)
      done.push(step.dataset)
    } catch (error) {
      if (done.length > 0 && error instanceof Error) {
        error.message += `\n(already rolled back: ${done.join(', ')}; not yet: ${plan.steps.slice(done.length).map(s => s.dataset).join(', ')})`
      }
      throw error
    }
  }
}
