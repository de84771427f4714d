// push and pull: bring a replica (`ROOT/proto`, `ROOT/cache`) up to date with a build's datasets, by zfs send/receive.
import {readFile} from 'node:fs/promises'
import {basename} from 'node:path'
import {formatBytes} from '../cli/format.js'
import {DcsnapError, ExitCode, InterruptedError, RefusedError, UsageError} from '../errors.js'
import {JOURNAL_PROPERTY} from '../lines/journal.js'
import {executeMove, planMove} from '../lines/move.js'
import {linesContainer} from '../lines/names.js'
import {silentLogger, type Logger} from '../logger.js'
import {loadInventory, openSession, withLock} from '../operations/session.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {ZfsError} from '../zfs/errors.js'
import type {ZfsListing, ZfsSnapshot} from '../zfs/listing.js'
import {
  estimateArgv,
  parseEstimate,
  receiveArgv,
  resumeSendArgv,
  sendArgv,
  sendFeatures,
  type StreamSpec,
} from '../zfs/send.js'
import {describeEndpoint, type EndpointZfs} from './endpoint.js'
import {pipeSendReceive, type PipeProgress} from './pipe.js'
import {releaseStaleHolds, transferTag} from './transfer-holds.js'
import {planDataset, type ChainSnapshot, type RoleDecision} from './plan.js'
import {decodeStoppedLog, encodeStoppedLog, STOPPED_LOG_PROPERTY, type StoppedLog} from './stopped-log.js'
import {readRecord, stoppedIn} from '../runner/record.js'

/** The roles of a build's datasets, in manifest order: a replica keeps each under `ROOT/<role>`. */
export const ROLES = ['proto', 'cache'] as const

/** A replica's datasets for `count` build datasets: `ROOT/proto`, then `ROOT/cache`. */
export function replicaDatasets(root: string, count: number): string[] {
  return ROLES.slice(0, count).map(r => `${root}/${r}`)
}

/** The build datasets of a replica that is the source of a transfer (pull): ROOT/proto, and ROOT/cache when it has one. */
export async function replicaSource(source: EndpointZfs): Promise<string[]> {
  const all = replicaDatasets(source.endpoint.dataset, ROLES.length)
  const found = await source.zfs.states(all)
  if (!found.has(all[0])) {
    throw new UsageError(
      'NOT_A_REPLICA',
      `${describeEndpoint(source.endpoint)} is not a replica: it has no ${all[0].slice(source.endpoint.dataset.length + 1)} dataset`,
      'Name the dataset that `dcsnap push` sent to (it holds proto and cache).',
    )
  }
  return all.filter(d => found.has(d))
}

/** Both ends of a transfer: the source's build datasets (proto first) and the replica's root on the destination. */
export interface TransferEnds {
  source: EndpointZfs
  sourceDatasets: string[]
  destination: EndpointZfs
  root: string
  /** The source is a replica (pull): the stopped attempt's log is its property, not a file of a record. */
  fromReplica?: boolean
}

/** One stream of a transfer, as planned. */
export interface PlannedStream {
  /** The replica dataset it goes into. */
  dataset: string
  /** What is sent: a full or incremental stream of source snapshots, or the rest of an interrupted one. */
  send: StreamSpec | {token: string}
  /** Human words: `full dc-1`, `dc-1..dc-1-fetch`, `rest of an interrupted transfer`. */
  label: string
  /** Bytes, where the sending ZFS can estimate. */
  estimate?: number
}

/** What a transfer will do, before anything changes. */
export interface TransferPlan {
  source: string
  destination: string
  /** The build sent (undefined with --all). */
  build?: string
  /** The newest snapshot sent. */
  upTo: string
  /** The replica's root is created (readonly, not mounted). */
  createRoot: boolean
  /** The replica's head moves back to this snapshot first, keeping what follows on a line (the source moved its head). */
  moveTo?: string
  streams: PlannedStream[]
  /** What the plan had to clean up or work around, for the user. */
  notes: string[]
}

/** What a transfer did. */
export interface TransferResult extends TransferPlan {
  /** Bytes sent: counted (`countBytes`) or as the sending ZFS reports them (OpenZFS); absent when neither. */
  bytes?: number
  seconds: number
  /** The replica's kept line made by the move, when there was one. */
  keptLine?: string
}

