// `dcsnap resume --from REPLICA`: the build datasets here become clones of a received checkpoint, never promoted.
import {existsSync} from 'node:fs'
import {copyFile, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {RefusedError, UsageError} from '../errors.js'
import {ensurePrivateDir} from '../fs/private-dir.js'
import {cachedLogsDir} from '../runner/logs.js'
import {decodeStoppedLog, STOPPED_LOG_PROPERTY} from './stopped-log.js'
import {loadInventory, openSession, type Session, UPSTREAM_PROPERTY, withLock} from '../operations/session.js'
import type {Build, SnapshotSet} from '../snapshots/inventory.js'
import {replicaDatasets} from './replicate.js'

/** What seeding did. */
export interface SeedResult {
  build: string
  /** The replica's checkpoint the heads were cloned from. */
  checkpoint: string
  /** False when the heads already were clones of it (an earlier `--from`): nothing changed. */
  cloned: boolean
}

/**
 * Makes each build dataset a clone of the replica's checkpoint that resuming `step` (default: after the build's newest
 * checkpoint) goes on from, marks it with `dcsnap:upstream` (so the build's earlier checkpoints read on its line) and
 * snapshots it under the checkpoint's name and properties (what `resume` rolls back to). The replica is never changed:
 * a clone is never promoted, so later pushes still apply. Heads that exist are refused, unless they came from this
 * replica already (then what an interrupted seed left undone is finished, and nothing else changes).
 */
/** What `resume --from` will clone: the replica's build and checkpoint; refuses (changing nothing) what cannot be done. */
export async function planSeed(
  session: Session,
  root: string,
  opts: {build?: string; step?: {name: string; index: number}} = {},
): Promise<{build: Build; checkpoint: SnapshotSet; upstreams: string[]}> {
  const {zfs} = session
  const upstreams = replicaDatasets(root, session.datasets.length)
  const replica = openSession(upstreams, {zfs, logger: session.logger})
  const inventory = await loadInventory(replica)
  const build =
    opts.build === undefined ? inventory.latestBuild() : inventory.lineOfBuild(opts.build)?.build(opts.build)
  if (!build) {
    throw new UsageError(
      'NO_SUCH_BUILD',
      opts.build === undefined
        ? `the replica ${root} holds no build`
        : `the replica ${root} holds no build ${opts.build}`,
      'Run `dcsnap list -d REPLICA/proto -d REPLICA/cache` to see what it holds, or push the build first.',
    )
  }
  const checkpoint = startingPoint(build.snapshots, opts.step, root)
  for (const [i, head] of session.datasets.entries()) {
    if (head.split('/')[0] !== upstreams[i].split('/')[0]) {
      throw new UsageError(
        'REPLICA_IN_OTHER_POOL',
        `${head} is not in the pool of the replica ${root}: a clone must be in its origin's pool`,
        `Pull the replica into pool ${head.split('/')[0]} first (\`dcsnap pull ${root} --into ${head.split('/')[0]}/PATH\`).`,
      )
    }
  }
  return {build, checkpoint, upstreams}
}

export async function seedFromReplica(
  session: Session,
  root: string,
  opts: {build?: string; step?: {name: string; index: number}; logs?: string} = {},
): Promise<SeedResult> {
  const {build, checkpoint, upstreams} = await planSeed(session, root, opts)
  const {zfs} = session
  return withLock(session, async () => {
    const states = await zfs.states(session.datasets)
    let cloned = false
    for (const [i, head] of session.datasets.entries()) {
      const origin = checkpoint.members[i].name
      if (states.has(head)) {
        const from = await zfs.userProperty(head, UPSTREAM_PROPERTY)
        if (from !== upstreams[i] || states.get(head)?.origin !== origin) {
          throw new RefusedError(
            'HEAD_EXISTS',
            `${head} exists${from ? `, cloned from ${states.get(head)?.origin ?? from}` : ''}: resume --from makes the build datasets anew from ${root}@${checkpoint.name}`,
            'Rename or destroy it first (`zfs rename`), or run `dcsnap resume` without --from to go on with what is here.',
          )
        }
        continue
      }
      session.logger.info(`${head}: a clone of ${origin}`)
      await zfs.clone(origin, head, {[UPSTREAM_PROPERTY]: upstreams[i]})
      cloned = true
    }
    // The head's own copy of the checkpoint: resume rolls back to it, and the replica's stays as it was received.
    const present = await zfs.states(session.datasets.map(h => `${h}@${checkpoint.name}`))
    const missing = session.datasets.map(h => `${h}@${checkpoint.name}`).filter(n => !present.has(n))
    const props = checkpoint.user
    if (missing.length > 0) {
      if ((await zfs.capabilities()).multiSnapshot) await zfs.snapshot(missing, props)
      else for (const n of missing) await zfs.snapshot([n], props)
    }
    if (opts.logs !== undefined) await bringLogs(session, upstreams, build.id, opts.logs)
    return {build: build.id, checkpoint: checkpoint.name, cloned}
  })
}

/** The complete checkpoint that resuming at `step` (default: after the newest checkpoint) starts from: the one before it. */
function startingPoint(
  snapshots: SnapshotSet[],
  step: {name: string; index: number} | undefined,
  root: string,
): SnapshotSet {
  const complete = snapshots.filter(s => s.complete && (s.kind === 'baseline' || s.kind === 'checkpoint'))
  const before = step === undefined ? complete.at(-1) : complete.filter(s => (s.index ?? 0) < step.index).at(-1)
  if (!before) {
    throw new RefusedError(
      'NOTHING_TO_RESUME',
      `the replica ${root} has no checkpoint to resume ${step ? step.name : 'the build'} from`,
      'Run `dcsnap list -d REPLICA/proto -d REPLICA/cache` to see what it holds, or push the build again.',
    )
  }
  return before
}

/**
 * The build's logs, into this manifest's logs directory (what is there already stays): the attempts the checkpoint's
 * data cache holds copies of, and the attempt the build stopped in, which the replica carries in a property.
 */
async function bringLogs(session: Session, upstreams: string[], build: string, logs: string): Promise<void> {
  const dir = await ensurePrivateDir(join(logs, build), 'Set `logs:` in the manifest to a directory of your own.')
  const have = new Set(await readdir(dir))
  const cache = session.datasets[1]
  const st = cache === undefined ? undefined : (await session.zfs.states([cache])).get(cache)
  if (st?.mounted && st.mountpoint?.startsWith('/')) {
    const from = cachedLogsDir(st.mountpoint, build)
    const files = await readdir(from).catch(() => [] as string[])
    for (const f of files) if (f.endsWith('.log') && !have.has(f)) await copyFile(join(from, f), join(dir, f))
  }
  const value = await session.zfs.userProperty(upstreams[upstreams.length - 1], STOPPED_LOG_PROPERTY)
  const stopped = value === undefined ? undefined : decodeStoppedLog(value)
  if (stopped?.build === build && !have.has(stopped.file) && !existsSync(join(dir, stopped.file))) {
    const note = stopped.truncated ? '[dcsnap: the end of this log only, as the replica carried it]\n' : ''
    await writeFile(join(dir, stopped.file), note + stopped.text, {mode: 0o600})
  }
}
