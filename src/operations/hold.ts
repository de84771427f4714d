// Holds protect a snapshot from rollback, resume, destroy and prune: a ZFS hold tagged `dcsnap` on every member.
import {ZfsError} from '../zfs/errors.js'
import type {SnapshotSet} from '../snapshots/inventory.js'
import {resolveTarget} from '../snapshots/resolve.js'
import {loadInventory, type Session, withLock} from './session.js'

/** The hold tag dcsnap places. */
export const HOLD_TAG = 'dcsnap'

/** Holds or releases a target on every dataset that has it; already held (or not held) members are left as they are. */
export async function setHold(
  session: Session,
  target: string,
  hold: boolean,
  opts: {build?: string} = {},
): Promise<{snapshot: SnapshotSet; changed: string[]}> {
  return withLock(session, () => setHoldLocked(session, target, hold, opts))
}

async function setHoldLocked(
  session: Session,
  target: string,
  hold: boolean,
  opts: {build?: string},
): Promise<{snapshot: SnapshotSet; changed: string[]}> {
  const inventory = await loadInventory(session)
  const set = resolveTarget(inventory, target, opts.build)
  const names = set.members.map(m => m.name)
  const call = (n: readonly string[]) => (hold ? session.zfs.hold(HOLD_TAG, n) : session.zfs.release(HOLD_TAG, n))
  const benign = hold ? 'tag-exists' : 'no-such-tag'
  try {
    await call(names)
    return {snapshot: set, changed: names}
  } catch (error) {
    if (!(error instanceof ZfsError && error.kind === benign)) throw error
  }
  // Some member already was in the wanted state: do the others one by one.
  const changed: string[] = []
  for (const n of names) {
    try {
      await call([n])
      changed.push(n)
    } catch (error) {
      if (!(error instanceof ZfsError && error.kind === benign)) throw error
    }
  }
  return {snapshot: set, changed}
}
