// SIGINT, SIGTERM and SIGHUP in the CLI: while dcsnap holds datasets' locks (it may be changing them), a signal
// never cuts a zfs call short: it aborts one signal that the runner and withLock check between whole operations.
// Holding no lock, dcsnap changes nothing, and dies of the signal as any program would.
import {heldLockFds} from '../lock/held-fds.js'
import type {Logger} from '../logger.js'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
const controller = new AbortController()
let logger: Logger | undefined
let installed = false

/** The process-wide interruption signal, installing the handlers on first use. */
export function interruptSignal(log?: Logger): AbortSignal {
  logger = log ?? logger
  if (!installed) {
    installed = true
    // A closed terminal (SIGHUP, ssh gone) makes writes to it fail with EIO: that must not crash a run midway.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
    for (const sig of SIGNALS) process.on(sig, () => onSignal(sig))
  }
  return controller.signal
}

function onSignal(sig: (typeof SIGNALS)[number]): void {
  if (heldLockFds().length === 0 && !controller.signal.aborted) {
    // Nothing of ours changes the datasets: die of the signal (the default action), as the caller expects.
    for (const s of SIGNALS) process.removeAllListeners(s)
    process.kill(process.pid, sig)
    return
  }
  if (controller.signal.aborted) {
    logger?.warn(
      `${sig}: still stopping (a zfs call under way is finished first; kill -9 leaves the locks to its children)`,
    )
    return
  }
  logger?.warn(
    `${sig}: stopping (the running step is stopped, no checkpoint is taken for it; a zfs call under way is finished first)`,
  )
  controller.abort(sig)
}
