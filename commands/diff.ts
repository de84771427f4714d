import {Args} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Diff extends DcsnapCommand {
  static override summary = 'Show files changed in the proto area between two snapshots, or since one.'
  static override description = `FROM and TO are steps of the build, checkpoint names or manual snapshot names; without TO, the comparison is with the proto area as it is now. Lines read "+ added", "- removed", "M modified" and "R old -> new". Needs \`zfs diff\` (OpenZFS, illumos); zfs-fuse has none.`
  static override examples = [
    {
      description: 'Files the configure step changed in the proto area',
      command: '<%= config.bin %> diff install configure',
    },
    {
      description: 'Files changed since the compress checkpoint, as JSON',
      command: '<%= config.bin %> diff dc-1-compress --json',
    },
  ]
  static override args = {
    from: Args.string({description: 'The older snapshot or step.', required: true}),
    to: Args.string({description: 'The newer snapshot or step [default: the live proto area].'}),
  }
  static override flags = {...targetFlags, ...buildFlag}

  async run() {
    const {args, flags} = await this.parse(Diff)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {diffProto} = await import('../src/operations/diff.js')
    const session = await sessionFromFlags(flags, this.logger)
    const result = await diffProto(session, args.from, args.to, {build: flags.build})
    if (!this.jsonEnabled()) {
      const sign = {added: '+', removed: '-', modified: 'M', renamed: 'R'} as const
      this.log(
        result.changes.map(c => `${sign[c.change]} ${c.path}${c.to ? ` -> ${c.to}` : ''}`).join('\n') ||
          `no changes from ${result.from} to ${result.to}`,
      )
    }
    return result
  }
}
