// Runs the zfs command (or DCSNAP_ZFS) with an argument array, never through a shell.
import {spawn} from 'node:child_process'
import {heldLockFds} from '../lock/held-fds.js'
import {ZfsError, zfsErrorFor, zfsKilled, zfsNotFound} from './errors.js'

/** What one zfs call returned. */
export interface ZfsResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Something that runs zfs; swapped in tests and by library users (e.g. to count or log calls). */
export type ZfsRunner = (argv: readonly string[]) => Promise<ZfsResult>

/** The command words for zfs: DCSNAP_ZFS split on white space (e.g. `sudo -n zfs`), or plain `zfs`. */
export function zfsCommandWords(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.DCSNAP_ZFS ?? '').trim().split(/\s+/).filter(Boolean)
  return words.length > 0 ? words : ['zfs']
}

/** How zfs children run. */
export interface ExecZfsOptions {
  /** Receives each zfs command line. */
  debug?: (line: string) => void
  /** Variables added to dcsnap's own environment for zfs (LC_ALL=C is always set on top). */
  env?: NodeJS.ProcessEnv
}

/** The most output one zfs call may give (10,000 snapshots list in a few MB). */
const MAX_OUTPUT = 1024 * 1024 * 1024

/**
 * A runner that execs the zfs command words plus argv. Every child runs with LC_ALL=C (errors and usage texts are
 * read in English), in a process group of its own (a terminal's ^C reaches dcsnap, which lets the call finish),
 * and inherits the fds of the dataset locks held (as fds 3, 4, ...), so that if dcsnap dies mid-call the locks
 * stay held until zfs exits. Only a spawn failing with ENOENT or EACCES is exit 127; a signal is exit 1.
 */
export function execZfsRunner(words: readonly string[], opts: ExecZfsOptions = {}): ZfsRunner {
  const [file, ...prefix] = words
  return execInvocationRunner(argv => ({file, args: [...prefix, ...argv]}), words, opts)
}

/**
 * The runner behind execZfsRunner for any way of reaching zfs: `invoke` gives the program and arguments that run
 * `zfs ARGV` (locally, or through ssh); `words` name that program in messages.
 */
export function execInvocationRunner(
  invoke: (argv: readonly string[]) => {file: string; args: string[]},
  words: readonly string[],
  {debug, env}: ExecZfsOptions = {},
): ZfsRunner {
  return async argv => {
    debug?.(`zfs ${argv.join(' ')}`)
    const {file, args} = invoke(argv)
    const r = await runBuffered(file, args, {...process.env, ...env, LC_ALL: 'C'})
    if (r.signal) throw zfsKilled(argv, r.signal)
    if (r.overflow)
      throw new ZfsError(
        'unknown',
        argv,
        '',
        undefined,
        `\`zfs ${argv.join(' ')}\` printed more than ${MAX_OUTPUT} bytes`,
      )
    if (r.exitCode === undefined) {
      const cause = r.spawnError
      if (cause === 'ENOENT' || cause === 'EACCES') throw zfsNotFound(words, cause)
      throw new ZfsError(
        'unknown',
        argv,
        '',
        undefined,
        `cannot run zfs: \`${words.join(' ')}\` failed to start (${cause})`,
      )
    }
    return {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode}
  }
}

/** How a buffered child ended: its output, and its exit code, or the signal that killed it, or why it did not start. */
interface Buffered {
  stdout: string
  stderr: string
  exitCode?: number
  signal?: NodeJS.Signals
  spawnError?: string
  /** Its output passed MAX_OUTPUT: it was killed. */
  overflow: boolean
}

/**
 * Runs a program with its output buffered, in a process group of its own, sharing the held lock fds. node's own
 * spawn, not execa: loading execa costs every zfs-reading command ~35 ms of start-up (docs/decisions.md).
 */
function runBuffered(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Buffered> {
  return new Promise(resolve => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    let overflow = false
    let done = false
    const finish = (end: Pick<Buffered, 'exitCode' | 'signal' | 'spawnError'>) => {
      if (done) return
      done = true
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8')
      resolve({stdout: text(out), stderr: text(err), overflow, ...end})
    }
    const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe', ...heldLockFds()], detached: true, env})
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_OUTPUT) {
        overflow = true
        child.kill('SIGKILL')
        return
      }
      into.push(chunk)
    }
    child.stdout?.on('data', collect(out))
    child.stderr?.on('data', collect(err))
    child.on('error', (e: NodeJS.ErrnoException) => finish({spawnError: e.code ?? e.message}))
    child.on('close', (code, signal) =>
      finish(overflow ? {} : signal ? {signal} : code === null ? {spawnError: 'no exit status'} : {exitCode: code}),
    )
  })
}

/** Runs zfs and throws the typed ZfsError when it fails; returns stdout. */
export async function runOrThrow(run: ZfsRunner, argv: readonly string[]): Promise<string> {
  const r = await run(argv)
  if (r.exitCode !== 0) throw zfsErrorFor(argv, r.stderr)
  return r.stdout
}
