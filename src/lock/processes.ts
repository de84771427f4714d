// What /proc says about processes: alive or not, who holds a file open, who is in a cgroup or session.
import {existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** A process and its command line, as `ps` would show it. */
export interface ProcessInfo {
  pid: number
  command: string
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** The session id of a process (field 6 of /proc/PID/stat), or undefined if it is gone. */
export function processSession(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])
  } catch {
    return undefined
  }
}

/** Whether `pid` has exited but was not reaped yet (state Z or X): a zombie holds no file and runs nothing. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch {
    return false
  }
}

/** Whether the process `pid` still runs and is the one that started at `startTime` (when given: pids are reused). */
export function isAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (isZombie(pid)) return false
  if (startTime === undefined) return true
  const now = processStartTime(pid)
  return now === undefined || now === startTime
}

/** The command line of a process, for messages ("pid 412 (sh ./steps/install.sh)"). */
export function describeProcess(pid: number): ProcessInfo {
  let command = '?'
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || command
  } catch {
    // The process is gone or not ours to read: its command stays '?'.
  }
  return {pid, command: command.length > 120 ? `${command.slice(0, 117)}...` : command}
}

/** Every process (but this one) that has `path` open, found through /proc/PID/fd (other users' only as root). */
export function processesHoldingFile(path: string): number[] {
  const found: number[] = []
  for (const pid of allPids()) {
    if (pid === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) {
          found.push(pid)
          break
        }
      } catch {
        // The process or the fd went away meanwhile: it does not hold the file.
      }
    }
  }
  return found
}

/** Every process in session `sid` (a step runs in a session of its own; a child that calls setsid leaves it). */
export function sessionMembers(sid: number): number[] {
  return allPids().filter(pid => pid !== process.pid && processSession(pid) === sid && !isZombie(pid))
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter(n => /^\d+$/.test(n))
      .map(Number)
  } catch {
    return []
  }
}

/** The live pids listed in a cgroup's cgroup.procs (empty when it is gone; zombies left unreaped do not count). */
export function cgroupMembers(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter(pid => !isZombie(pid))
  } catch {
    return []
  }
}

/** Kills every process in a cgroup: cgroup.kill where the kernel has it, else SIGKILL one by one until it is empty. */
export function killCgroup(cgroup: string): void {
  const kill = join(cgroup, 'cgroup.kill')
  if (existsSync(kill)) {
    try {
      writeFileSync(kill, '1')
      return
    } catch {
      // No cgroup.kill to write to (older kernel, no permission): SIGKILL one by one below.
    }
  }
  for (let round = 0; round < 20; round++) {
    const pids = cgroupMembers(cgroup)
    if (pids.length === 0) return
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Exited already (or not ours): the next round lists what is left.
      }
    }
  }
}

/** Every process (but this one) whose working directory, root or an open file lies in `dir`: what keeps a mount busy. */
export function processesUsingDir(dir: string): number[] {
  const inside = (p: string) => p === dir || p.startsWith(`${dir}/`)
  const found: number[] = []
  for (const pid of allPids()) {
    if (pid === process.pid || isZombie(pid)) continue
    let uses = false
    for (const link of ['cwd', 'root']) {
      try {
        if (inside(readlinkSync(`/proc/${pid}/${link}`))) uses = true
      } catch {
        // The process went away or is not ours to read: it does not use the directory this way.
      }
    }
    if (!uses) {
      let fds: string[] = []
      try {
        fds = readdirSync(`/proc/${pid}/fd`)
      } catch {
        // The process went away or is not ours to read: fds stays empty.
      }
      for (const fd of fds) {
        try {
          if (inside(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
            uses = true
            break
          }
        } catch {
          // The process or the fd went away meanwhile: this fd does not count.
        }
      }
    }
    if (uses) found.push(pid)
  }
  return found
}
