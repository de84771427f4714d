// Runs one `zfs send | zfs receive` pair, each end local or through ssh: the sender writes straight into the
// receiver's stdin; dcsnap copies the stream itself only when asked to count its bytes.
import {spawn, type ChildProcess} from 'node:child_process'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {zfsErrorFor, zfsKilled, zfsNotFound, type ZfsError} from '../zfs/errors.js'
import {SendReports} from '../zfs/send.js'
import type {ZfsInvocation} from './endpoint.js'
import {SSH_FAILED, unreachable} from './ssh.js'

/** One end of the pipe: what runs, the zfs argv it stands for (for messages), and the ssh host when remote. */
export interface PipeEnd {
  invocation: ZfsInvocation
  argv: readonly string[]
  host?: string
}

/** Bytes sent so far (counted, or as the sender reports them), and since when. */
export interface PipeProgress {
  bytes: number
  startedAt: number
  /** The stream's size as the sender estimates it (`zfs send -vP`). */
  estimate?: number
  /** The last report of the stream: it ended (or failed). */
  done?: boolean
}

/** What the pipe moved: its bytes when counted or reported (not by a sender that is silent and uncounted). */
export interface PipeResult {
  bytes?: number
  seconds: number
}

/** How the stream's size is known. */
export interface PipeOptions {
  env?: NodeJS.ProcessEnv
  onProgress?: (p: PipeProgress) => void
  everyMs?: number
  signal?: AbortSignal
  /**
   * dcsnap copies the stream from the sender to the receiver and counts it: exact, at the cost of the copy (about
   * 1.75x a direct pipe on zfs-fuse). Otherwise the receiver reads the sender's output directly.
   */
  count?: boolean
  /** The sender runs with `-vP` (OpenZFS): its stderr reports sizes and progress (`parseSendReport`). */
  reports?: boolean
  /** Called once the sender has exited with success: the stream is out of the source (the receiver may still run). */
  onSent?: () => void
}

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  /** Why the program could not be started (ENOENT, EACCES, ...). */
  spawnError?: string
}

type Stdio = 'ignore' | 'pipe' | NodeJS.WritableStream

function start(
  end: PipeEnd,
  stdin: 'ignore' | 'pipe',
  stdout: Stdio,
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => boolean,
): {child: ChildProcess; exit: Promise<Exit>} {
  const child = spawn(end.invocation.file, end.invocation.args, {
    stdio: [stdin, stdout as 'pipe', 'pipe'],
    env: {...env, LC_ALL: 'C'},
    detached: true,
  })
  // stderr, less the lines `onLine` took as reports: what is left explains a failure.
  let stderr = ''
  let partial = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (!onLine) {
      stderr += d
      return
    }
    const lines = (partial + d).split('\n')
    partial = lines.pop() ?? ''
    for (const l of lines) if (!onLine(l)) stderr += `${l}\n`
  })
  child.stderr?.on('end', () => {
    if (partial !== '' && !onLine?.(partial)) stderr += partial
  })
  const exit = new Promise<Exit>(resolve => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve({code: 127, signal: null, stderr, spawnError: e.code ?? e.message}),
    )
    child.once('close', (code, signal) => resolve({code, signal, stderr}))
  })
  return {child, exit}
}

/**
 * Runs `send` into `receive`, reporting progress about every `everyMs` where bytes are counted or reported; `signal`
 * stops the sender (the receiver then fails, leaving a resume token where ZFS keeps one). The first end that failed
 * names the error.
 */
export async function pipeSendReceive(send: PipeEnd, receive: PipeEnd, opts: PipeOptions = {}): Promise<PipeResult> {
  const env = opts.env ?? process.env
  const startedAt = Date.now()
  const progress: PipeProgress = {bytes: 0, startedAt}
  const known = opts.count === true || opts.reports === true
  const sizes = new SendReports()
  const onLine = opts.reports
    ? (line: string) => {
        if (!sizes.take(line)) return false
        if (!opts.count) progress.bytes = sizes.sent()
        progress.estimate = sizes.total
        return true
      }
    : undefined
  // The receiver first: without a copy, its stdin pipe is the sender's stdout, and dcsnap closes its own end of it.
  const rcv = start(receive, 'pipe', 'pipe', env)
  const snd = start(send, 'ignore', opts.count ? 'pipe' : (rcv.child.stdin ?? 'ignore'), env, onLine)
  if (!opts.count) rcv.child.stdin?.destroy()
  const timer =
    opts.onProgress && known ? setInterval(() => opts.onProgress?.(progress), opts.everyMs ?? 1000) : undefined
  // The sender's whole process group (a wrapper such as `sudo zfs` or ssh has children of its own).
  const stop = () => {
    try {
      if (snd.child.pid !== undefined) process.kill(-snd.child.pid, 'SIGTERM')
    } catch {
      // The sender has exited already: nothing to stop.
    }
  }
  if (opts.signal?.aborted) stop()
  opts.signal?.addEventListener('abort', stop, {once: true})
  if (opts.onSent) void snd.exit.then(e => e.code === 0 && opts.onSent?.())
  try {
    // A receiver that exits early breaks the pipe; its own exit status says why, so the pipe's error is not the story.
    const flowing = opts.count
      ? pipeline(snd.child.stdout!, counter(progress), rcv.child.stdin!).catch(() => undefined)
      : undefined
    const [s, r] = await Promise.all([snd.exit, rcv.exit, flowing])
    // When both failed, the sender's failure caused the receiver's unless the sender only lost its pipe.
    if (s.code !== 0 && !(r.code !== 0 && brokenPipe(s))) throw endFailed(send, s)
    if (r.code !== 0) throw endFailed(receive, r)
    // Reports come once a second: at the end, the sender's own sizes say what it sent.
    if (!opts.count && opts.reports && sizes.total !== undefined) progress.bytes = sizes.total
    return {...(known ? {bytes: progress.bytes} : {}), seconds: (Date.now() - startedAt) / 1000}
  } finally {
    if (timer) clearInterval(timer)
    opts.signal?.removeEventListener('abort', stop)
    if (known) opts.onProgress?.({...progress, done: true})
  }
}

function counter(progress: PipeProgress): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      progress.bytes += chunk.length
      done(null, chunk)
    },
  })
}

/** The sender ended because its reader went away (SIGPIPE, or ssh passing on a remote one). */
function brokenPipe(e: Exit): boolean {
  return e.signal === 'SIGPIPE' || e.code === 141 || /broken pipe/i.test(e.stderr) || e.stderr.trim() === ''
}

/** The typed error of a failed end, as the ZFS layer's runners type theirs (`zfsKilled`, `zfsNotFound`, `unreachable`). */
function endFailed(end: PipeEnd, e: Exit): ZfsError {
  if (end.host !== undefined && e.code === SSH_FAILED) return unreachable(end.host, end.argv, e.stderr)
  if (e.signal) return zfsKilled(end.argv, e.signal)
  if (e.spawnError !== undefined) return zfsNotFound([end.invocation.file], e.spawnError)
  if (e.code === 127 && e.stderr.trim() === '') return zfsNotFound([end.invocation.file], 'exit 127')
  return zfsErrorFor(end.argv, e.stderr)
}
