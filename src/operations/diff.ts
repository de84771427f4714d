// Files changed in the proto area between two snapshots, or between a snapshot and now.
import type {DiffEntry} from '../zfs/diff.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {loadInventory, type Session} from './session.js'

/** The changes in the proto area (the first build dataset) from `from` to `to` (default: the live dataset). */
export async function diffProto(
  session: Session,
  from: string,
  to?: string,
  opts: {build?: string} = {},
): Promise<{from: string; to: string; changes: DiffEntry[]}> {
  const inventory = await loadInventory(session)
  const proto = session.datasets[0]
  const fromSet = resolveTarget(inventory, from, opts.build)
  const toSet = to === undefined ? undefined : resolveTarget(inventory, to, opts.build)
  const fromName = `${proto}@${fromSet.name}`
  const toName = toSet ? `${proto}@${toSet.name}` : undefined
  return {from: fromName, to: toName ?? proto, changes: await session.zfs.diff(fromName, toName)}
}
