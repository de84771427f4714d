// What every snapshot operation works on: a zfs client, the build datasets, and a logger.
import {InterruptedError, UsageError} from '../errors.js'
import {acquireLocks, type DatasetLocks} from '../lock/dataset-locks.js'
import {silentLogger, type Logger} from '../logger.js'
import {JOURNAL_PROPERTY} from '../lines/journal.js'
import {linesContainer} from '../lines/names.js'
import {Inventory} from '../snapshots/inventory.js'
import {ZfsError} from '../zfs/errors.js'
import {Zfs} from '../zfs/zfs.js'

/** The build datasets and how to reach them; the first dataset is the proto area. */
export interface Session {
  zfs: Zfs
  datasets: string[]
  logger: Logger
  /** Environment for DCSNAP_LOCK_DIR and the like (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** Aborted by a signal: withLock lets the work under way finish, then reports it interrupted (exit 1). */
  signal?: AbortSignal
}

/** Makes a session over datasets (proto first), with a default zfs client and a silent logger. */
export function openSession(
  datasets: string[],
  opts: {zfs?: Zfs; logger?: Logger; env?: NodeJS.ProcessEnv; signal?: AbortSignal} = {},
): Session {
  if (datasets.length === 0)
    throw new UsageError('NO_DATASETS', 'no build datasets given', 'Pass -m dcsnap.yaml or -d POOL/DATASET.')
  return {
    zfs: opts.zfs ?? new Zfs({env: opts.env}),
    datasets: [...new Set(datasets)],
    logger: opts.logger ?? silentLogger,
    env: opts.env,
    signal: opts.signal,
  }
}

/**
 * Lists the build datasets, their kept lines and all their snapshots with ONE zfs call (two before the first line
 * exists). A line move that a dcsnap left unfinished is finished first, under the lock, before anything else.
 */
export async function loadInventory(session: Session): Promise<Inventory> {
  let inventory: Inventory
  try {
    inventory = await listInventory(session)
  } catch (error) {
    // Between the two renames of a move a head does not exist: a journal says so, and the move is finished first.
    if (!(error instanceof UsageError && error.code === 'NO_SUCH_DATASET')) throw error
    const journal = await session.zfs.userProperty(linesContainer(session.datasets[0]), JOURNAL_PROPERTY)
    if (journal === undefined) throw error
    await recoverLocked(session)
    return listInventory(session)
  }
  if (inventory.journal === undefined) return inventory
  await recoverLocked(session)
  return listInventory(session)
}

/** Under the lock, reads the journal again (another dcsnap may have finished the move meanwhile) and finishes the move it records. */
async function recoverLocked(session: Session): Promise<void> {
  await withLock(session, async () => {
    const text = await session.zfs.userProperty(linesContainer(session.datasets[0]), JOURNAL_PROPERTY)
    if (text === undefined) return
    const {recoverMove} = await import('../lines/move.js')
    await recoverMove(session, text)
  })
}

/** The user property on a head cloned from a replica (`dcsnap resume --from`): the replica dataset it came from. */
export const UPSTREAM_PROPERTY = 'dcsnap:upstream'

/** The head of the family a head's origin lies in, when that is not the head's own (`pool/rep/proto.dclines/k2@x` -> `pool/rep/proto`). */
function upstreamOf(head: string, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined
  const dataset = origin.slice(0, origin.indexOf('@'))
  const family = dataset.replace(/\.dclines\/[^/]+$/, '')
  return family === head ? undefined : family
}

async function listInventory(session: Session): Promise<Inventory> {
  try {
    const containers = session.datasets.map(linesContainer)
    const listing = await session.zfs.list(session.datasets, containers)
    // A head cloned from another dataset (a replica, by `resume --from`) reads that dataset's snapshots up to its
    // origin too, with that dataset's kept lines: one more listing, only for such heads.
    const upstreams = session.datasets.map(h => upstreamOf(h, listing.datasets.find(d => d.name === h)?.origin))
    const extra = upstreams.filter((u): u is string => u !== undefined)
    if (extra.length === 0) return new Inventory(session.datasets, listing)
    const whole = await session.zfs.list([...session.datasets, ...extra], [...containers, ...extra.map(linesContainer)])
    return new Inventory(session.datasets, whole, undefined, upstreams)
  } catch (error) {
    if (error instanceof ZfsError && error.kind === 'no-such-dataset') {
      throw new UsageError(
        'NO_SUCH_DATASET',
        error.message.split('\n')[0],
        'Check the datasets given with -d or in the manifest (`zfs list` shows what exists).',
        {stderr: error.stderr},
      )
    }
    throw error
  }
}

/** Fills in clones on ZFS without the `clones` property (one extra call, only when something may be destroyed). */
export async function ensureClones(session: Session, inventory: Inventory): Promise<void> {
  if ((await session.zfs.capabilities()).clones) return
  const pools = [...new Set(session.datasets.map(d => d.split('/')[0]))]
  const byOrigin = await session.zfs.clonesByOrigin(pools)
  for (const view of inventory.everywhere()) view.addClones(byOrigin)
}

/**
 * Runs `body` holding the lock of every build dataset (exit 4 when another dcsnap holds one). Re-entrant: the
 * primitives lock for themselves, and within a command or build that already holds the locks this costs nothing.
 */
export async function withLock<T>(
  session: Session,
  body: (locks: DatasetLocks) => Promise<T>,
  opts: {build?: string} = {},
): Promise<T> {
  const locks = await acquireLocks(session.datasets, {env: session.env, build: opts.build})
  try {
    interrupted(session, 'before anything changed', 'Run the command again.')
    const result = await body(locks)
    interrupted(
      session,
      'after the zfs changes under way were completed (a zfs change is never cut short)',
      'Run `dcsnap list` to see the state; nothing needs repair.',
    )
    return result
  } finally {
    locks.release()
  }
}

function interrupted(session: Session, when: string, hint: string): void {
  const sig = session.signal
  if (sig?.aborted) throw new InterruptedError(`interrupted by ${String(sig.reason ?? 'a signal')} ${when}`, hint)
}
