// Takes one snapshot name on every build dataset at once: atomically where ZFS can, else all or nothing.
import {assertManualName, assertSnapshotName} from '../snapshots/names.js'
import type {Session} from './session.js'

/** Snapshots every build dataset as `<dataset>@<name>` with the given user properties; returns the full names. */
export async function takeSnapshots(session: Session, name: string, props: Record<string, string> = {}): Promise<string[]> {
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

/** A manual snapshot (`dcsnap snapshot NAME`): the `dc-` forms are reserved for checkpoints. */
export async function manualSnapshot(session: Session, name: string): Promise<string[]> {
  assertManualName(name)
  const names = await takeSnapshots(session, name)
  session.logger.info(`snapshot ${name} taken on ${session.datasets.join(', ')}`)
  return names
}
