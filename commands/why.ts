import {Args, Flags} from '@oclif/core'
import {DcsnapCommand} from '../src/cli/base-command.js'
import type {CachePlanRow} from '../src/cli/cache-plan.js'

export default class Why extends DcsnapCommand {
  static override summary = 'Say, for each step, whether a new build would reuse it and, if not, which input changed.'
  static override description = `A step is reused (a cache hit) when its key matches a complete checkpoint of an earlier build, on the head or a kept line: the key covers its definition (name, run, env), every file its \`run\` names in the manifest's tree, its \`inputs:\`, and the key of the step before it. For a step that runs, this names the first thing that differs from the latest build: the file (changed, appeared or went), the env var, the definition field, or "parent missed" when only the step before it changed. The same plan as \`dcsnap build --dry-run\`; it changes nothing.`
  static override examples = [
    {description: 'Every step: hit (from which checkpoint) or miss, and why', command: '<%= config.bin %> why'},
    {description: 'Only the step configure, as JSON', command: '<%= config.bin %> why configure --json'},
  ]
  static override args = {
    step: Args.string({description: 'Only this step.', required: false}),
  }
  static override flags = {
    manifest: Flags.string({char: 'm', description: 'The manifest.', default: 'dcsnap.yaml', helpValue: 'FILE'}),
  }

  async run(): Promise<{steps: CachePlanRow[]}> {
    const {args, flags} = await this.parse(Why)
    const {loadManifest} = await import('../src/manifest/manifest.js')
    const {Runner} = await import('../src/runner/runner.js')
    const {UsageError} = await import('../src/errors.js')
    const {cachePlanRows, cachePlanTable} = await import('../src/cli/cache-plan.js')
    const runner = new Runner({
      manifest: await loadManifest(flags.manifest),
      manifestArg: flags.manifest,
      logger: this.logger,
    })
    if (args.step !== undefined && !runner.manifest.steps.some(s => s.name === args.step)) {
      throw new UsageError(
        'NO_SUCH_STEP',
        `no step "${args.step}" in the manifest`,
        `Steps: ${runner.manifest.steps.map(s => s.name).join(', ')}.`,
      )
    }
    const rows = cachePlanRows(await runner.planCache(), args.step)
    if (!this.jsonEnabled()) this.log(cachePlanTable(rows))
    return {steps: rows}
  }
}
