import {Args, Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Destroy extends DcsnapCommand {
  static override summary = 'Destroy named snapshots, or whole builds, on every build dataset.'
  static override description = `Each TARGET is a step of the build (--build, default the latest), a checkpoint or baseline name (dc-3-configure, dc-3), or a manual snapshot name: naming a manual snapshot is consent to destroy it. With --whole-build each TARGET is a build id, and its baseline and every checkpoint go. Held snapshots and snapshots with clones are refused (exit 3). --dry-run lists exactly what would be destroyed.`
  static override examples = [
    {
      description: 'List what destroying a manual snapshot would remove; change nothing',
      command: '<%= config.bin %> destroy known-good --dry-run',
    },
    {description: 'Destroy it (naming a manual snapshot is consent)', command: '<%= config.bin %> destroy known-good'},
    {
      description: 'What destroying all of build 2 would remove',
      command: '<%= config.bin %> destroy --whole-build 2 --dry-run',
    },
  ]
  static override strict = false
  static override args = {
    target: Args.string({description: 'Snapshots, steps, or build ids with --whole-build.', required: true}),
  }
  static override flags = {
    ...targetFlags,
    ...buildFlag,
    'whole-build': Flags.boolean({
      description: "TARGETs are build ids: destroy each build's baseline and checkpoints.",
    }),
    'dry-run': Flags.boolean({char: 'n', description: 'List what would be destroyed and change nothing.'}),
  }

  async run() {
    const {argv, flags} = await this.parse(Destroy)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {planDestroy} = await import('../src/operations/destroy.js')
    const {runDestroyPlan} = await import('../src/cli/destroy.js')
    const {withLock} = await import('../src/operations/session.js')
    const session = await sessionFromFlags(flags, this.logger)
    const work = async () =>
      runDestroyPlan(
        this,
        session,
        await planDestroy(session, argv as string[], {build: flags.build, wholeBuild: flags['whole-build']}),
        flags['dry-run'],
      )
    return flags['dry-run'] ? work() : withLock(session, work)
  }
}
