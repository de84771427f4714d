import {Args, Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {Session} from '../src/operations/session.js'

export default class Rollback extends DcsnapCommand {
  static override summary = 'Roll every build dataset back to a checkpoint or a manual snapshot.'
  static override description = `TARGET is a step of the build (--build, default the latest), a full checkpoint name like dc-3-configure, a baseline dc-3, or a manual snapshot name. Every snapshot taken after the target is destroyed first, exactly as planned, then each dataset is rolled back (never \`zfs rollback -r\`, so nothing unplanned is lost). Refuses (exit 3) if that would destroy a manual snapshot (unless --force), a held one, or one with clones (never). Asks before destroying; --yes skips the question, --dry-run only prints the plan.`
  static override examples = [
    {description: 'Show what rolling back to the compress checkpoint would destroy; change nothing', command: '<%= config.bin %> rollback compress --dry-run'},
    {description: 'Roll back to a manual snapshot, without asking', command: '<%= config.bin %> rollback try-gzip9 --yes'},
    {description: 'Roll back over a manual snapshot too (--force: it is destroyed)', command: '<%= config.bin %> rollback before-experiment --force --yes'},
  ]
  static override args = {target: Args.string({description: 'Step, dc-BUILD-STEP, dc-BUILD or manual snapshot name.', required: true})}
  static override flags = {
    ...targetFlags,
    ...buildFlag,
    yes: Flags.boolean({char: 'y', description: 'Do not ask before destroying later snapshots.'}),
    force: Flags.boolean({description: 'Also destroy manual snapshots taken after the target (held or cloned ones: never).'}),
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

  private async rollback(session: Session, target: string, flags: {build?: string; force: boolean; yes: boolean; 'dry-run': boolean}) {
    const {prepareRollback, executeRollback, refuseBlockers} = await import('../src/operations/rollback.js')
    const {confirmOrRefuse} = await import('../src/cli/confirm.js')
    const plan = await prepareRollback(session, target, {build: flags.build, force: flags.force})
    const result = {
      target: plan.target.name,
      datasets: plan.steps.map(s => s.dataset),
      destroy: plan.destroy.map(s => s.name),
      dryRun: flags['dry-run'],
      rolledBack: false,
    }
    if (!this.jsonEnabled()) {
      this.log(`roll back ${result.datasets.join(', ')} to ${result.target}`)
      this.log(result.destroy.length > 0 ? `destroys ${result.destroy.length} snapshot(s): ${result.destroy.join(', ')}` : 'destroys no snapshots')
    }
    refuseBlockers(`rollback to ${plan.target.name}`, plan.blockers)
    if (flags['dry-run']) return result
    if (plan.destroy.length > 0) await confirmOrRefuse(`Destroy ${plan.destroy.length} snapshot(s) and roll back?`, flags.yes)
    await executeRollback(session, plan)
    if (!this.jsonEnabled()) this.log(`rolled back to ${plan.target.name}`)
    return {...result, rolledBack: true}
  }
}
