import {Args, Flags} from '@oclif/core'
import {DcsnapCommand} from '../src/cli/base-command.js'
import type {StepLogView} from '../src/runner/log-view.js'

export default class Log extends DcsnapCommand {
  static override summary = "Show a step's log: the latest attempt, or any earlier one."
  static override description = `Every attempt of a step has its own log under <logs>/<BUILD>/: the first is N-STEP.log, a resume's second attempt N-STEP.2.log, and so on; none is overwritten. Without STEP, the log of the step the build stopped in (or its last step that ran). A step a build reused from the cache has no log of its own: this names the build whose log it is. --follow prints what a running step writes until it ends.`
  static override examples = [
    {description: 'The log of the step the latest build stopped in', command: '<%= config.bin %> log'},
    {
      description: "configure's first attempt in build 1 (a resume's attempt is --attempt 2)",
      command: '<%= config.bin %> log configure --build 1 --attempt 1',
    },
    {description: 'Follow the step that is running now', command: '<%= config.bin %> log --follow'},
  ]
  static override args = {
    step: Args.string({
      description: 'The step [default: the one the build stopped in, or its last one that ran].',
      required: false,
    }),
  }
  static override flags = {
    manifest: Flags.string({char: 'm', description: 'The manifest.', default: 'dcsnap.yaml', helpValue: 'FILE'}),
    build: Flags.string({description: 'Build id [default: the latest build].', helpValue: 'ID'}),
    attempt: Flags.integer({
      description: 'Which attempt (1 is the first) [default: the latest].',
      min: 1,
      helpValue: 'N',
    }),
    follow: Flags.boolean({
      char: 'f',
      description: 'Keep printing what the step writes until it ends.',
      exclusive: ['json'],
    }),
  }

  async run(): Promise<StepLogView> {
    const {args, flags} = await this.parse(Log)
    const {loadManifest} = await import('../src/manifest/manifest.js')
    const {Runner} = await import('../src/runner/runner.js')
    const {stepLogView, followLog} = await import('../src/runner/log-view.js')
    const runner = new Runner({
      manifest: await loadManifest(flags.manifest),
      manifestArg: flags.manifest,
      logger: this.logger,
    })
    const view = await stepLogView(runner, {step: args.step, build: flags.build, attempt: flags.attempt})
    if (this.jsonEnabled()) return view
    this.logger.info(
      `build ${view.build}, step ${view.step}, attempt ${view.attempt} of ${view.attempts.length}: ${view.path}`,
    )
    if (flags.follow) await followLog(runner, view, chunk => process.stdout.write(chunk))
    else process.stdout.write(view.text)
    return view
  }
}
