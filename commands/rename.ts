import {Args} from '@oclif/core'
import {DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Rename extends DcsnapCommand {
  static override summary = 'Rename a snapshot on every build dataset, all or nothing.'
  static override description = `Renames FROM to TO on each build dataset that has FROM. If a dataset has both FROM and TO, nothing is renamed; if a rename fails midway, the ones already done are renamed back. A rename left half done (FROM on some datasets, TO on the others, with the same dcsnap:* properties) is completed by running it again, or undone by the reverse rename; \`dcsnap list\` shows it as "split". A name in the dc-BUILD-STEP form is a checkpoint, whatever made it: renaming a checkpoint out of that form makes it a manual snapshot, and into it makes a checkpoint.`
  static override examples = [
    {
      description: 'Rename a manual snapshot on both datasets, all or nothing',
      command: '<%= config.bin %> rename before-experiment good-baseline',
    },
    {
      description: 'The same with an explicit manifest',
      command: '<%= config.bin %> rename good-baseline known-good -m dcsnap.yaml',
    },
  ]
  static override args = {
    from: Args.string({description: 'Current snapshot name (after @).', required: true}),
    to: Args.string({description: 'New snapshot name.', required: true}),
  }
  static override flags = {...targetFlags}

  async run() {
    const {args, flags} = await this.parse(Rename)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {renameSnapshot} = await import('../src/operations/rename.js')
    const {withLock} = await import('../src/operations/session.js')
    const session = await sessionFromFlags(flags, this.logger)
    const result = await withLock(session, () => renameSnapshot(session, args.from, args.to))
    if (!this.jsonEnabled()) {
      const already = result.alreadyRenamed.map(d => `${d}@${result.to} (already renamed)`)
      this.log([...result.renamed.map(p => `${p.from} -> ${p.to}`), ...already].join('\n'))
    }
    return result
  }
}
