// Rollback with a plan: the target, what it keeps on a line or (--discard) destroys, and the SPEC's refusals, before anything changes.
import {RefusedError, UsageError} from '../errors.js'
import {refuseForeignMounts} from '../fs/mounts.js'
import {HEAD_LINE} from '../lines/names.js'
import {executeMove, planMove, type MovePlan} from '../lines/move.js'
import {refuseInReplica} from './replica-guard.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {ensureClones, loadInventory, type Session, withLock} from './session.js'

/** Why a snapshot blocks a plan. */
export interface Blocker {
  snapshot: string
  reason: 'manual' | 'held' | 'clones' | 'base' | 'cache-source'
  detail?: string
}

/**
 * What a rollback will do: move the head to `target` keeping what follows on a line (`move`), or roll each dataset
 * back to it, destroying `destroy` first (--discard, or nothing follows the target).
 */
export interface RollbackPlan {
  target: SnapshotSet
  /** The snapshot sets destroyed (only their members after the target), oldest first. */
  destroy: SnapshotSet[]
  /** The line move that keeps what follows the target, when it is kept. */
  move?: MovePlan
  /** Per dataset: the full target name and the full names destroyed. */
  steps: Array<{dataset: string; target: string; destroy: string[]}>
  blockers: Blocker[]
}

/** Options of a rollback. */
export interface RollbackOptions {
  build?: string
  /** The line of the target (as `--line`). */
  line?: string
  /** Also destroy manual snapshots taken after the target (holds and clones: never). */
  force?: boolean
  /** Destroy what follows the target instead of keeping it on a line. */
  discard?: boolean
  /** Keep the head's changes since its latest snapshot (default true; a resume passes false after a failed step). */
  keepChanges?: boolean
  /** Move even when nothing follows the target: the head's changes go to a line (resume --discard-changes after a pause). */
  forceMove?: boolean
}

/** Plans a rollback to a target without changing anything; `blockers` say what refuses it. */
export function planRollback(inventory: Inventory, target: SnapshotSet, opts: RollbackOptions = {}): RollbackPlan {
  if (target.line !== HEAD_LINE) return {target, destroy: [], steps: [], blockers: []}
  if (!target.complete) {
    throw new RefusedError(
      'INCOMPLETE_SNAPSHOT',
      `${target.name} is incomplete: ${target.missing.join(', ')} lacks it`,
      'Roll back to a snapshot that every build dataset has (`dcsnap list` marks incomplete ones).',
    )
  }
  // A checkpoint in the replica the head was cloned from (`resume --from`) is reached by a line move that clones it
  // again, never by rolling back: the replica is never modified.
  if (!inventory.ownsMembers(target)) return {target, destroy: [], steps: [], blockers: []}
  const steps = inventory.datasets.map(dataset => ({
    dataset,
    target: `${dataset}@${target.name}`,
    destroy: inventory.after(dataset, target.name).map(s => s.name),
  }))
  const names = new Set(steps.flatMap(s => s.destroy.map(n => n.slice(n.indexOf('@') + 1))))
  const destroy = inventory.snapshots.filter(s => names.has(s.name))
  return {target, destroy, steps, blockers: blockersOf(destroy, opts.force ?? false)}
}

/** The SPEC's refusals for destroying snapshots: manual ones (unless force), held and cloned ones (always; `goingToo` names clones removed as well). */
export function blockersOf(sets: SnapshotSet[], force: boolean, goingToo: ReadonlySet<string> = new Set()): Blocker[] {
  const blockers: Blocker[] = []
  for (const s of sets) {
    // Clones that the same plan removes (kept lines it empties) do not block.
    const clones = s.clones.filter(c => !goingToo.has(c))
    if (s.held) blockers.push({snapshot: s.name, reason: 'held'})
    if (clones.length > 0) blockers.push({snapshot: s.name, reason: 'clones', detail: clones.join(', ')})
    if (s.kind === 'manual' && !force) blockers.push({snapshot: s.name, reason: 'manual'})
  }
  return blockers
}

