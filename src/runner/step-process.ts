// Runs one step: its own process group, a log file, output teed to the caller, a timeout, and a clean stop.
import {spawn} from 'node:child_process'
import {dirname} from 'node:path'
import {ensurePrivateDir} from '../fs/private-dir.js'
import {openForWrite} from '../fs/safe-open.js'
import {heldLockFds} from '../lock/held-fds.js'
import type {StepDefinition} from '../manifest/manifest.js'
import {cgroupMembers} from '../lock/processes.js'
import {createStepCgroup, inCgroup, type StepCgroup} from './step-cgroup.js'

/** How a step ended. */
export interface StepOutcome {
  status: 'succeeded' | 'failed' | 'timed-out' | 'interrupted'
  exitCode: number | null
  signal: NodeJS.Signals | null
  log: string
}

/** Where and how to run a step. */
export interface StepRun {
  step: StepDefinition
  cwd: string
  env: NodeJS.ProcessEnv
  log: string
  /** Receives the step's output as it comes (the CLI writes it to stderr unless --quiet). */
  onOutput?: (chunk: Buffer) => void
  /** Aborting stops the step's whole process group. */
  signal?: AbortSignal
  /** How long a stopped step gets between SIGTERM and SIGKILL (default 5 s). */
  graceMs?: number
  /** File systems to mount for the step, in a mount namespace of its own (SPEC 9), in order. */
  mounts?: ResolvedMount[]
  /** Told the step's pid (its session id too) and cgroup as soon as it runs, to record them in the datasets' locks. */
  onSpawn?: (pid: number, cgroup: string | undefined) => void
}

/** Runs a step to its end: a string through /bin/sh -c, an array exec'd without a shell. */
export async function runStep(r: StepRun): Promise<StepOutcome> {
  // Step output may hold secrets: a 0600 log in a directory only we can write, never through a planted symlink.
  const hint = 'Remove it, or set `logs:` in the manifest to a directory of your own.'
  await ensurePrivateDir(dirname(r.log), hint)
  const log = (await openForWrite(r.log, 0o600, hint)).createWriteStream()
  const [stepFile, stepArgs] =
    typeof r.step.run === 'string' ? ['/bin/sh', ['-c', r.step.run]] : [r.step.run[0], r.step.run.slice(1)]
  const [file, args] =
    r.mounts && r.mounts.length > 0 ? inMountNamespace(r.mounts, stepFile, stepArgs) : [stepFile, stepArgs]
  // A cgroup keeps every process of the step findable, daemons included; without one, its session and the lock
  // files it inherits (below) still keep another dcsnap away while it runs.
  const cgroup = createStepCgroup(r.env)
  const [execFile, execArgs] = cgroup ? inCgroup(cgroup, file, args) : [file, args]
  let stopped: 'timed-out' | 'interrupted' | undefined
  const outcome = await new Promise<StepOutcome>(resolve => {
    // The step inherits the datasets' lock files (fds 3, 4, ...): if dcsnap dies, the kernel keeps the locks held
    // for as long as any process of the step lives.
    const child = spawn(execFile, execArgs, {
      cwd: r.cwd,
      env: r.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', ...heldLockFds()],
    })
    if (child.pid !== undefined) r.onSpawn?.(child.pid, cgroup?.path)
    // Backpressure: while the log cannot keep up, the step's pipes are paused (a step writing GBs must not fill dcsnap's heap).
    let waiting = false
    const write = (chunk: Buffer) => {
      if (!log.write(chunk) && !waiting) {
        waiting = true
        child.stdout?.pause()
        child.stderr?.pause()
        log.once('drain', () => {
          waiting = false
          child.stdout?.resume()
          child.stderr?.resume()
        })
      }
      r.onOutput?.(chunk)
    }
    child.stdout!.on('data', write)
    child.stderr!.on('data', write)
    const stop = (why: 'timed-out' | 'interrupted') => {
      if (stopped || child.exitCode !== null) return
      stopped = why
      killGroup(child.pid, 'SIGTERM', cgroup)
      setTimeout(() => killGroup(child.pid, 'SIGKILL', cgroup), r.graceMs ?? 5000).unref()
    }
    const timer = r.step.timeoutMs === undefined ? undefined : setTimeout(() => stop('timed-out'), r.step.timeoutMs)
    const onAbort = () => stop('interrupted')
    r.signal?.addEventListener('abort', onAbort)
    if (r.signal?.aborted) onAbort()
    child.once('error', error => {
      write(Buffer.from(`dcsnap: cannot run step ${r.step.name}: ${error.message}\n`))
      resolve({status: 'failed', exitCode: 127, signal: null, log: r.log})
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      r.signal?.removeEventListener('abort', onAbort)
      // Whatever the step left behind in its group, or anywhere in its cgroup, goes too.
      killGroup(child.pid, 'SIGKILL', cgroup)
      const status = stopped ?? (code === 0 ? 'succeeded' : 'failed')
      const done = () => resolve({status, exitCode: code, signal, log: r.log})
      // The output pipes close when the last process holding them is gone; one that escaped both the group and a
      // cgroup (no cgroup without root) could hold them for ever: after a moment, stop reading.
      const late = setTimeout(() => {
        child.stdout!.destroy()
        child.stderr!.destroy()
        done()
      }, 2000)
      child.once('close', () => {
        clearTimeout(late)
        done()
      })
    })
  })
  await new Promise(resolve => log.end(resolve))
  await removeCgroup(cgroup)
  return outcome
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals, cgroup: StepCgroup | undefined): void {
  if (pid) {
    try {
      process.kill(-pid, signal)
    } catch {
      // The process group has exited already: nothing left to signal.
    }
  }
  if (cgroup && signal === 'SIGKILL') cgroup.kill()
  else if (cgroup)
    for (const p of cgroupMembers(cgroup.path)) {
      try {
        process.kill(p, signal)
      } catch {
        // Exited already: nothing left to signal.
      }
    }
}

/** Waits (briefly) for the killed processes of the step's cgroup to be gone, then removes it. */
async function removeCgroup(cgroup: StepCgroup | undefined): Promise<void> {
  if (!cgroup) return
  for (let i = 0; i < 100 && cgroupMembers(cgroup.path).length > 0; i++) await new Promise(r => setTimeout(r, 20))
  cgroup.remove()
}

/** A mount of a step: a file system type (or `bind`), its source and the absolute directory it goes on. */
export interface ResolvedMount {
  type: 'proc' | 'sysfs' | 'devpts' | 'tmpfs' | 'bind'
  source: string
  target: string
}

/**
 * Runs a program in a new private mount namespace (util-linux \`unshare\`, no fork: the pid stays the step's) after
 * making its mounts there: they are seen only by the step and vanish when its last process ends, whatever kills it.
 * The script is fixed text; the mounts and the program are its arguments, never spliced into it.
 */
export function inMountNamespace(
  mounts: readonly ResolvedMount[],
  file: string,
  args: readonly string[],
): [string, string[]] {
  const script =
    'set -e; while [ "$1" != "--" ]; do t=$1; s=$2; d=$3; shift 3; mkdir -p "$d"; ' +
    'if [ "$t" = bind ]; then mount --bind "$s" "$d"; else mount -t "$t" "$s" "$d"; fi; done; shift; exec "$@"'
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      script,
      'dcsnap-mounts',
      ...mounts.flatMap(m => [m.type, m.source, m.target]),
      '--',
      file,
      ...args,
    ],
  ]
}