/** Options of push and pull. */
export interface TransferOptions {
  /** The build whose snapshots go (default: the latest on the head's line). */
  build?: string
  /** Every snapshot on the head's line instead of one build's. */
  all?: boolean
  /** Progress of each stream, where its bytes are counted or reported. */
  onProgress?: (stream: PlannedStream, p: PipeProgress) => void
  /**
   * Where the sending ZFS does not report a stream's progress (zfs-fuse), dcsnap copies the stream itself to count it:
   * progress to show, at the cost of the copy. Off: the receiver reads the sender's output directly.
   */
  countBytes?: boolean
  logger?: Logger
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  /** Internal: 1 in the transfer that follows the rest of an interrupted one. */
  depth?: number
}

/** Reads both ends and plans the streams; changes nothing. */
export async function planTransfer(ends: TransferEnds, opts: TransferOptions = {}): Promise<TransferPlan> {
  return (await prepare(ends, opts, {estimate: true})).plan
}

/** Brings the replica up to date: creates its root, moves its head if the source's moved, and runs the streams. */
export async function transfer(ends: TransferEnds, opts: TransferOptions = {}): Promise<TransferResult> {
  const logger = opts.logger ?? silentLogger
  // The sender's own size reports (OpenZFS `send -vP`) replace a separate estimate of each stream.
  const {plan, destDatasets, sourceCacheMount, heldSource} = await prepare(ends, opts, {estimate: false})
  const dst = ends.destination.zfs
  const features = sendFeatures(await dst.capabilities())
  const reports = sendFeatures(await ends.source.zfs.capabilities()).reports
  const started = Date.now()
  let bytes: number | undefined = 0
  let keptLine: string | undefined
  // Holds a killed transfer from this machine left on the source: their process is gone, so they are released.
  if (!ends.fromReplica && ends.source.endpoint.host === undefined)
    await releaseStaleHolds(ends.source.zfs, heldSource, logger)
  if (plan.createRoot) await dst.create(ends.root, {readonly: 'on', mountpoint: 'none'})
  if (plan.moveTo !== undefined) keptLine = await moveReplica(ends, destDatasets, plan.moveTo, logger, opts.signal)
  // Holds keep every snapshot a stream starts or ends at until the last stream is out of the source (prune cannot take
  // the incremental source away meanwhile); the tag is this transfer's own, released whatever happens. They go while
  // the receivers still write: on zfs-fuse a small stream's receive ends long after its send.
  const tag = transferTag()
  const held = [
    ...new Set(
      plan.streams.flatMap(s => ('token' in s.send ? [] : [s.send.snapshot, ...(s.send.from ? [s.send.from] : [])])),
    ),
  ]
  if (held.length > 0) await ends.source.zfs.hold(tag, held)
  let released: Promise<void> | undefined
  const release = () =>
    (released ??=
      held.length === 0
        ? Promise.resolve()
        : ends.source.zfs
            .release(tag, held)
            .catch(error =>
              logger.warn(
                `could not release the transfer's holds (${tag}) on ${held.join(', ')}: ${(error as Error).message}; release them with \`zfs release ${tag} SNAPSHOT\``,
              ),
            ))
  let unsent = plan.streams.length
  const sent = () => {
    if (--unsent === 0) void release()
  }
  try {
    // Each replica dataset's streams go in order; the datasets' go side by side (a small checkpoint's transfer is mostly
    // each zfs process's fixed cost, which they then share). One that fails does not stop the other: what arrived is kept.
    const byDataset = new Map<string, PlannedStream[]>()
    for (const s of plan.streams) byDataset.set(s.dataset, [...(byDataset.get(s.dataset) ?? []), s])
    const ctx: StreamContext = {ends, features, reports, opts, logger, sent}
    const settled = await Promise.allSettled(
      [...byDataset.values()].map(async chain => {
        let total: number | undefined = 0
        for (const s of chain) {
          const n = await sendStream(ctx, s)
          total = total === undefined || n === undefined ? undefined : total + n
        }
        return total
      }),
    )
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    for (const r of settled as Array<PromiseFulfilledResult<number | undefined>>)
      bytes = bytes === undefined || r.value === undefined ? undefined : bytes + r.value
  } finally {
    await release()
  }
  await carryStoppedLog(ends, destDatasets, plan.build, sourceCacheMount, logger)
  const done: TransferResult = {
    ...plan,
    ...(bytes === undefined ? {} : {bytes}),
    seconds: (Date.now() - started) / 1000,
    ...(keptLine ? {keptLine} : {}),
  }
  // What followed the stream an interrupted transfer was cut in can be planned only now that it arrived.
  if (!plan.streams.some(s => 'token' in s.send) || (opts.depth ?? 0) > 0) return done
  const rest = await transfer(ends, {...opts, depth: 1})
  return {
    ...rest,
    streams: [...done.streams, ...rest.streams],
    notes: [...done.notes, ...rest.notes],
    bytes: done.bytes !== undefined && rest.bytes !== undefined ? done.bytes + rest.bytes : undefined,
    seconds: (Date.now() - started) / 1000,
    createRoot: done.createRoot,
    ...((done.keptLine ?? rest.keptLine) ? {keptLine: done.keptLine ?? rest.keptLine} : {}),
  }
}

