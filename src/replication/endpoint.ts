// Where a replica lives: `[USER@HOST:]POOL/PATH`, and how to run zfs there (locally, or through the system's ssh).
import {UsageError} from '../errors.js'
import {zfsCommandWords} from '../zfs/command.js'
import {Zfs} from '../zfs/zfs.js'
import {sshZfsRunner} from './ssh.js'

/** A replica's place: a dataset, on this machine or on an ssh host. */
export interface Endpoint {
  /** `USER@HOST` or `HOST` for ssh; undefined for this machine. */
  host?: string
  /** The replica's dataset (its children `proto` and `cache` hold the build's datasets). */
  dataset: string
}

/** Parses `[USER@HOST:]POOL/PATH` (a colon before the first slash names a host, as in scp and syncoid). */
export function parseEndpoint(spec: string): Endpoint {
  const colon = spec.indexOf(':')
  const slash = spec.indexOf('/')
  const remote = colon > 0 && (slash === -1 || colon < slash)
  const host = remote ? spec.slice(0, colon) : undefined
  const dataset = remote ? spec.slice(colon + 1) : spec
  if (host !== undefined && (host.startsWith('-') || /\s/.test(host))) {
    throw new UsageError(
      'BAD_ENDPOINT',
      `"${host}" is not a host name for ssh`,
      'Write the destination as [USER@HOST:]POOL/PATH.',
    )
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)+$/.test(dataset)) {
    throw new UsageError(
      'BAD_ENDPOINT',
      `"${dataset}" is not a dataset below a pool`,
      'Write the destination as [USER@HOST:]POOL/PATH, e.g. backup/builds or builder@farm:tank/replicas/os.',
    )
  }
  return {host, dataset}
}

/** How an endpoint reads in messages: `HOST:POOL/PATH` or `POOL/PATH`. */
export function describeEndpoint(e: Endpoint): string {
  return e.host === undefined ? e.dataset : `${e.host}:${e.dataset}`
}

/** The program and arguments that run `zfs ARGV` at an endpoint (for streams: send and receive). */
export interface ZfsInvocation {
  file: string
  args: string[]
}

/** What runs zfs at an endpoint: buffered calls (a Zfs client) and streamed ones (send, receive). */
export interface EndpointZfs {
  endpoint: Endpoint
  zfs: Zfs
  invocation(argv: readonly string[]): ZfsInvocation
}

/** How to reach zfs at endpoints: the environment, a debug log, and the client to share for this machine's. */
export interface EndpointZfsOptions {
  env?: NodeJS.ProcessEnv
  debug?: (line: string) => void
  /** The client for this machine (default: a new one). */
  local?: Zfs
}

/** The zfs of an endpoint: DCSNAP_ZFS here; over ssh (DCSNAP_SSH, default `ssh`) `zfs` there (DCSNAP_REMOTE_ZFS). */
export function endpointZfs(endpoint: Endpoint, opts: EndpointZfsOptions = {}): EndpointZfs {
  const env = opts.env ?? process.env
  if (endpoint.host === undefined) {
    const words = zfsCommandWords(env)
    return {
      endpoint,
      zfs: opts.local ?? new Zfs({env, debug: opts.debug}),
      invocation: argv => ({file: words[0], args: [...words.slice(1), ...argv]}),
    }
  }
  const remote = sshZfsRunner(endpoint.host, env, opts.debug)
  return {endpoint, zfs: new Zfs({env, runner: remote.run, capabilitiesCache: false}), invocation: remote.invocation}
}

/**
 * The zfs of both ends of a transfer. Ends on this machine share one client, so that reading both is one zfs call.
 */
export function transferZfs(
  source: Endpoint,
  destination: Endpoint,
  opts: EndpointZfsOptions = {},
): {source: EndpointZfs; destination: EndpointZfs} {
  const local = opts.local ?? new Zfs({env: opts.env ?? process.env, debug: opts.debug})
  return {source: endpointZfs(source, {...opts, local}), destination: endpointZfs(destination, {...opts, local})}
}
