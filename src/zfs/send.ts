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
}

/** The send and receive features of a ZFS, from its probed flavour. */
export function sendFeatures(caps: ZfsCapabilities): SendFeatures {
  const openzfs = caps.flavour === 'openzfs'
  return {resumable: openzfs, noMount: openzfs, exclude: openzfs, raw: openzfs, estimate: openzfs}
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

/** `zfs send` of a stream: properties (`-p`: dcsnap's keys travel as snapshot properties) and, for encrypted data, raw. */
export function sendArgv(s: StreamSpec): string[] {
  return ['send', '-p', ...(s.raw ? ['-w'] : []), ...(s.from ? [`-${s.mode ?? 'I'}`, s.from] : []), s.snapshot]
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
