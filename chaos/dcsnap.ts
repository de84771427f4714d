// Runs the built dcsnap CLI through the chaos zfs wrapper, with an injected fault when asked, and judges its error output.
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chaosBin, repoRoot, start, type Outcome, type Running} from './exec.js'

/** What the wrapper does at one zfs call of one dcsnap run. */
export interface Injection {
  action: 'fail' | 'hang' | 'kill-before' | 'kill-after'
  /** The n-th call (1-based) among those matching `match`. */
  at: number
  /** A grep -E pattern on the zfs arguments; unset counts every call. */
  match?: string
  /** SIGKILL dcsnap alone, or its whole process group. */
  kill?: 'pid' | 'group'
}

/** Files one trial's dcsnap runs share: the wrapper's log and counter, the pid to kill, a private lock and cache dir. */
export interface Harness {
  dir: string
  log: string
  count: string
  target: string
  cacheHome: string
  lockDir: string
}

/** A fresh trial directory (under `parent`) with its harness files; `cacheHome` may be shared (warm capabilities). */
export function harness(parent: string, name: string, cacheHome: string, lockDir: string): Harness {
  const dir = join(parent, name)
  mkdirSync(dir, {recursive: true})
  return {
    dir,
    log: join(dir, 'zfs.log'),
    count: join(dir, 'zfs.count'),
    target: join(dir, 'target.pid'),
    cacheHome,
    lockDir,
  }
}

/** A private temporary directory for an experiment. */
export function experimentDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `dcsnap-chaos-${name}-`))
}

/** The dcsnap under test: this checkout's, or another's bin/run.js named by CHAOS_DCSNAP (its dist built). */
export const dcsnapBin = process.env.CHAOS_DCSNAP || join(repoRoot, 'bin', 'run.js')

let runs = 0

/** The environment of one dcsnap run: the wrapper as DCSNAP_ZFS, a run id, and the injection if any. */
export function chaosEnv(
  h: Harness,
  runId: string,
  inject?: Injection,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  if (inject) writeFileSync(h.count, '0\n')
  return {
    ...process.env,
    NO_COLOR: '1',
    XDG_CACHE_HOME: h.cacheHome,
    DCSNAP_LOCK_DIR: h.lockDir,
    DCSNAP_ZFS: `${join(chaosBin, 'chaos-zfs')} zfs`,
    CHAOS_LOG: h.log,
    CHAOS_RUN: runId,
    CHAOS_TARGET_FILE: h.target,
    ...(inject
      ? {
          CHAOS_COUNT: h.count,
          CHAOS_ACTION: inject.action,
          CHAOS_AT: String(inject.at),
          CHAOS_MATCH: inject.match ?? '',
          CHAOS_KILL: inject.kill ?? 'pid',
        }
      : {}),
    ...extra,
  }
}

/** A unique run id for the wrapper's log. */
export function nextRunId(label: string): string {
  return `${label}.${++runs}`
}

/** Starts `dcsnap args` in its own process group (its pid is written where the wrapper reads whom to kill). */
export function startDcsnap(
  h: Harness,
  args: string[],
  opts: {runId: string; cwd?: string; inject?: Injection; env?: Record<string, string>},
): Running {
  return start(process.execPath, [dcsnapBin, ...args], {
    env: chaosEnv(h, opts.runId, opts.inject, opts.env),
    cwd: opts.cwd ?? h.dir,
    pidFile: h.target,
  })
}

/** Runs `dcsnap args` to its end (its group SIGKILLed after `timeoutMs`). */
export async function runDcsnap(
  h: Harness,
  args: string[],
  opts: {runId: string; cwd?: string; inject?: Injection; env?: Record<string, string>; timeoutMs?: number},
): Promise<Outcome & {timedOut: boolean}> {
  const r = startDcsnap(h, args, opts)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    r.kill(true)
  }, opts.timeoutMs ?? 120_000)
  const o = await r.done
  clearTimeout(timer)
  return {...o, timedOut}
}

/** Why an error output breaks the SPEC's "one line what went wrong, one line what to do" ('' when it keeps it). */
export function twoLineProblem(o: Outcome): string {
  const lines = o.stderr.replace(/\n+$/, '').split('\n')
  if (lines.some(l => /^\s+at \S+/.test(l))) return 'a stack trace on stderr'
  if (/dcsnap bug/i.test(o.stderr)) return '"This is a dcsnap bug"'
  const errors = lines.map((l, i) => (/^error:/.test(l) ? i : -1)).filter(i => i >= 0)
  if (errors.length !== 1) return `${errors.length} "error:" lines on stderr`
  if (errors[0] !== lines.length - 2) return `the error takes ${lines.length - errors[0]} lines, not 2`
  return ''
}

/** The last lines of a command's stderr, for a violation's details. */
export function tail(o: Outcome, n = 3): string {
  return o.stderr.trim().split('\n').slice(-n).join(' | ')
}