/** Throws the refusal (exit 3) that lists every blocker, naming what would let it proceed. */
export function refuseBlockers(action: string, blockers: Blocker[]): void {
  if (blockers.length === 0) return
  const list = blockers
    .map(b => `${b.snapshot} (${b.reason === 'clones' ? `has clones: ${b.detail}` : b.reason})`)
    .join(', ')
  const hints: string[] = []
  if (blockers.some(b => b.reason === 'manual')) hints.push('--force destroys the manual snapshots')
  if (blockers.some(b => b.reason === 'held')) hints.push('`dcsnap release` the held ones')
  if (blockers.some(b => b.reason === 'clones')) hints.push('destroy or promote the clones')
  throw new RefusedError(
    'WOULD_DESTROY_PROTECTED',
    action === 'destroy' ? `refusing to destroy ${list}` : `${action} would destroy ${list}`,
    `Refused: ${hints.join('; ')} to proceed.`,
    {blockers},
  )
}

/**
 * Turns a plan that would destroy (or a target on a kept line) into a line move that keeps it all (rule 4); with
 * --discard, reads clones where ZFS needs an extra call for them, for the blockers.
 */
export async function keepOrDiscard(
  session: Session,
  inventory: Inventory,
  plan: RollbackPlan,
  opts: RollbackOptions,
): Promise<RollbackPlan> {
  const onLine = plan.target.line !== HEAD_LINE
  const inReplica = !inventory.ownsMembers(plan.target)
  if (opts.discard) {
    refuseInReplica(
      inventory,
      [plan.target],
      '--discard (destroying what follows it)',
      'Go back without --discard: the head becomes a new clone of it, and what it holds now is kept on a line.',
    )
    if (onLine) {
      throw new UsageError(
        'DISCARD_ON_LINE',
        `${plan.target.line}:${plan.target.name} is on a kept line; --discard only destroys what follows a snapshot of the head's line`,
        `Bring it back without --discard (the head's line is kept as a line), then \`dcsnap destroy --line LINE\` what you do not want.`,
      )
    }
    if (plan.destroy.length === 0) return plan
    await ensureClones(session, inventory)
    return planRollback(inventory, plan.target, opts)
  }
  if (!onLine && !inReplica && plan.destroy.length === 0 && !opts.forceMove) return plan
  const move = await planMove(session, inventory, plan.target, {keepChanges: opts.keepChanges ?? true})
  // Nothing to keep (no later snapshot, and ZFS says the head has no changes): a plain rollback does it.
  if (!onLine && !inReplica && move.keeps.length === 0 && !move.journal.hand) return plan
  return {target: plan.target, destroy: [], steps: [], blockers: [], move}
}

/** Lists, resolves the target and plans (a line move unless --discard). */
export async function prepareRollback(
  session: Session,
  target: string,
  opts: RollbackOptions = {},
): Promise<RollbackPlan> {
  const inventory = await loadInventory(session)
  const set = resolveTarget(inventory, target, opts.build, opts.line)
  refuseForeignMounts(`rolling back to ${set.name}`, inventory.mountpoints())
  return keepOrDiscard(session, inventory, planRollback(inventory, set, opts), opts)
}

/** Carries out a plan: per dataset, destroy exactly the planned snapshots, then `zfs rollback` (never -r). */
export async function executeRollback(session: Session, plan: RollbackPlan): Promise<void> {
  return withLock(session, () => executeRollbackLocked(session, plan))
}

async function executeRollbackLocked(session: Session, plan: RollbackPlan): Promise<void> {
  if (plan.move) return executeMove(session, plan.move)
  refuseBlockers(`rollback to ${plan.target.name}`, plan.blockers)
  const done: string[] = []
  for (const step of plan.steps) {
    try {
      if (step.destroy.length > 0) {
        session.logger.info(
          `destroying ${step.destroy.length} snapshot(s) of ${step.dataset} after ${plan.target.name}`,
        )
        await session.zfs.destroy(step.destroy)
      }
      session.logger.info(`rolling ${step.dataset} back to ${plan.target.name}`)
      await session.zfs.rollback(step.target)
      done.push(step.dataset)
    } catch (error) {
      if (done.length > 0 && error instanceof Error) {
        error.message += `\n(already rolled back: ${done.join(', ')}; not yet: ${plan.steps
          .slice(done.length)
          .map(s => s.dataset)
          .join(', ')})`
      }
      throw error
    }
  }
}