/** What every stream of one transfer shares. */
interface StreamContext {
  ends: TransferEnds
  /** What the receiving ZFS can do. */
  features: ReturnType<typeof sendFeatures>
  /** Whether the sending ZFS reports a stream's size and progress (`send -vP`). */
  reports: boolean
  opts: TransferOptions
  logger: Logger
  /** Called when a stream's sender has exited with success. */
  sent: () => void
}

/** Sends one stream into its replica dataset; returns its bytes where counted or reported. */
async function sendStream(ctx: StreamContext, s: PlannedStream): Promise<number | undefined> {
  const {ends, features, reports, opts, logger} = ctx
  // A resumed send is not asked for reports: with -v it prints the token's contents too.
  const reported = reports && !('token' in s.send)
  const sendV = 'token' in s.send ? resumeSendArgv(s.send.token) : sendArgv(s.send, {report: reported})
  const recvV = receiveArgv(s.dataset, features)
  logger.info(
    `sending ${s.label} to ${describeEndpoint(ends.destination.endpoint)}:${s.dataset.slice(ends.root.length + 1)}${s.estimate === undefined ? '' : ` (${formatBytes(s.estimate)})`}`,
  )
  let bytes: number | undefined
  try {
    bytes = (
      await pipeSendReceive(
        {invocation: ends.source.invocation(sendV), argv: sendV, host: ends.source.endpoint.host},
        {invocation: ends.destination.invocation(recvV), argv: recvV, host: ends.destination.endpoint.host},
        {
          env: opts.env,
          signal: opts.signal,
          onProgress: opts.onProgress && (p => opts.onProgress?.(s, p)),
          count: opts.countBytes === true && !reported,
          reports: reported,
          onSent: ctx.sent,
        },
      )
    ).bytes
  } catch (error) {
    if (opts.signal?.aborted) {
      throw new InterruptedError(
        `interrupted by ${String(opts.signal.reason ?? 'a signal')} while sending ${s.label} to ${s.dataset}; the streams before it arrived`,
        features.resumable
          ? 'Run the push again: it goes on from where the stream stopped (the receive kept a resume token).'
          : 'Run the push again: this ZFS keeps nothing of a cut stream, so it is sent again.',
      )
    }
    if (!(await arrivedDespite(error, ends, s, features.noMount))) throw explain(error, s, ends)
  }
  if (!features.noMount && !('token' in s.send) && s.send.from === undefined) await unmountReceived(ends, s.dataset)
  return bytes
}

/**
 * The replica as it is (its root, datasets, lines containers and the datasets' snapshots: one zfs call), after
 * finishing a head move that a killed dcsnap left unfinished there (its journal is on the lines container). Undefined
 * when the root does not exist.
 */
async function finishedReplica(
  ends: TransferEnds,
  destDatasets: string[],
  opts: TransferOptions,
): Promise<ZfsListing | undefined> {
  const dst = ends.destination.zfs
  const read = async () => {
    const listing = await dst.list([], [ends.root])
    return listing.datasets.some(d => d.name === ends.root) ? listing : undefined
  }
  const listing = await read()
  const container = listing?.datasets.find(d => d.name === linesContainer(destDatasets[0]))
  if (container?.user[JOURNAL_PROPERTY] === undefined) return listing
  // Listing the replica as build datasets finishes the move, under the replica's locks, as any dcsnap does.
  await loadInventory(openSession(destDatasets, {zfs: dst, logger: opts.logger, signal: opts.signal}))
  return read()
}

interface Prepared {
  plan: TransferPlan
  destDatasets: string[]
  /** The source's data cache where it is mounted, as listed: its record names the attempt a build stopped in. */
  sourceCacheMount?: string
  /** The source's snapshots that have holds, as listed. */
  heldSource: string[]
}

