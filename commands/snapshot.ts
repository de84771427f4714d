import {Args} from '@oclif/core'
import {DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {ManualSnapshotResult} from '../src/operations/snapshot.js'

export default class Snapshot extends DcsnapCommand {
  static override summary = 'Take a manual snapshot of every build dataset at once.'
  static override description = `Snapshots the proto area and the data cache with the same NAME, in one atomic zfs call where ZFS allows it; on ZFS without multi-dataset snapshots one dataset at a time, and if any fails, the ones just made are destroyed again. Manual snapshots are listed by \`dcsnap list\` and never destroyed by rollback, resume or prune unless you pass --force or name them. Names starting with "dc-" are reserved for checkpoints. If some datasets already have NAME as a manual snapshot (a snapshot left half done, e.g. zfs killed between datasets), only the others are snapshotted now, and the output says which: the parts were taken at different times. If all have it, nothing is taken (exit 2).`
  static override examples = [
    {
      description: 'Snapshot the proto area and data cache together before trying something',
      command: '<%= config.bin %> snapshot before-experiment',
    },
    {
      description: 'The same with the datasets named directly',
      command: '<%= config.bin %> snapshot try-gzip9 -d dcsandbox/proto -d dcsandbox/cache',
    },
  ]
  static override args = {name: Args.string({description: 'Snapshot name (the part after @).', required: true})}
  static override flags = {...targetFlags}

  async run(): Promise<ManualSnapshotResult> {
    const {args, flags} = await this.parse(Snapshot)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {manualSnapshot} = await import('../src/operations/snapshot.js')
    const {withLock} = await import('../src/operations/session.js')
    const session = await sessionFromFlags(flags, this.logger)
    const result = await withLock(session, () => manualSnapshot(session, args.name))
    if (!this.jsonEnabled())
      this.log([...result.created, ...result.existing.map(n => `${n} (already there, taken earlier)`)].join('\n'))
    return result
  }
}
