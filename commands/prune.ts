import {Flags} from '@oclif/core'
import {DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Prune extends DcsnapCommand {
  static override summary = 'Destroy the checkpoints of all but the N most recent builds.'
  static override description =
    "Keeps the N most recent builds whole and destroys the baseline and checkpoints of every older build. Manual snapshots are never pruned; held snapshots, snapshots with clones and the base (the first build's baseline, which every new build starts from) are kept and reported. Builds on kept lines count too; a kept line left without snapshots is removed. --dry-run lists exactly what would be destroyed."
  static override examples = [
    {
      description: 'List the checkpoints of all but the 2 newest builds; change nothing',
      command: '<%= config.bin %> prune --keep 2 --dry-run',
    },
    {
      description: "Keep only the newest build's checkpoints, report as JSON",
      command: '<%= config.bin %> prune --keep 1 --json',
    },
  ]
  static override flags = {
    ...targetFlags,
    keep: Flags.integer({description: 'How many of the most recent builds to keep.', required: true, min: 0}),
    'dry-run': Flags.boolean({char: 'n', description: 'List what would be destroyed and change nothing.'}),
  }

  async run() {
    const {flags} = await this.parse(Prune)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {planPrune} = await import('../src/operations/destroy.js')
    const {runDestroyPlan} = await import('../src/cli/destroy.js')
    const {withLock} = await import('../src/operations/session.js')
    const session = await sessionFromFlags(flags, this.logger)
    const work = async () => runDestroyPlan(this, session, await planPrune(session, flags.keep), flags['dry-run'])
    return flags['dry-run'] ? work() : withLock(session, work)
  }
}