async function prepare(ends: TransferEnds, opts: TransferOptions, want: {estimate: boolean}): Promise<Prepared> {
  const source = openSession(ends.sourceDatasets, {zfs: ends.source.zfs, logger: opts.logger, env: opts.env})
  const destDatasets = replicaDatasets(ends.root, ends.sourceDatasets.length)
  const dst = ends.destination.zfs
  // The two ends are read side by side: each read is a zfs call, or an ssh round trip.
  const [inventory, destListing] = await Promise.all([loadInventory(source), finishedReplica(ends, destDatasets, opts)])
  const {build, last} = chosenEnd(inventory, opts)
  const sourceGuids = new Set(inventory.listing.snapshots.map(s => s.guid).filter((g): g is string => g !== undefined))
  const notes: string[] = []
  const existing = new Set(destListing?.datasets.map(d => d.name))
  const present = destDatasets.filter(d => existing.has(d))
  const [tokens, encrypted] = await Promise.all([resumeTokens(dst, present), encryptedDatasets(ends, inventory.heads)])
  const streams: PlannedStream[] = []
  const decisions: RoleDecision[] = []
  for (const [i, head] of inventory.heads.entries()) {
    const dataset = destDatasets[i]
    const chain = chainOf(inventory.listing, head, last.members[i])
    const token = tokens.get(dataset)
    if (token !== undefined) {
      streams.push({dataset, send: {token}, label: 'the rest of an interrupted transfer'})
      notes.push(
        `${dataset}: an interrupted transfer goes on from its resume token; what follows is planned when it arrived`,
      )
    }
    const own = existing.has(dataset)
      ? destListing!.snapshots.filter(s => s.dataset === dataset).map(toChain)
      : undefined
    // The stream being resumed ends at a snapshot the plan cannot see yet: what follows it is planned by the next push.
    if (token !== undefined) continue
    const d = planDataset(`${describeEndpoint(ends.destination.endpoint)}:${dataset}`, chain, own, sourceGuids)
    decisions.push(d)
    streams.push(...streamsOf(d, dataset, encrypted.has(head)))
  }
  const moves = decisions.filter((d): d is Extract<RoleDecision, {kind: 'move'}> => d.kind === 'move')
  let moveTo: string | undefined
  if (moves.length > 0) {
    moveTo = moves[0].destAt.snapshot
    if (moves.some(m => m.destAt.snapshot !== moveTo)) {
      throw new RefusedError(
        'REPLICA_DIVERGED',
        `the replica's datasets went on from different snapshots (${moves.map(m => m.destAt.snapshot).join(', ')})`,
        'Push to a new replica path; dcsnap never overwrites a replica.',
      )
    }
  }
  const plan: TransferPlan = {
    source:
      ends.source.endpoint.host === undefined
        ? ends.sourceDatasets.join(', ')
        : `${ends.source.endpoint.host}:${ends.sourceDatasets.join(', ')}`,
    destination: describeEndpoint(ends.destination.endpoint),
    build,
    upTo: last.name,
    createRoot: !existing.has(ends.root),
    ...(moveTo ? {moveTo} : {}),
    streams,
    notes,
  }
  if (want.estimate && sendFeatures(await ends.source.zfs.capabilities()).estimate)
    await addEstimates(ends, plan.streams)
  const cache = inventory.listing.datasets.find(d => d.name === ends.sourceDatasets[ends.sourceDatasets.length - 1])
  const sourceCacheMount = cache?.mounted && cache.mountpoint?.startsWith('/') ? cache.mountpoint : undefined
  const heldSource = inventory.listing.snapshots.filter(s => s.userrefs > 0).map(s => s.name)
  return {plan, destDatasets, sourceCacheMount, heldSource}
}

/** The resume tokens of interrupted receives into `datasets`, where ZFS keeps them (none otherwise, without a call). */
async function resumeTokens(dst: EndpointZfs['zfs'], datasets: string[]): Promise<Map<string, string>> {
  if (datasets.length === 0 || !sendFeatures(await dst.capabilities()).resumable) return new Map()
  return dst.resumeTokens(datasets)
}

