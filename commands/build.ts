import {Flags} from '@oclif/core'
import {DcsnapCommand} from '../src/cli/base-command.js'

export default class Build extends DcsnapCommand {
  static override summary = 'Run a new build of the manifest, checkpointing after every step.'
  static override description = `Every new build starts from the base: the first build's baseline, or the snapshot \`base:\` in the manifest names. Steps whose cache key (definition, the scripts it runs, its \`inputs:\`, and the key of the step before) matches a complete checkpoint of an earlier build, on the head or a kept line, are reused instead of run: the build starts from the checkpoint of the longest such prefix (a rollback or clone, whatever its size) and runs only the steps after it; \`dcsnap why\` says why a step runs. \`cache: false\` on a step, --no-cache and --rebuild-from make steps run. What the head holds beyond the base (earlier builds, hand changes) is kept on a kept line, never destroyed (\`dcsnap list --all\` shows it; \`dcsnap resume --build ID\` brings a build back). --on-top starts from the head as it is instead. Then it takes the build lock, snapshots the proto area and data cache as the baseline dc-BUILD, then runs each step in order (a string through /bin/sh -c, an array without a shell) in the manifest's directory, and snapshots both datasets as dc-BUILD-STEP after each one that succeeds. Step output goes to <logs>/<BUILD>/<N>-<STEP>.log and, unless --quiet, to stderr. When a step fails the build stops with exit 1 and prints the step, its log and the exact resume command. Ctrl-C stops the running step's whole process group; no checkpoint is taken for it.`
  static override examples = [
    {
      description: 'Run a new build of ./dcsnap.yaml (build ids count up: 1, 2, ...)',
      command: '<%= config.bin %> build',
    },
    {
      description: "Stop cleanly after configure's checkpoint, to look inside the proto area; `dcsnap resume` goes on",
      command: '<%= config.bin %> build --pause-after configure',
    },
    {
      description: 'A build with your own id; on a failure in a terminal, offer retry / earlier step / stop',
      command: '<%= config.bin %> build --build nightly.42 --interactive',
    },
    {
      description: 'What a build would reuse and run, and why, without building',
      command: '<%= config.bin %> build --dry-run',
    },
    {
      description: 'Run configure and every step after it, whatever the cache holds',
      command: '<%= config.bin %> build --rebuild-from configure',
    },
  ]
  static override flags = {
    manifest: Flags.string({char: 'm', description: 'The manifest.', default: 'dcsnap.yaml', helpValue: 'FILE'}),
    build: Flags.string({description: 'Build id [default: one more than the highest numeric build].', helpValue: 'ID'}),
    'pause-before': Flags.string({
      description: 'Stop cleanly before this step; `dcsnap resume` continues.',
      helpValue: 'STEP',
      exclusive: ['pause-after'],
    }),
    'pause-after': Flags.string({description: "Stop cleanly after this step's checkpoint.", helpValue: 'STEP'}),
    'on-top': Flags.boolean({
      description:
        'Start from the head as it is, not from the base (earlier builds stay below this one). Reuses no step.',
    }),
    'no-cache': Flags.boolean({
      description: 'Run every step: reuse no checkpoint of an earlier build.',
      exclusive: ['cache-only'],
    }),
    'rebuild-from': Flags.string({
      description: 'Run this step and every one after it, reusing at most the steps before it.',
      helpValue: 'STEP',
    }),
    'cache-only': Flags.boolean({
      description: 'Refuse (exit 3, naming the first step that would run) unless every step is reused: for CI.',
    }),
    discard: Flags.boolean({
      description:
        "Destroy what the head holds after the build's start (earlier builds' later checkpoints, hand changes) instead of keeping it on a line.",
    }),
    force: Flags.boolean({
      description: 'With --discard, also destroy manual snapshots (held or cloned ones: never).',
      dependsOn: ['discard'],
    }),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before destroying (--discard).'}),
    'dry-run': Flags.boolean({
      char: 'n',
      description:
        'Print the plan (where the build starts, what is kept on a line, each step reused or run and why) and change nothing.',
    }),
    interactive: Flags.boolean({
      char: 'i',
      description: 'When a step fails, offer retry / resume from an earlier step / stop (needs a terminal).',
    }),
    quiet: Flags.boolean({char: 'q', description: 'Step output only to the log files.'}),
  }

  async run() {
    const {flags} = await this.parse(Build)
    const {runnerFromFlags, checkRun, describeRun, interactiveLoop} = await import('../src/cli/run.js')
    const runner = await runnerFromFlags(flags, this.logger)
    try {
      const opts = {
        build: flags.build,
        onTop: flags['on-top'],
        pauseBefore: flags['pause-before'],
        pauseAfter: flags['pause-after'],
        noCache: flags['no-cache'],
        rebuildFrom: flags['rebuild-from'],
        cacheOnly: flags['cache-only'],
        discard: flags.discard,
        force: flags.force,
      }
      if (flags['dry-run']) {
        const {cachePlanRows, cachePlanTable} = await import('../src/cli/cache-plan.js')
        const plan = await runner.planBuild(opts)
        const rows = cachePlanRows(plan.cache)
        const view = {
          build: plan.build,
          startsFrom: plan.startsFrom,
          keptLine: plan.keptLine,
          keeps: plan.keeps,
          destroy: plan.destroy,
          cached: plan.cache.cached,
          steps: rows,
          dryRun: true,
        }
        if (!this.jsonEnabled()) {
          const keeps =
            view.keeps.length <= 6
              ? view.keeps.join(', ')
              : `${view.keeps.length} snapshots (${view.keeps[0]} ... ${view.keeps.at(-1)})`
          this.log(
            `build ${view.build} would start from ${view.startsFrom ?? 'the head as it is'}${view.keptLine ? `; kept on line ${view.keptLine}: ${keeps}` : ''}`,
          )
          if (view.destroy.length > 0)
            this.log(`destroys ${view.destroy.length} snapshot(s): ${view.destroy.join(', ')}`)
          this.log(cachePlanTable(rows))
          this.log(`${view.cached} of ${rows.length} steps reused, ${rows.length - view.cached} run`)
        }
        return view
      }
      const {confirmOrRefuse} = await import('../src/cli/confirm.js')
      let r = await runner.build({
        ...opts,
        confirm: names =>
          confirmOrRefuse(
            `Destroy ${names.length} snapshot(s) (${names.join(', ')}) and build from the start?`,
            flags.yes,
          ),
      })
      if (flags.interactive && process.stdin.isTTY) r = await interactiveLoop(runner, r, r.build)
      checkRun(runner, r)
      if (!this.jsonEnabled()) this.log(describeRun(r))
      return r
    } finally {
      await runner.dispose()
    }
  }
}
