import {Args} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Release extends DcsnapCommand {
  static override summary = 'Remove the dcsnap hold from a snapshot so it can be destroyed again.'
  static override description =
    'Releases the ZFS hold tagged "dcsnap" from the snapshot on every build dataset. Holds placed by other tools are left alone. Releasing a snapshot that is not held changes nothing.'
  static override examples = [
    {description: 'Let the configure checkpoint be destroyed again', command: '<%= config.bin %> release configure'},
    {
      description: 'Release a checkpoint named in full, as JSON',
      command: '<%= config.bin %> release dc-1-compress --json',
    },
  ]
  static override args = {
    target: Args.string({description: 'Step, dc-BUILD-STEP, dc-BUILD or manual snapshot name.', required: true}),
  }
  static override flags = {...targetFlags, ...buildFlag}

  async run() {
    const {args, flags} = await this.parse(Release)
    const {holdCommand} = await import('../src/cli/hold.js')
    return holdCommand(this, args.target, flags, false)
  }
}
