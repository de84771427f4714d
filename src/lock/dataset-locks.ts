// The per-dataset locks: one flock per dataset, taken in sorted order, held by this process and inherited by its
// steps and zfs calls. Re-entrant within a process, so that the library's primitives can lock for themselves.
import {closeSync} from 'node:fs'
import {BusyError} from '../errors.js'
import {addHeldLockFd, removeHeldLockFd} from './held-fds.js'
import {lockDir} from './lock-dir.js'
import {
  lockFilePath,
  openLockFile,
  readHolder,
  tryFlock,
  writeHolder,
  type LockFile,
  type LockHolder,
  type StepHolder,
} from './lock-file.js'
import {describeOrphan, findOrphan, type Orphan} from './orphans.js'
import {processStartTime} from './processes.js'

/** Locks held on a set of datasets; release() frees the ones this call took (exiting frees them too). */
export interface DatasetLocks {
  datasets: string[]
  /** Records (or clears) the step of `build` running under these locks, so that another dcsnap can find it if this one dies. */
  setStep(step: StepHolder | undefined, build?: string): void
  release(): void
}

interface Held {
  file: LockFile
  holder: LockHolder
  count: number
}

const held = new Map<string, Held>()

/** How to take locks. */
export interface LockOptions {
  env?: NodeJS.ProcessEnv
  /** The build the holder works on (shown to whoever finds the lock taken). */
  build?: string
}

/** Takes the lock of every dataset without waiting, in sorted order; throws BusyError (exit 4) naming the holder. */
export async function acquireLocks(datasets: readonly string[], opts: LockOptions = {}): Promise<DatasetLocks> {
  const sorted = [...new Set(datasets)].sort()
  const taken: string[] = []
  try {
    for (const dataset of sorted) {
      const mine = held.get(dataset)
      if (mine) {
        mine.count++
        taken.push(dataset)
        continue
      }
      const file = openLockFile(lockFilePath(lockDir(opts.env), dataset))
      let got = false
      try {
        got = await tryFlock(file.fd)
        const previous = readHolder(file.fd)
        if (!got) throw busy(dataset, previous, file.path)
        // The kernel lock is free, yet a dead dcsnap's step may still run having closed its copy of the lock file.
        const orphan = findOrphan(previous, file.path, false)
        if (orphan) throw orphanBusy(dataset, orphan)
      } catch (error) {
        closeSync(file.fd)
        throw error
      }
      const holder: LockHolder = {
        pid: process.pid,
        start: processStartTime(process.pid),
        command: process.argv.slice(1).join(' '),
        since: new Date().toISOString(),
        build: opts.build,
        dataset,
        uid: process.geteuid?.(),
      }
      writeHolder(file, holder)
      addHeldLockFd(file.fd)
      held.set(dataset, {file, holder, count: 1})
      taken.push(dataset)
    }
  } catch (error) {
    releaseAll(taken)
    throw error
  }
  let released = false
  return {
    datasets: sorted,
    setStep(step, build) {
      for (const dataset of taken) {
        const h = held.get(dataset)
        if (!h) continue
        h.holder = {...h.holder, step, build: build ?? h.holder.build}
        writeHolder(h.file, h.holder)
      }
    },
    release() {
      if (released) return
      released = true
      releaseAll(taken)
    },
  }
}

function releaseAll(datasets: string[]): void {
  for (const dataset of datasets) {
    const h = held.get(dataset)
    if (!h || --h.count > 0) continue
    held.delete(dataset)
    try {
      writeHolder(h.file, undefined)
    } catch {
      // Clearing the holder record is tidying only: the lock goes with the fd closed below, and that must happen.
    }
    removeHeldLockFd(h.file.fd)
    closeSync(h.file.fd)
  }
}

/** Whether this process holds the lock of every one of `datasets`. */
export function holdsLocks(datasets: readonly string[]): boolean {
  return datasets.every(d => held.has(d))
}

function busy(dataset: string, holder: LockHolder | undefined, path: string): BusyError {
  const orphan = findOrphan(holder, path, true)
  if (orphan) return orphanBusy(dataset, orphan)
  const who = holder
    ? `pid ${holder.pid} (${holder.command})${holder.build ? ` working on build ${holder.build}` : ''} since ${holder.since}`
    : 'another process'
  return new BusyError(
    `${dataset} is locked by ${who}`,
    'Wait for it to finish (`dcsnap status` shows it), or stop that process.',
    {holder, lock: path, dataset},
  )
}

function orphanBusy(dataset: string, orphan: Orphan): BusyError {
  const hint = orphan.holder.step
    ? 'Let it finish, or end it with `dcsnap stop` (same -m or -d); then `dcsnap resume`.'
    : 'Wait for it to finish, then run the command again.'
  return new BusyError(`${dataset}: ${describeOrphan(orphan)}`, hint, {orphan, dataset})
}