/** The build and snapshot a transfer ends at: the build's newest snapshot (or, with --all, the head's newest). */
function chosenEnd(inventory: Inventory, opts: TransferOptions): {build?: string; last: SnapshotSet} {
  if (opts.all) {
    const last = [...inventory.snapshots].reverse().find(s => s.complete)
    if (!last)
      throw new RefusedError(
        'NOTHING_TO_SEND',
        `${inventory.heads.join(', ')} have no snapshot on every dataset`,
        'Run `dcsnap build` first.',
      )
    return {last}
  }
  const build = opts.build === undefined ? inventory.latestBuild() : inventory.build(opts.build)
  if (!build) {
    const elsewhere = opts.build === undefined ? undefined : inventory.lineOfBuild(opts.build)
    if (elsewhere) {
      throw new RefusedError(
        'BUILD_ON_KEPT_LINE',
        `build ${opts.build} is on kept line ${elsewhere.line}; push sends the head's line`,
        `Bring it back first (\`dcsnap rollback --build ${opts.build} STEP\`), then push.`,
      )
    }
    throw new RefusedError(
      'NO_SUCH_BUILD',
      opts.build === undefined ? `${inventory.heads[0]} has no build to send` : `there is no build ${opts.build}`,
      'Run `dcsnap list` to see the builds.',
    )
  }
  const last = [...build.snapshots].reverse().find(s => s.complete)
  if (!last)
    throw new RefusedError(
      'NOTHING_TO_SEND',
      `build ${build.id} has no snapshot on every dataset`,
      'Run `dcsnap list` to see what it has.',
    )
  return {build: build.id, last}
}

/** The source dataset's own snapshots up to `last`, oldest first. */
function chainOf(listing: ZfsListing, dataset: string, last: ZfsSnapshot): ChainSnapshot[] {
  return listing.snapshots
    .filter(s => s.dataset === dataset && s.createtxg <= last.createtxg)
    .sort((a, b) => a.createtxg - b.createtxg)
    .map(toChain)
}

function toChain(s: ZfsSnapshot): ChainSnapshot {
  if (s.guid === undefined)
    throw new DcsnapError(
      'NO_GUID',
      `zfs did not give the guid of ${s.name}`,
      'Check it with `zfs get guid`.',
      ExitCode.failed,
    )
  return {name: s.name, snapshot: s.snapshot, guid: s.guid, user: s.user}
}

/** The streams that carry out one dataset's decision. */
function streamsOf(d: RoleDecision, dataset: string, raw: boolean): PlannedStream[] {
  if (d.kind === 'up-to-date') return []
  const w = raw ? {raw: true} : {}
  if (d.kind === 'full') {
    const full: PlannedStream = {
      dataset,
      send: {snapshot: d.first.name, ...w},
      label: `${d.first.snapshot} (full${raw ? ', raw' : ''})`,
    }
    if (d.first.guid === d.last.guid) return [full]
    return [
      full,
      {
        dataset,
        send: {from: d.first.name, snapshot: d.last.name, mode: 'I', ...w},
        label: `${d.first.snapshot}..${d.last.snapshot}`,
      },
    ]
  }
  return [
    {
      dataset,
      send: {from: d.from.name, snapshot: d.last.name, mode: 'I', ...w},
      label: `${d.from.snapshot}..${d.last.snapshot}`,
    },
  ]
}

async function addEstimates(ends: TransferEnds, streams: PlannedStream[]): Promise<void> {
  for (const s of streams) {
    const argv = estimateArgv(s.send)
    try {
      s.estimate = parseEstimate(await ends.source.zfs.exec(argv), argv)
    } catch {
      // An estimate is only shown: a zfs that cannot give one (an old stream format, a token gone stale) sends all the same.
    }
  }
}

