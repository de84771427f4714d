// The holds a transfer places on the snapshots its streams start and end at: a tag of its own that names its process,
// so that the holds a killed transfer left behind can be told apart and released by the next one.
import type {Logger} from '../logger.js'
import type {Zfs} from '../zfs/zfs.js'
import {randomBytes} from 'node:crypto'

const TAG = /^dcsnap-send-(\d+)-[0-9a-f]{6}$/

/** A new transfer's tag: `dcsnap-send-PID-RANDOM`. */
export function transferTag(pid = process.pid): string {
  return `dcsnap-send-${pid}-${randomBytes(3).toString('hex')}`
}

/** The process a transfer tag names, or undefined for any other tag. */
export function tagProcess(tag: string): number | undefined {
  const m = TAG.exec(tag)
  return m ? Number(m[1]) : undefined
}

/** Whether a process of this machine is running (EPERM: it is, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Releases, from `held` (snapshots with holds, full names), the transfer tags whose process on this machine is gone:
 * what a transfer killed with -9 left. Where ZFS cannot list tags (zfs-fuse) nothing is found. Returns what it
 * released, as `TAG on SNAPSHOT`.
 */
export async function releaseStaleHolds(zfs: Zfs, held: readonly string[], logger: Logger): Promise<string[]> {
  if (held.length === 0) return []
  const released: string[] = []
  for (const [snapshot, tags] of await zfs.holds(held)) {
    for (const tag of tags) {
      const pid = tagProcess(tag)
      if (pid === undefined || pid === process.pid || alive(pid)) continue
      await zfs.release(tag, [snapshot])
      released.push(`${tag} on ${snapshot}`)
    }
  }
  if (released.length > 0) logger.info(`released the holds of transfers that were killed: ${released.join(', ')}`)
  return released
}
