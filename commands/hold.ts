import {Args} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Hold extends DcsnapCommand {
  static override summary = 'Protect a checkpoint from rollback, resume, destroy and prune.'
  static override description =
    'Places a ZFS hold tagged "dcsnap" on the snapshot on every build dataset. While any hold is on it, dcsnap refuses to destroy it (exit 3); `dcsnap release` removes the hold. Holding an already held snapshot changes nothing.'
  static override examples = [
    {
      description: "Protect the latest build's configure checkpoint from rollback, resume, destroy and prune",
      command: '<%= config.bin %> hold configure',
    },
    {description: 'Hold a checkpoint named in full, as JSON', command: '<%= config.bin %> hold dc-1-compress --json'},
  ]
  static override args = {
    target: Args.string({description: 'Step, dc-BUILD-STEP, dc-BUILD or manual snapshot name.', required: true}),
  }
  static override flags = {...targetFlags, ...buildFlag}

  async run() {
    const {args, flags} = await this.parse(Hold)
    const {holdCommand} = await import('../src/cli/hold.js')
    return holdCommand(this, args.target, flags, true)
  }
}
