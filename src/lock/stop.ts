// `dcsnap stop`: ends what a dead dcsnap left running under the datasets' locks (its step's processes, however
// they daemonized), waits for its zfs calls to finish, and leaves the locks free.
import {closeSync, constants, openSync} from 'node:fs'
import {BusyError} from '../errors.js'
import {acquireLocks} from './dataset-locks.js'
import {lockDir} from './lock-dir.js'
import {lockFilePath, readHolder, type LockHolder} from './lock-file.js'
import {isAlive, removeEmptyCgroup, stepProcesses} from './orphans.js'
import {describeProcess, killCgroup, processesHoldingFile, type ProcessInfo} from './processes.js'
import {zfsCommandWords} from '../zfs/command.js'

/** What `stop` found and ended. */
export interface StopResult {
  /** The dead dcsnaps whose work was found (one per dataset lock). */
  holders: LockHolder[]
  /** The processes that were signalled. */
  stopped: ProcessInfo[]
  /** zfs calls that were waited for, never killed (killing zfs mid-call is how datasets end up half-done). */
  waitedFor: ProcessInfo[]
}

/** How `stop` goes about it. */
export interface StopOptions {
  env?: NodeJS.ProcessEnv
  /** Time between SIGTERM and SIGKILL (default 5 s). */
  graceMs?: number
  /** How long to wait for zfs calls and for the locks to come free (default 60 s). */
  waitMs?: number
  /** Only report what would be stopped. */
  dryRun?: boolean
}

/** Stops the orphaned steps on `datasets` and returns once their locks are free (BusyError if a live dcsnap holds one). */
export async function stopOrphans(datasets: readonly string[], opts: StopOptions = {}): Promise<StopResult> {
  const holders: LockHolder[] = []
  const victims = new Map<number, ProcessInfo>()
  const zfsCalls = new Map<number, ProcessInfo>()
  const cgroups = new Set<string>()
  for (const dataset of [...new Set(datasets)].sort()) {
    const path = lockFilePath(lockDir(opts.env), dataset)
    const holder = readHolderAt(path)
    if (!holder) continue
    if (isAlive(holder.pid, holder.start)) {
      throw new BusyError(
        `${dataset} is locked by a running dcsnap, pid ${holder.pid} (${holder.command})`,
        `\`dcsnap stop\` only ends the steps of a dcsnap that died: stop that one with Ctrl-C or \`kill ${holder.pid}\`.`,
        {holder, dataset},
      )
    }
    holders.push(holder)
    if (holder.step?.cgroup) cgroups.add(holder.step.cgroup)
    const step = new Set(stepProcesses(holder))
    for (const pid of new Set([...step, ...processesHoldingFile(path)])) {
      const info = describeProcess(pid)
      if (!step.has(pid) && isZfsCall(info, opts.env)) zfsCalls.set(pid, info)
      else victims.set(pid, info)
    }
  }
  const result: StopResult = {holders, stopped: [...victims.values()], waitedFor: [...zfsCalls.values()]}
  if (opts.dryRun) return result
  signal([...victims.keys()], 'SIGTERM')
  await waitGone([...victims.keys()], opts.graceMs ?? 5000)
  for (const cg of cgroups) killCgroup(cg)
  signal([...victims.keys()], 'SIGKILL')
  await waitGone([...victims.keys(), ...zfsCalls.keys()], opts.waitMs ?? 60_000)
  for (const cg of cgroups) removeEmptyCgroup(cg)
  // Taking the locks proves them free and clears the dead holder's record.
  ;(await acquireLocks(datasets, {env: opts.env})).release()
  return result
}

function readHolderAt(path: string): LockHolder | undefined {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  try {
    return readHolder(fd)
  } finally {
    closeSync(fd)
  }
}

function isZfsCall(p: ProcessInfo, env: NodeJS.ProcessEnv = process.env): boolean {
  const words = zfsCommandWords(env)
  const first = p.command.split(' ')[0] ?? ''
  return first === words[0] || first.endsWith('/zfs') || first === 'zfs'
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch {
      // Exited already (or not ours to signal): waitGone sees what is left.
    }
  }
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (pids.some(pid => isAlive(pid)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
}
