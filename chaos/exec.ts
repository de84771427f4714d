// Running commands for the chaos suite: zfs and zpool straight, and dcsnap in a process group of its own that can be killed.
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root, seen from dist/chaos. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The chaos zfs wrapper, and the fake programs steps run. */
export const chaosBin = join(repoRoot, 'fixtures', 'bin')

/** What a finished command returned; times are wall-clock milliseconds (comparable with the wrapper's log). */
export interface Outcome {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  start: number
  end: number
}

/** Wall-clock time in milliseconds, with sub-millisecond precision. */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** A command running in its own process group. */
export interface Running {
  pid: number
  start: number
  done: Promise<Outcome>
  /** SIGKILL the process (or its whole process group). */
  kill(group?: boolean): void
}

/** Starts a command in a process group of its own; its stdout and stderr are collected. */
export function start(
  file: string,
  args: string[],
  opts: {env?: NodeJS.ProcessEnv; cwd?: string; pidFile?: string} = {},
): Running {
  const t0 = now()
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid ?? 0
  // The zfs wrapper reads whom to kill from here; written before node even starts to run dcsnap.
  if (opts.pidFile) writeFileSync(opts.pidFile, `${pid}\n`)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const done = new Promise<Outcome>(resolve => {
    child.once('error', e =>
      resolve({exitCode: 127, signal: null, stdout, stderr: stderr + String(e), start: t0, end: now()}),
    )
    child.once('close', (code, signal) => resolve({exitCode: code, signal, stdout, stderr, start: t0, end: now()}))
  })
  return {
    pid,
    start: t0,
    done,
    kill(group = false) {
      try {
        process.kill(group ? -pid : pid, 'SIGKILL')
      } catch {
        // Exited already: nothing left to kill.
      }
    },
  }
}

/** Runs a command to its end (SIGKILLed with its group after `timeoutMs`, when given). */
export async function run(
  file: string,
  args: string[],
  opts: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number} = {},
): Promise<Outcome & {timedOut: boolean}> {
  const r = start(file, args, opts)
  let timedOut = false
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          r.kill(true)
        }, opts.timeoutMs)
  const o = await r.done
  clearTimeout(timer)
  return {...o, timedOut}
}

/** Runs zfs (the real one, never the wrapper). */
export function zfs(args: string[]): Promise<Outcome> {
  return run('zfs', args, {timeoutMs: 120_000})
}

/** Runs zfs and throws with its stderr when it fails; returns stdout. */
export async function zfsOk(args: string[]): Promise<string> {
  const r = await zfs(args)
  if (r.exitCode !== 0) throw new Error(`zfs ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`)
  return r.stdout
}

/** Runs zfs until it stops answering "busy" (zfs-fuse does for a moment after a dataset was used). */
export async function zfsRetry(args: string[], attempts = 20): Promise<void> {
  for (let i = 1; ; i++) {
    const r = await zfs(args)
    if (r.exitCode === 0) return
    if (i >= attempts || !/busy/i.test(r.stderr))
      throw new Error(`zfs ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`)
    await sleep(100 * i)
  }
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SIGKILLs processes the suite started, by pid, when their command line still matches `mine` (a pid may be reused). */
export function killOwned(pids: Iterable<number>, mine: RegExp): void {
  for (const pid of pids) {
    if (!(pid > 1)) continue
    let cmdline: string
    let pgrp: number
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      pgrp = Number(
        readFileSync(`/proc/${pid}/stat`, 'utf8')
          .replace(/^.*\) /s, '')
          .split(' ')[2],
      )
    } catch {
      continue
    }
    if (!mine.test(cmdline)) continue
    try {
      // A group leader (a writer that called setsid) takes its sleep with it.
      process.kill(pgrp === pid ? -pid : pid, 'SIGKILL')
    } catch {
      // Exited already: nothing left to kill.
    }
  }
}
