// zfs send and receive command lines, adapted to the ZFS at each end, and what their outputs say.
import type {ZfsCapabilities} from './capabilities.js'
import {zfsUnsupportedOutput} from './errors.js'

/** What send and receive can do on one ZFS: OpenZFS has all of it; legacy ZFS (zfs-fuse, pool v23) none. */
export interface SendFeatures {
  /** `receive -s` keeps a partial receive and its `receive_resume_token`; `send -t TOKEN` continues it. */
  resumable: boolean
  /** `receive -u`: nothing received is mounted. */
  noMount: boolean
  /** `receive -x PROP`: a property in the stream is not applied. */
  exclude: boolean
  /** `send -w`: encrypted datasets as they are on disk, without their keys. */
  raw: boolean
  /** `send -nP` prints the stream's size before sending. */
  estimate: boolean
  /** `send -vP` reports on stderr each snapshot's size before sending, then each second the bytes sent of it. */
  reports: boolean
}

/** The send and receive features of a ZFS, from its probed flavour. */
export function sendFeatures(caps: ZfsCapabilities): SendFeatures {
  const openzfs = caps.flavour === 'openzfs'
  return {resumable: openzfs, noMount: openzfs, exclude: openzfs, raw: openzfs, estimate: openzfs, reports: openzfs}
}

/** One stream: a full one of `snapshot`, or an incremental from `from` (`-I` with every snapshot between, `-i` for a clone's first). */
export interface StreamSpec {
  snapshot: string
  from?: string
  /** `-I` (intermediates too) or `-i` (only `snapshot`; a clone stream when `from` is the clone's origin). */
  mode?: 'I' | 'i'
  /** Send encrypted data raw (`-w`): only where the sender has it and the dataset is encrypted. */
  raw?: boolean
}

/**
 * `zfs send` of a stream: properties (`-p`: dcsnap's keys travel as snapshot properties) and, for encrypted data, raw;
 * with `report`, `-vP` (where `SendFeatures.reports`): sizes and progress on stderr, read by `parseSendReport`.
 */
export function sendArgv(s: StreamSpec, opts: {report?: boolean} = {}): string[] {
  return [
    'send',
    '-p',
    ...(opts.report ? ['-v', '-P'] : []),
    ...(s.raw ? ['-w'] : []),
    ...(s.from ? [`-${s.mode ?? 'I'}`, s.from] : []),
    s.snapshot,
  ]
}

/** `zfs send -t TOKEN`: the rest of an interrupted stream. */
export function resumeSendArgv(token: string): string[] {
  return ['send', '-t', token]
}

/** `zfs send -nP` of a stream: its size, printed without sending. */
export function estimateArgv(s: StreamSpec | {token: string}): string[] {
  return 'token' in s ? ['send', '-n', '-P', '-t', s.token] : ['send', '-n', '-P', ...sendArgv(s).slice(1)]
}

/** The size line of `zfs send -nP` ("size\t12345"), in bytes; undefined when it has none. */
export function parseEstimate(out: string, argv: readonly string[]): number | undefined {
  const line = out.split('\n').find(l => l.startsWith('size\t'))
  if (line === undefined) return undefined
  const n = line.slice('size\t'.length).trim()
  if (!/^\d+$/.test(n)) throw zfsUnsupportedOutput(argv, 'the size line does not hold a number of bytes', line)
  return Number(n)
}

/** One line of `zfs send -vP`'s stderr: a snapshot's estimated size, the whole stream's, or the bytes sent so far. */
export type SendReport =
  | {kind: 'snapshot'; snapshot: string; size: number}
  | {kind: 'total'; size: number}
  | {kind: 'progress'; snapshot: string; bytes: number}

/**
 * Reads one line of `zfs send -vP`'s stderr (OpenZFS): `full SNAP SIZE` or `incremental FROM SNAP SIZE`, then `size
 * TOTAL`, then each second `HH:MM:SS BYTES SNAP` (BYTES of that snapshot alone), tab-separated. Undefined for any
 * other line (an error message, say).
 */
export function parseSendReport(line: string): SendReport | undefined {
  const f = line.split('\t')
  const n = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined)
  if (f[0] === 'size' && f.length === 2) {
    const size = n(f[1])
    return size === undefined ? undefined : {kind: 'total', size}
  }
  if ((f[0] === 'full' && f.length === 3) || (f[0] === 'incremental' && f.length === 4)) {
    const size = n(f[f.length - 1])
    return size === undefined ? undefined : {kind: 'snapshot', snapshot: f[f.length - 2], size}
  }
  if (f.length === 3 && /^\d\d:\d\d:\d\d$/.test(f[0])) {
    const bytes = n(f[1])
    return bytes === undefined ? undefined : {kind: 'progress', snapshot: f[2], bytes}
  }
  return undefined
}

/** What `zfs send -vP` said so far: each snapshot's size, the whole stream's, and the bytes of the one being sent. */
export class SendReports {
  total?: number
  private readonly size = new Map<string, number>()
  private done = 0
  private current?: {snapshot: string; bytes: number}

  /** Takes a line of the sender's stderr; false when it is not a report. */
  take(line: string): boolean {
    const r = parseSendReport(line)
    if (!r) return false
    if (r.kind === 'total') this.total = r.size
    else if (r.kind === 'snapshot') this.size.set(r.snapshot, r.size)
    else {
      // Each snapshot of an incremental stream is counted from 0: the ones before it are sent whole.
      if (this.current && this.current.snapshot !== r.snapshot)
        this.done += Math.max(this.size.get(this.current.snapshot) ?? 0, this.current.bytes)
      this.current = {snapshot: r.snapshot, bytes: r.bytes}
    }
    return true
  }

  /** Bytes sent so far, as reported. */
  sent(): number {
    return this.done + (this.current?.bytes ?? 0)
  }
}

/**
 * `zfs receive` into a dataset that is never modified on this side: never `-F`; where ZFS can, unmounted (`-u`),
 * without the sender's mountpoint (`-x mountpoint`: it inherits the replica's `none`), and resumable (`-s`).
 */
export function receiveArgv(dataset: string, f: SendFeatures): string[] {
  return [
    'receive',
    ...(f.resumable ? ['-s'] : []),
    ...(f.noMount ? ['-u'] : []),
    ...(f.exclude ? ['-x', 'mountpoint'] : []),
    dataset,
  ]
}

/** `zfs receive -A`: drops a partial receive's saved state (the resume token goes with it). */
export function abortReceiveArgv(dataset: string): string[] {
  return ['receive', '-A', dataset]
}
