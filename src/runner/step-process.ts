// Runs one step: its own process group, a log file, output teed to the caller, a timeout, and a clean stop.
import {spawn} from 'node:child_process'
import {dirname} from 'node:path'
import {ensurePrivateDir} from '../fs/private-dir.js'
import {openForWrite} from '../fs/safe-open.js'
import type {StepDefinition} from '../manifest/manifest.js'

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
}

/** Runs a step to its end: a string through /bin/sh -c, an array exec'd without a shell. */
export async function runStep(r: StepRun): Promise<StepOutcome> {
  // Step output may hold secrets: a 0600 log in a directory only we can write, never through a planted symlink.
  const hint = 'Remove it, or set `logs:` in the manifest to a directory of your own.'
  await ensurePrivateDir(dirname(r.log), hint)
  const log = (await openForWrite(r.log, 0o600, hint)).createWriteStream()
  const [file, args] = typeof r.step.run === 'string' ? ['/bin/sh', ['-c', r.step.run]] : [r.step.run[0], r.step.run.slice(1)]
  let stopped: 'timed-out' | 'interrupted' | undefined
  const outcome = await new Promise<StepOutcome>(resolve => {
    const child = spawn(file, args, {cwd: r.cwd, env: r.env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
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
      killGroup(child.pid, 'SIGTERM')
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), r.graceMs ?? 5000).unref()
    }
    const timer = r.step.timeoutMs === undefined ? undefined : setTimeout(() => stop('timed-out'), r.step.timeoutMs)
    const onAbort = () => stop('interrupted')
    r.signal?.addEventListener('abort', onAbort)
    if (r.signal?.aborted) onAbort()
    child.once('error', error => {
      write(Buffer.from(`dcsnap: cannot run step ${r.step.name}: ${error.message}\n`))
      resolve({status: 'failed', exitCode: 127, signal: null, log: r.log})
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      r.signal?.removeEventListener('abort', onAbort)
      // Whatever the step left behind in its group goes too.
      killGroup(child.pid, 'SIGKILL')
      const status = stopped ?? (code === 0 ? 'succeeded' : 'failed')
      resolve({status, exitCode: code, signal, log: r.log})
    })
  })
  await new Promise(resolve => log.end(resolve))
  return outcome
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {}
}
