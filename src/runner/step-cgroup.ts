// A cgroup (v2) per step where the system lets dcsnap make one (root, or a delegated subtree): a step's children
// cannot leave it, not even a daemon that calls setsid and closes its file descriptors, so dcsnap (or the next
// dcsnap, if this one dies) finds and stops every process of the step.
import {existsSync, mkdirSync, readFileSync, rmdirSync} from 'node:fs'
import {join} from 'node:path'
import {cgroupMembers, killCgroup} from '../lock/processes.js'

/** A step's cgroup. */
export interface StepCgroup {
  /** Its directory under the cgroup2 mount. */
  path: string
  /** Kills every process in it (cgroup.kill where the kernel has it, else one by one until it is empty). */
  kill(): void
  /** Removes it once empty (a no-op while processes remain). */
  remove(): void
}

let counter = 0

/** Makes a fresh cgroup for a step, or undefined where there is no writable cgroup2 hierarchy (the docs say what then). */
export function createStepCgroup(env: NodeJS.ProcessEnv = process.env): StepCgroup | undefined {
  if (env.DCSNAP_NO_CGROUP === '1') return undefined
  const parent = ownCgroupDir()
  if (!parent) return undefined
  const path = join(parent, `dcsnap-${process.pid}-${++counter}`)
  try {
    mkdirSync(path)
  } catch {
    return undefined
  }
  return {
    path,
    kill: () => killCgroup(path),
    remove: () => {
      if (cgroupMembers(path).length > 0) return
      try {
        rmdirSync(path)
      } catch {
        // Gone already, or busy again: the cgroup is left as it is; removing it is tidying only.
      }
    },
  }
}

/** The argv that runs `file args` inside the cgroup: a fixed /bin/sh line moves itself in, then execs the step. */
export function inCgroup(cgroup: StepCgroup, file: string, args: readonly string[]): [string, string[]] {
  const script =
    'echo $$ > "$0/cgroup.procs" || { echo "dcsnap: cannot enter the step cgroup $0" >&2; exit 126; }; exec "$@"'
  return ['/bin/sh', ['-c', script, cgroup.path, file, ...args]]
}

/** This process's cgroup directory in the cgroup2 hierarchy (pure v2 or hybrid), if it is mounted and writable. */
function ownCgroupDir(): string | undefined {
  try {
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map(l => l.split(' '))
      .find(f => f[f.indexOf('-') + 1] === 'cgroup2')?.[4]
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find(l => l.startsWith('0::'))
      ?.slice(3)
    if (!mount || own === undefined) return undefined
    const dir = join(mount, own)
    return existsSync(join(dir, 'cgroup.procs')) ? dir : undefined
  } catch {
    return undefined
  }
}
