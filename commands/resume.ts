import {Args, Flags} from '@oclif/core'
import {DcsnapCommand} from '../src/cli/base-command.js'

export default class Resume extends DcsnapCommand {
  static override summary = 'Roll back to the checkpoint before STEP and run the build from there.'
  static override description = `Without STEP, resumes at the first step without a checkpoint (refused, exit 3, when every step has one: name a step to re-run). STEP may not come after the first step without a checkpoint. The manifest given (-m, default ./dcsnap.yaml) is compared step by step with the one recorded with the build: changes at or after STEP are what you are resuming for; changes before it are refused (exit 3) unless --allow-changed. After a pause (--pause-after/--pause-before) it goes on from the head as it is, your changes included, and the record says so; --discard-changes keeps those changes on a line and goes back to the pause's checkpoint instead; --keep-changes goes on as it is after a failure too (the failed step's partial output stays). Going back keeps what follows the target (this build's later checkpoints, other builds', and the head's hand changes after a completed build) on a kept line; what a failed step left behind is its partial output and is not kept. --discard destroys the later snapshots instead (refused over manual ones unless --force, held or cloned ones always). --build ID finds a build on a kept line too and brings its line back, keeping the head's. A build whose data cache was a temporary directory can only be resumed by the process that ran it.`
  static override examples = [
    {
      description: 'Go on from the first step without a checkpoint (after a failure, a pause or Ctrl-C)',
      command: '<%= config.bin %> resume',
    },
    {
      description: 'Show what resuming at configure would keep on a line and run; change nothing',
      command: '<%= config.bin %> resume configure --dry-run',
    },
    {
      description: "Re-run build 1 from configure: its kept line comes back, and the head's line is kept in turn",
      command: '<%= config.bin %> resume configure --build 1',
    },
    {
      description: 'Re-run build nightly.42 from compress, accepting changed earlier steps, without asking',
      command: '<%= config.bin %> resume compress --yes --allow-changed --build nightly.42',
    },
  ]
  static override args = {
    step: Args.string({description: 'Step to resume at [default: the first step without a checkpoint].'}),
  }
  static override flags = {
    manifest: Flags.string({char: 'm', description: 'The manifest.', default: 'dcsnap.yaml', helpValue: 'FILE'}),
    build: Flags.string({description: 'Build id [default: the latest build].', helpValue: 'ID'}),
    'allow-changed': Flags.boolean({description: 'Resume even though steps before STEP changed since the build ran.'}),
    discard: Flags.boolean({
      description: 'Destroy the checkpoints after the resume point instead of keeping them on a line.',
    }),
    'keep-changes': Flags.boolean({
      description:
        'Go on from the head as it is, changes since its latest checkpoint included (the default after a pause).',
      exclusive: ['discard-changes'],
    }),
    'discard-changes': Flags.boolean({
      description: "After a pause: keep the changes made since on a line, and go back to the pause's checkpoint.",
    }),
    force: Flags.boolean({
      description: 'With --discard, also destroy manual snapshots taken after the target (held or cloned ones: never).',
    }),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before destroying later checkpoints (--discard).'}),
    'dry-run': Flags.boolean({
      char: 'n',
      description: 'Print the plan (rollback target, what is destroyed, steps to run) and change nothing.',
    }),
    'pause-before': Flags.string({
      description: 'Stop cleanly before this step.',
      helpValue: 'STEP',
      exclusive: ['pause-after'],
    }),
    'pause-after': Flags.string({description: "Stop cleanly after this step's checkpoint.", helpValue: 'STEP'}),
    quiet: Flags.boolean({char: 'q', description: 'Step output only to the log files.'}),
    from: Flags.string({
      description:
        'A replica (`dcsnap push` made it) in the same pool: the build datasets, which must not exist, become clones of its checkpoint, and the build goes on from there.',
      helpValue: 'POOL/PATH',
    }),
  }

  async run() {
    const {args, flags} = await this.parse(Resume)
    const {runnerFromFlags, checkRun, describeRun} = await import('../src/cli/run.js')
    const {confirmOrRefuse} = await import('../src/cli/confirm.js')
    const {refuseBlockers} = await import('../src/operations/rollback.js')
    const runner = await runnerFromFlags(flags, this.logger)
    if (flags.from !== undefined) {
      const {seedCommand} = await import('../src/cli/seed.js')
      const seeded = await seedCommand(this, runner, flags.from, {
        build: flags.build,
        step: args.step,
        dryRun: flags['dry-run'],
      })
      if (flags['dry-run']) return seeded
    }
    const opts = {
      build: flags.build,
      step: args.step,
      allowChanged: flags['allow-changed'],
      force: flags.force,
      discard: flags.discard,
      keepChanges: flags['keep-changes'],
      discardChanges: flags['discard-changes'],
    }
    try {
      if (flags['dry-run']) {
        const plan = await runner.planResume(opts)
        const view = {
          build: plan.build,
          resumeAt: plan.from.name,
          rollbackTo: plan.target.line === 'head' ? plan.target.name : `${plan.target.line}:${plan.target.name}`,
          destroy: plan.rollback.destroy.map(s => s.name),
          keptLine: plan.rollback.move?.keptLine,
          continueAsIs: plan.continueAsIs ?? false,
          keep: plan.rollback.move
            ? [
                ...plan.rollback.move.keeps.map(s => s.name),
                ...(plan.rollback.move.journal.hand ? [plan.rollback.move.journal.hand] : []),
              ]
            : [],
          run: plan.run.map(s => s.name),
          changes: plan.changes,
          blockers: plan.rollback.blockers,
          dryRun: true,
        }
        if (!this.jsonEnabled()) {
          this.log(
            view.continueAsIs
              ? `resume build ${view.build} at ${view.resumeAt} on the head as it is (changes since ${view.rollbackTo} included; --discard-changes keeps them on a line instead)`
              : `resume build ${view.build} at ${view.resumeAt}: back to ${view.rollbackTo}`,
          )
          if (view.keptLine)
            this.log(
              `keeps on line ${view.keptLine}: ${view.keep.length > 0 ? view.keep.join(', ') : 'the head as it is'}`,
            )
          this.log(
            view.destroy.length > 0
              ? `destroys ${view.destroy.length} snapshot(s): ${view.destroy.join(', ')}`
              : 'destroys no snapshots',
          )
          this.log(`runs: ${view.run.join(', ')}`)
        }
        refuseBlockers(`resuming at ${plan.from.name}`, plan.rollback.blockers)
        return view
      }
      const r = await runner.resume({
        ...opts,
        pauseBefore: flags['pause-before'],
        pauseAfter: flags['pause-after'],
        confirm: plan =>
          confirmOrRefuse(
            `Destroy ${plan.rollback.destroy.length} snapshot(s) (${plan.rollback.destroy.map(s => s.name).join(', ')}) and resume at ${plan.from.name}?`,
            flags.yes,
          ),
      })
      checkRun(runner, r)
      if (!this.jsonEnabled()) this.log(describeRun(r))
      return r
    } finally {
      await runner.dispose()
    }
  }
}
