// The shared body of `dcsnap hold` and `dcsnap release`.
import type {DcsnapCommand} from './base-command.js'
import {setHold} from '../operations/hold.js'
import {withLock} from '../operations/session.js'
import {sessionFromFlags} from './session.js'

/** Holds or releases a target and reports what changed. */
export async function holdCommand(
  cmd: DcsnapCommand,
  target: string,
  flags: {manifest?: string; dataset?: string[]; build?: string},
  hold: boolean,
) {
  const session = await sessionFromFlags(flags, cmd.logger)
  const r = await withLock(session, () => setHold(session, target, hold, {build: flags.build}))
  const verb = hold ? 'held' : 'released'
  if (!cmd.jsonEnabled()) {
    cmd.log(
      r.changed.length > 0
        ? `${verb} ${r.changed.join(', ')}`
        : `${r.snapshot.name} was already ${hold ? 'held' : 'not held'} by dcsnap`,
    )
  }
  return {snapshot: r.snapshot.name, [verb]: r.changed}
}
