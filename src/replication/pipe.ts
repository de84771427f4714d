// Runs one `zfs send | zfs receive` pair, counting the bytes between them; each end local or through ssh.
import {spawn, type ChildProcess} from 'node:child_process'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {zfsErrorFor, ZfsError} from '../zfs/errors.js'
import {ExitCode} from '../errors.js'
import type {ZfsInvocation} from './endpoint.js'
import {SSH_FAILED, unreachable} from './ssh.js'

/** One end of the pipe: what runs, the zfs argv it stands for (for messages), and the ssh host when remote. */
export interface PipeEnd {
  invocation: ZfsInvocation
  argv: readonly string[]
  host?: string
}

/** Bytes sent so far, and since when. */
export interface PipeProgress {
  bytes: number
  startedAt: number
  /** The last report of the stream: it ended (or failed). */
  done?: boolean
}

/** What the pipe moved. */
export interface PipeResult {
  bytes: number
  seconds: number
}

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

function start(
  end: PipeEnd,
  stdin: 'ignore' | 'pipe',
  env: NodeJS.ProcessEnv,
): {child: ChildProcess; exit: Promise<Exit>} {
  const child = spawn(end.invocation.file, end.invocation.args, {
    stdio: [stdin, 'pipe', 'pipe'],
    env: {...env, LC_ALL: 'C'},
    detached: true,
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exit = new Promise<Exit>(resolve => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve({code: 127, signal: null, stderr: `${stderr}${e.code ?? e.message}`}),
    )
    child.once('close', (code, signal) => resolve({code, signal, stderr}))
  })
  return {child, exit}
}

/**
 * Pipes `send`'s stdout into `receive`'s stdin, reporting progress about every `everyMs`; `signal` stops the sender
 * (the receiver then fails, leaving a resume token where ZFS keeps one). The first end that failed names the error.
 */
export async function pipeSendReceive(
  send: PipeEnd,
  receive: PipeEnd,
  opts: {env?: NodeJS.ProcessEnv; onProgress?: (p: PipeProgress) => void; everyMs?: number; signal?: AbortSignal} = {},
): Promise<PipeResult> {
  const env = opts.env ?? process.env
  const startedAt = Date.now()
  const progress: PipeProgress = {bytes: 0, startedAt}
  const snd = start(send, 'ignore', env)
  const rcv = start(receive, 'pipe', env)
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      progress.bytes += chunk.length
      done(null, chunk)
    },
  })
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(progress), opts.everyMs ?? 1000) : undefined
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
  try {
    // A receiver that exits early breaks the pipe; its own exit status says why, so the pipe's error is not the story.
    const flowing = pipeline(snd.child.stdout!, count, rcv.child.stdin!).catch(() => undefined)
    const [s, r] = await Promise.all([snd.exit, rcv.exit, flowing])
    // When both failed, the sender's failure caused the receiver's unless the sender only lost its pipe.
    if (s.code !== 0 && !(r.code !== 0 && brokenPipe(s))) throw endFailed(send, s)
    if (r.code !== 0) throw endFailed(receive, r)
    return {bytes: progress.bytes, seconds: (Date.now() - startedAt) / 1000}
  } finally {
    if (timer) clearInterval(timer)
    opts.signal?.removeEventListener('abort', stop)
    opts.onProgress?.({...progress, done: true})
  }
}

/** The sender ended because its reader went away (SIGPIPE, or ssh passing on a remote one). */
function brokenPipe(e: Exit): boolean {
  return e.signal === 'SIGPIPE' || e.code === 141 || /broken pipe/i.test(e.stderr) || e.stderr.trim() === ''
}

function endFailed(end: PipeEnd, e: Exit): ZfsError {
  if (end.host !== undefined && e.code === SSH_FAILED) return unreachable(end.host, end.argv, e.stderr)
  if (e.signal)
    return new ZfsError(
      'killed',
      end.argv,
      e.stderr,
      ExitCode.failed,
      `\`zfs ${end.argv.join(' ')}\` was stopped by ${e.signal}`,
    )
  if (e.code === 127 && e.stderr.trim() === '')
    return new ZfsError('not-found', end.argv, '', ExitCode.zfsNotFound, `cannot run \`${end.invocation.file}\``)
  return zfsErrorFor(end.argv, e.stderr)
}
