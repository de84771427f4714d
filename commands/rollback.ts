import {Args, Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {Session} from '../src/operations/session.js'

export default class Rollback extends DcsnapCommand {
  static override summary =
    'Move the build datasets back to a checkpoint or snapshot, keeping what follows it on a line.'
  static override description = `TARGET is a step of the build (--build, default the latest), a full checkpoint name like dc-3-configure, a baseline dc-3, or a manual snapshot name; LINE:NAME (or --line) names one on a kept line (\`dcsnap list --all\` shows the lines). Nothing is destroyed: the snapshots after the target, and the head's changes since its latest snapshot (as hand-kN), are kept on a new kept line (<dataset>.dclines/kN, never mounted), and the head datasets keep their names, mountpoints and properties. A target on a kept line brings that line back the same way. A head in use (a shell inside it) is refused before anything changes. --discard destroys what follows instead (refused for manual snapshots unless --force, for held or cloned ones always), asking first unless --yes. Rolling back to the latest snapshot discards the head's changes since it, as zfs rollback does.`
  static override examples = [
    {
      description: 'Go back to the compress checkpoint; the later ones stay on a kept line',
      command: '<%= config.bin %> rollback compress',
    },
    {
      description: "Bring back a checkpoint kept on line k1 (the head's line is kept in turn)",
      command: '<%= config.bin %> rollback k1:dc-1-image',
    },
    {
      description: 'Show what destroying the later snapshots would destroy; change nothing',
      command: '<%= config.bin %> rollback compress --discard --dry-run',
    },
    {
      description: 'Destroy the later snapshots, a manual one too, without asking',
      command: '<%= config.bin %> rollback before-experiment --discard --force --yes',
    },
  ]
  static override args = {
    target: Args.string({
      description: 'Step, dc-BUILD-STEP, dc-BUILD, manual snapshot name, or LINE:NAME.',
      required: true,
    }),
  }
  static override flags = {
    ...targetFlags,
    ...buildFlag,
    line: Flags.string({
      description: "The line TARGET is on (head, k1, ...) [default: the head's, else the one kept line that has it].",
      helpValue: 'LINE',
    }),
    discard: Flags.boolean({description: 'Destroy the snapshots after the target instead of keeping them on a line.'}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before destroying (--discard).'}),
    force: Flags.boolean({
      description: 'With --discard, also destroy manual snapshots taken after the target (held or cloned ones: never).',
    }),
    'dry-run': Flags.boolean({char: 'n', description: 'Print the plan and change nothing.'}),
  }

  async run() {
    const {args, flags} = await this.parse(Rollback)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {withLock} = await import('../src/operations/session.js')
    const session = await sessionFromFlags(flags, this.logger)
    if (flags['dry-run']) return this.rollback(session, args.target, flags)
    return withLock(session, () => this.rollback(session, args.target, flags))
  }

  private async rollback(
    session: Session,
    target: string,
    flags: {build?: string; line?: string; discard: boolean; force: boolean; yes: boolean; 'dry-run': boolean},
  ) {
    const {prepareRollback, executeRollback, refuseBlockers} = await import('../src/operations/rollback.js')
    const {confirmOrRefuse} = await import('../src/cli/confirm.js')
    const plan = await prepareRollback(session, target, {
      build: flags.build,
      line: flags.line,
      force: flags.force,
      discard: flags.discard,
    })
    const name = plan.target.line === 'head' ? plan.target.name : `${plan.target.line}:${plan.target.name}`
    const result = {
      target: name,
      line: plan.target.line,
      datasets: session.datasets,
      destroy: plan.destroy.map(s => s.name),
      keptLine: plan.move?.keptLine,
      keep: plan.move
        ? [...plan.move.keeps.map(s => s.name), ...(plan.move.journal.hand ? [plan.move.journal.hand] : [])]
        : [],
      dryRun: flags['dry-run'],
      rolledBack: false,
    }
    if (!this.jsonEnabled()) {
      this.log(`${plan.move ? 'move' : 'roll back'} ${result.datasets.join(', ')} to ${name}`)
      if (plan.move)
        this.log(
          `keeps on line ${plan.move.keptLine}: ${result.keep.length > 0 ? result.keep.join(', ') : 'the head as it is'}`,
        )
      else
        this.log(
          result.destroy.length > 0
            ? `destroys ${result.destroy.length} snapshot(s): ${result.destroy.join(', ')}`
            : 'destroys no snapshots',
        )
    }
    refuseBlockers(`rollback to ${plan.target.name}`, plan.blockers)
    if (flags['dry-run']) return result
    if (plan.destroy.length > 0)
      await confirmOrRefuse(`Destroy ${plan.destroy.length} snapshot(s) and roll back?`, flags.yes)
    await executeRollback(session, plan)
    if (!this.jsonEnabled())
      this.log(
        plan.move ? `moved to ${name}; line ${plan.move.keptLine} keeps what was there` : `rolled back to ${name}`,
      )
    return {...result, rolledBack: true}
  }
}