/** Moves the replica's head back to `snapshot`, keeping what follows on a kept line of the replica (journalled, as any move). */
async function moveReplica(
  ends: TransferEnds,
  datasets: string[],
  snapshot: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<string> {
  const session = openSession(datasets, {zfs: ends.destination.zfs, logger, signal})
  return withLock(session, async () => {
    const inventory = await loadInventory(session)
    const target = inventory.find(snapshot)
    if (!target)
      throw new DcsnapError(
        'REPLICA_CHANGED',
        `${snapshot} is gone from the replica ${datasets.join(', ')}`,
        'Run the command again.',
        ExitCode.failed,
      )
    const plan = await planMove(session, inventory, target, {keepChanges: false})
    await executeMove(session, plan)
    return plan.keptLine
  })
}

/**
 * Whether a receive that reported a failure received all the same: legacy ZFS receives, then fails to mount the
 * dataset at the sender's mountpoint (it has no `-u`). Anything else is a failure.
 */
async function arrivedDespite(
  error: unknown,
  ends: TransferEnds,
  s: PlannedStream,
  noMount: boolean,
): Promise<boolean> {
  if (noMount || !(error instanceof ZfsError) || !/cannot mount/i.test(error.stderr) || 'token' in s.send) return false
  const name = `${s.dataset}@${s.send.snapshot.slice(s.send.snapshot.indexOf('@') + 1)}`
  return (await ends.destination.zfs.states([name])).has(name)
}

/** On ZFS without `receive -u`/`-x`: a received dataset never stays mounted at the sender's mountpoint. */
async function unmountReceived(ends: TransferEnds, dataset: string): Promise<void> {
  const st = (await ends.destination.zfs.states([dataset])).get(dataset)
  if (st && st.mountpoint !== 'none') await ends.destination.zfs.set(dataset, {mountpoint: 'none'})
}

/** A stream's failure, said in the replica's terms. */
function explain(error: unknown, s: PlannedStream, ends: TransferEnds): unknown {
  if (error instanceof ZfsError && error.kind === 'modified') {
    return new RefusedError(
      'REPLICA_DIVERGED',
      `${describeEndpoint(ends.destination.endpoint)}:${s.dataset} was modified on the receiving side since its newest snapshot; nothing was received into it`,
      'dcsnap never overwrites a replica: see what changed with `zfs diff DATASET@NEWEST DATASET` there, then roll it back yourself or push to a new path.',
      {stderr: error.stderr},
    )
  }
  return error
}

/**
 * The log of the attempt the build stopped in is in no checkpoint: its tail goes into a property of the replica's
 * last dataset (the cache), and a push of a build that did not stop clears it. From a local build, it is read from
 * the record in the data cache; from a replica (pull), it is the source replica's property.
 */
async function carryStoppedLog(
  ends: TransferEnds,
  destDatasets: string[],
  build: string | undefined,
  sourceCacheMount: string | undefined,
  logger: Logger,
): Promise<void> {
  if (build === undefined) return
  const target = destDatasets[destDatasets.length - 1]
  const from = ends.sourceDatasets[ends.sourceDatasets.length - 1]
  let value: string | undefined
  if (!ends.fromReplica) {
    const log = sourceCacheMount === undefined ? undefined : await stoppedAttemptLog(sourceCacheMount, build)
    value = log && encodeStoppedLog(log)
  } else {
    value = await ends.source.zfs.userProperty(from, STOPPED_LOG_PROPERTY)
    if (value !== undefined && decodeStoppedLog(value)?.build !== build) value = undefined
  }
  try {
    if (value !== undefined) await ends.destination.zfs.set(target, {[STOPPED_LOG_PROPERTY]: value})
    else await ends.destination.zfs.inherit(target, STOPPED_LOG_PROPERTY)
  } catch (error) {
    logger.warn(`could not record the stopped step's log on ${target}: ${(error as Error).message}`)
  }
}

/** The log of the attempt `build` stopped in, from the record in the data cache's mountpoint (local builds only). */
async function stoppedAttemptLog(cacheMount: string, build: string): Promise<StoppedLog | undefined> {
  const rec = (await readRecord(cacheMount))?.record
  const step = rec?.build === build ? rec.steps.find(s => stoppedIn(s.status) && s.log) : undefined
  if (!step?.log) return undefined
  try {
    const text = await readFile(step.log, 'utf8')
    const tail = text.length > 256 * 1024 ? text.slice(-256 * 1024) : text
    return {build, file: basename(step.log), text: tail, truncated: tail.length < text.length}
  } catch {
    return undefined
  }
}

/**
 * The source datasets that are encrypted: they are sent raw (`send -w`), as they are on disk, so the replica never
 * needs their keys and holds nothing in clear. Only OpenZFS has encryption; a receiving ZFS without it is refused.
 */
async function encryptedDatasets(ends: TransferEnds, heads: readonly string[]): Promise<Set<string>> {
  const found = await ends.source.zfs.encrypted(heads)
  if (found.size > 0 && !sendFeatures(await ends.destination.zfs.capabilities()).raw) {
    throw new RefusedError(
      'ENCRYPTED_TO_LEGACY_ZFS',
      `${[...found].join(', ')} ${found.size === 1 ? 'is' : 'are'} encrypted, and the receiving ZFS has no raw receive: it would get the data in clear`,
      'Push to a replica on OpenZFS 0.8 or later.',
    )
  }
  return found
}
