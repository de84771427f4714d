// What every snapshot operation works on: a zfs client, the build datasets, and a logger.
import {UsageError} from '../errors.js'
import {acquireLock} from '../lock.js'
import {silentLogger, type Logger} from '../logger.js'
import {Inventory} from '../snapshots/inventory.js'
import {ZfsError} from '../zfs/errors.js'
import {Zfs} from '../zfs/zfs.js'

/** The build datasets and how to reach them; the first dataset is the proto area. */
export interface Session {
  zfs: Zfs
  datasets: string[]
  logger: Logger
}

/** Makes a session over datasets (proto first), with a default zfs client and a silent logger. */
export function openSession(datasets: string[], opts: {zfs?: Zfs; logger?: Logger} = {}): Session {
  if (datasets.length === 0) throw new UsageError('NO_DATASETS', 'no build datasets given', 'Pass -m dcsnap.yaml or -d POOL/DATASET.')
  return {zfs: opts.zfs ?? new Zfs(), datasets: [...new Set(datasets)], logger: opts.logger ?? silentLogger}
}

/** Lists the build datasets and their snapshots with ONE zfs call. */
export async function loadInventory(session: Session): Promise<Inventory> {
  try {
    return new Inventory(session.datasets, await session.zfs.list(session.datasets))
  } catch (error) {
    if (error instanceof ZfsError && error.kind === 'no-such-dataset') {
      throw new UsageError('NO_SUCH_DATASET', error.message.split('\n')[0],
        'Check the datasets given with -d or in the manifest (`zfs list` shows what exists).', {stderr: error.stderr})
    }
    throw error
  }
}

/** Fills in clones on ZFS without the `clones` property (one extra call, only when something may be destroyed). */
export async function ensureClones(session: Session, inventory: Inventory): Promise<void> {
  if ((await session.zfs.capabilities()).clones) return
  const pools = [...new Set(session.datasets.map(d => d.split('/')[0]))]
  inventory.addClones(await session.zfs.clonesByOrigin(pools))
}

/** Runs `body` holding the build datasets' lock (exit 4 when another dcsnap holds it). */
export async function withLock<T>(session: Session, body: () => Promise<T>, opts: {env?: NodeJS.ProcessEnv; build?: string} = {}): Promise<T> {
  const lock = await acquireLock(session.datasets, opts)
  try {
    return await body()
  } finally {
    lock.release()
  }
}
