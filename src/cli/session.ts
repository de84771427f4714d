// Opens a library session from the shared target flags.
import type {Logger} from '../logger.js'
import {openSession, type Session} from '../operations/session.js'
import {resolveBuildTarget} from '../targets.js'
import {interruptSignal} from './signals.js'
import {Zfs} from '../zfs/zfs.js'

/** The build datasets from -m/-d, and a zfs client that logs each call at debug level. */
export async function sessionFromFlags(
  flags: {manifest?: string; dataset?: string[]},
  logger: Logger,
): Promise<Session> {
  const target = await resolveBuildTarget({manifest: flags.manifest, datasets: flags.dataset})
  return openSession(target.datasets, {
    zfs: new Zfs({debug: line => logger.debug(line)}),
    logger,
    signal: interruptSignal(logger),
  })
}
