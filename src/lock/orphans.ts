// A step whose dcsnap died: found through the holder its dcsnap recorded (cgroup, session) and through every
// process that still has the lock file open (steps and zfs calls inherit it).
import {rmdirSync} from 'node:fs'
import {
  cgroupMembers,
  describeProcess,
  isAlive,
  processesHoldingFile,
  sessionMembers,
  type ProcessInfo,
} from './processes.js'
import type {LockHolder} from './lock-file.js'

/** What still runs of a dead dcsnap's work on a dataset. */
export interface Orphan {
  /** The dcsnap that died. */
  holder: LockHolder
  /** Processes of its step (cgroup, session) and any other process holding the lock file open (a zfs call). */
  processes: ProcessInfo[]
}

/** The processes of the holder's step that still run (its cgroup and its session). */
export function stepProcesses(holder: LockHolder | undefined): number[] {
  const step = holder?.step
  if (!step) return []
  const pids = new Set<number>()
  if (step.cgroup) for (const pid of cgroupMembers(step.cgroup)) pids.add(pid)
  if (step.sid > 0) for (const pid of sessionMembers(step.sid)) pids.add(pid)
  pids.delete(process.pid)
  return [...pids]
}

/**
 * What is left running of a holder that is no longer alive, on a lock file at `path`: undefined when the holder
 * lives (it is simply busy) or nothing of it runs. `includeFileHolders` also scans /proc for open lock files.
 */
export function findOrphan(
  holder: LockHolder | undefined,
  path: string,
  includeFileHolders: boolean,
): Orphan | undefined {
  if (!holder || isAlive(holder.pid, holder.start)) return undefined
  const pids = new Set(stepProcesses(holder))
  if (includeFileHolders) for (const pid of processesHoldingFile(path)) pids.add(pid)
  if (pids.size === 0) {
    removeEmptyCgroup(holder.step?.cgroup)
    return undefined
  }
  return {holder, processes: [...pids].sort((a, b) => a - b).map(describeProcess)}
}

/** Removes a dead step's cgroup once nothing is left in it. */
export function removeEmptyCgroup(cgroup: string | undefined): void {
  if (!cgroup || cgroupMembers(cgroup).length > 0) return
  try {
    rmdirSync(cgroup)
  } catch {
    // Gone already, or busy again: the cgroup is left as it is; removing it is tidying only.
  }
}

/** One line naming an orphan: "step install of build 3 (pid 812 sh ./steps/install.sh, since ...)". */
export function describeOrphan(o: Orphan): string {
  const h = o.holder
  const what = h.step
    ? `step ${h.step.name} of build ${h.build ?? '?'}`
    : `a zfs call of ${h.build ? `build ${h.build}` : `dcsnap pid ${h.pid}`}`
  const since = h.step?.since ?? h.since
  const procs = o.processes
    .slice(0, 5)
    .map(p => `pid ${p.pid} ${p.command}`)
    .join('; ')
  return `${what} still runs although the dcsnap that started it (pid ${h.pid}) died: ${procs}${o.processes.length > 5 ? `; and ${o.processes.length - 5} more` : ''} (since ${since})`
}

export {isAlive}
