// The one refusal for changing, from build datasets cloned from a replica (`resume --from`), a snapshot that lies in
// that replica: it reads on the heads' line, but it is the replica's, which is never modified on its side.
import {RefusedError} from '../errors.js'
import {lineOf} from '../lines/names.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'

/** Refuses (exit 3, `TARGET_IN_REPLICA`) when any of `sets` lies in the replica; `doing` says what would change it. */
export function refuseInReplica(inventory: Inventory, sets: SnapshotSet[], doing: string, hint: string): void {
  const foreign = sets.filter(s => !inventory.ownsMembers(s))
  if (foreign.length === 0) return
  const where = foreign[0].members.find(
    m => !inventory.heads.includes(m.dataset) && !inventory.heads.some(h => lineOf(h, m.dataset)),
  )?.dataset
  throw new RefusedError(
    'TARGET_IN_REPLICA',
    `${foreign.map(s => s.name).join(', ')} ${foreign.length === 1 ? 'lies' : 'lie'} in ${where ?? 'a replica'}, which the build datasets were cloned from: ${doing} would change the replica`,
    hint,
  )
}
