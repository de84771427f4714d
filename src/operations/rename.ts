// Renames a snapshot on every build dataset, all or nothing; completes (or undoes) a rename left half done.
import {UsageError} from '../errors.js'
import {sameDcsnapProperties} from '../snapshots/inventory.js'
import {refuseInReplica} from './replica-guard.js'
import {assertSnapshotName} from '../snapshots/names.js'
import {loadInventory, type Session, withLock} from './session.js'

/** What a rename did: the full names renamed, as pairs, and the datasets that already had `to` (a half-done rename). */
export interface RenameResult {
  from: string
  to: string
  renamed: Array<{from: string; to: string}>
  /** Datasets that already had `to` and lacked `from`: this rename completed one left half done. */
  alreadyRenamed: string[]
}

/** Renames `from` to `to` on each build dataset; if one fails, renames back those already done.
 * Where some datasets already have `to` and lack `from` (a rename left half done, the same snapshot set), renames the rest. */
export async function renameSnapshot(session: Session, from: string, to: string): Promise<RenameResult> {
  return withLock(session, () => renameSnapshotLocked(session, from, to))
}

async function renameSnapshotLocked(session: Session, from: string, to: string): Promise<RenameResult> {
  from = from.replace(/^@/, '')
  to = to.replace(/^@/, '')
  for (const d of session.datasets) assertSnapshotName(d, to)
  const inventory = await loadInventory(session)
  const source = inventory.find(from)
  const target = inventory.find(to)
  if (!source && target?.complete) {
    // Already done (a rename whose dcsnap died after its last zfs call, or a command run twice): nothing to do.
    session.logger.info(`${from} is already renamed to ${to} on ${session.datasets.join(', ')}: nothing to do`)
    return {from, to, renamed: [], alreadyRenamed: target.members.map(m => m.dataset)}
  }
  if (!source) {
    throw new UsageError(
      'NO_SUCH_SNAPSHOT',
      `no snapshot "${from}" on ${session.datasets.join(', ')}`,
      'Run `dcsnap list --all` to see the snapshot names.',
    )
  }
  const taken = target
  const alreadyRenamed = taken?.members.map(m => m.dataset) ?? []
  if (taken) {
    const both = alreadyRenamed.filter(d => source.members.some(m => m.dataset === d))
    if (both.length > 0) {
      throw new UsageError(
        'SNAPSHOT_EXISTS',
        `"${to}" already exists on ${both.join(', ')}: nothing was renamed`,
        'Choose another name, or destroy that snapshot first.',
      )
    }
    if (!sameDcsnapProperties(source, taken)) {
      throw new UsageError(
        'SNAPSHOT_EXISTS',
        `"${to}" already exists on ${alreadyRenamed.join(', ')} and is not the other half of "${from}" (their dcsnap:* properties differ): nothing was renamed`,
        'Choose another name, or destroy that snapshot first.',
      )
    }
  }
  refuseInReplica(
    inventory,
    [source],
    'renaming it',
    'Take a snapshot of your own under the new name instead (`dcsnap snapshot NAME`).',
  )
  const pairs = source.members.map(m => ({from: m.name, to: `${m.dataset}@${to}`}))
  const done: typeof pairs = []
  try {
    for (const p of pairs) {
      await session.zfs.rename(p.from, p.to)
      done.push(p)
    }
  } catch (error) {
    for (const p of done.reverse()) {
      try {
        await session.zfs.rename(p.to, p.from)
      } catch (undoError) {
        session.logger.warn(`could not rename ${p.to} back to ${p.from}: ${(undoError as Error).message}`)
      }
    }
    throw error
  }
  const on = pairs.map(p => p.from.slice(0, p.from.indexOf('@'))).join(', ')
  session.logger.info(
    alreadyRenamed.length > 0
      ? `completed a rename left half done: ${alreadyRenamed.join(', ')} already had ${to}; renamed ${from} to ${to} on ${on}`
      : `renamed ${from} to ${to} on ${on}`,
  )
  return {from, to, renamed: pairs, alreadyRenamed}
}
