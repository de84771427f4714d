// Renames a snapshot on every build dataset that has it, all or nothing.
import {UsageError} from '../errors.js'
import {assertSnapshotName} from '../snapshots/names.js'
import {loadInventory, type Session} from './session.js'

/** What a rename did: the full names renamed, as pairs. */
export interface RenameResult {
  from: string
  to: string
  renamed: Array<{from: string; to: string}>
}

/** Renames `from` to `to` on each build dataset; if one fails, renames back those already done. */
export async function renameSnapshot(session: Session, from: string, to: string): Promise<RenameResult> {
  from = from.replace(/^@/, '')
  to = to.replace(/^@/, '')
  for (const d of session.datasets) assertSnapshotName(d, to)
  const inventory = await loadInventory(session)
  const source = inventory.find(from)
  if (!source) {
    throw new UsageError('NO_SUCH_SNAPSHOT', `no snapshot "${from}" on ${session.datasets.join(', ')}`, 'Run `dcsnap list --all` to see the snapshot names.')
  }
  const taken = inventory.find(to)
  if (taken) {
    throw new UsageError('SNAPSHOT_EXISTS', `"${to}" already exists on ${taken.members.map(m => m.dataset).join(', ')}: nothing was renamed`,
      'Choose another name, or destroy that snapshot first.')
  }
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
  session.logger.info(`renamed ${from} to ${to} on ${pairs.map(p => p.from.slice(0, p.from.indexOf('@'))).join(', ')}`)
  return {from, to, renamed: pairs}
}
