// Takes one snapshot name on every build dataset at once: atomically where ZFS can, else all or nothing.
import {UsageError} from '../errors.js'
import {assertManualName, assertSnapshotName} from '../snapshots/names.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {dcsnapCommand} from './repair.js'
import {loadInventory, type Session, withLock} from './session.js'

/** Snapshots every build dataset as `<dataset>@<name>` with the given user properties; returns the full names. */
export async function takeSnapshots(
  session: Session,
  name: string,
  props: Record<string, string> = {},
): Promise<string[]> {
  return withLock(session, () => takeSnapshotsLocked(session, name, props))
}

async function takeSnapshotsLocked(session: Session, name: string, props: Record<string, string>): Promise<string[]> {
  for (const d of session.datasets) assertSnapshotName(d, name)
  const names = session.datasets.map(d => `${d}@${name}`)
  const {zfs, logger} = session
  if (names.length === 1 || (await zfs.capabilities()).multiSnapshot) {
    await zfs.snapshot(names, props)
    return names
  }
  // Legacy ZFS: one call per dataset; on any failure destroy what this call made, then report.
  const made: string[] = []
  try {
    for (const n of names) {
      await zfs.snapshot([n], props)
      made.push(n)
    }
  } catch (error) {
    for (const n of made.reverse()) {
      try {
        await zfs.destroy([n])
      } catch (undoError) {
        logger.warn(`could not remove ${n} after a failed snapshot: ${(undoError as Error).message}`)
      }
    }
    throw error
  }
  return names
}

/** What a manual snapshot did: the full names taken now and those that were already there (a snapshot left half done). */
export interface ManualSnapshotResult {
  snapshot: string
  /** Full names snapshotted by this call. */
  created: string[]
  /** Full names that already existed, taken earlier by a snapshot left half done; empty normally. */
  existing: string[]
}

/** A manual snapshot (`dcsnap snapshot NAME`): the `dc-` forms are reserved for checkpoints. When some build datasets
 * already have NAME as a manual snapshot (one left half done), only the others are snapshotted, and the result says so. */
export async function manualSnapshot(session: Session, name: string): Promise<ManualSnapshotResult> {
  return withLock(session, () => manualSnapshotLocked(session, name))
}

async function manualSnapshotLocked(session: Session, name: string): Promise<ManualSnapshotResult> {
  name = name.replace(/^@/, '')
  assertManualName(name)
  for (const d of session.datasets) assertSnapshotName(d, name)
  const inventory = await loadInventory(session)
  const found = inventory.find(name)
  if (found?.complete) {
    throw new UsageError(
      'SNAPSHOT_EXISTS',
      `"${name}" already exists on ${found.members.map(m => m.dataset).join(', ')}: no snapshot was taken`,
      'Choose another name, or destroy that snapshot first (`dcsnap destroy NAME`).',
    )
  }
  if (found) assertCompletable(inventory, found)
  const lacking = found ? found.missing : session.datasets
  const existing = found?.members.map(m => m.name) ?? []
  const created = await takeSnapshots({...session, datasets: lacking}, name)
  if (found) {
    const when = found.members.map(m => `${m.dataset} at ${new Date(m.creation * 1000).toISOString()}`).join(', ')
    session.logger.info(
      `completed snapshot ${name} left half done: taken now on ${lacking.join(', ')}; ${when} already had it (taken earlier)`,
    )
  } else {
    session.logger.info(`snapshot ${name} taken on ${session.datasets.join(', ')}`)
  }
  return {snapshot: name, created, existing}
}

/** Refuses to complete a partial NAME that may not be a half-done manual snapshot: a renamed checkpoint, or maybe half of a split rename. */
function assertCompletable(inventory: Inventory, found: SnapshotSet): void {
  const where = (s: SnapshotSet) => s.members.map(m => m.dataset).join(', ')
  const partner = inventory.splitPartner(found)
  if (partner) {
    throw new UsageError(
      'SNAPSHOT_SPLIT',
      `"${found.name}" on ${where(found)} is one half of a rename left half done ("${partner.name}" on ${where(partner)}): no snapshot was taken`,
      `Complete the rename instead: \`${dcsnapCommand(['rename', partner.name, found.name])}\` (see \`dcsnap list\`).`,
    )
  }
  const candidates = inventory.splitCandidates(found)
  if (candidates.length > 0) {
    throw new UsageError(
      'SNAPSHOT_SPLIT',
      `"${found.name}" on ${where(found)} may be one half of a rename left half done (with ${candidates.map(c => `"${c.name}" on ${where(c)}`).join(' or ')}): no snapshot was taken`,
      `Complete that rename (\`dcsnap rename OTHER ${found.name}\`), or destroy "${found.name}" (\`dcsnap destroy ${found.name}\`) and snapshot again.`,
    )
  }
  const build = found.user['dcsnap:build']
  if (build !== undefined) {
    const step = found.user['dcsnap:step']
    throw new UsageError(
      'SNAPSHOT_EXISTS',
      `"${found.name}" exists on ${where(found)} as a checkpoint of build ${build}${step ? ` (step ${step})` : ''}; a snapshot taken now would not match it: no snapshot was taken`,
      'Choose another name, or destroy that snapshot first (`dcsnap destroy NAME`).',
    )
  }
}
