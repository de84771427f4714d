import {Flags} from '@oclif/core'
import {DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {StopResult} from '../src/lock/stop.js'

export default class Stop extends DcsnapCommand {
  static override summary = 'Stop the steps of a build whose dcsnap died, and release its locks.'
  static override description = `When dcsnap dies while a step runs (kill -9, the OOM killer, a closed ssh session), the step's processes keep the build datasets locked until they end, so that nothing rolls back under them; \`dcsnap status\` shows them as orphaned. \`dcsnap stop\` ends them: SIGTERM, then SIGKILL after --grace seconds, every process of the step (its cgroup where dcsnap could make one, its session, and anything holding the lock files open). zfs commands the dead dcsnap started are waited for, never killed. Then the locks are free and \`dcsnap resume\` goes on. A live dcsnap is never stopped this way (exit 4): use Ctrl-C or kill on it.`
  static override examples = [
    {description: 'See what would be stopped; change nothing', command: '<%= config.bin %> stop --dry-run'},
    {
      description:
        'Stop the orphaned step of the build in ./dcsnap.yaml (then `dcsnap resume` goes on), SIGKILL after 2 s',
      command: '<%= config.bin %> stop --grace 2',
    },
  ]
  static override flags = {
    ...targetFlags,
    grace: Flags.integer({description: 'Seconds between SIGTERM and SIGKILL.', default: 5, min: 0}),
    'dry-run': Flags.boolean({char: 'n', description: 'List the processes that would be stopped and change nothing.'}),
  }

  async run(): Promise<StopResult> {
    const {flags} = await this.parse(Stop)
    const {resolveBuildTarget} = await import('../src/targets.js')
    const {stopOrphans} = await import('../src/lock/stop.js')
    const target = await resolveBuildTarget({manifest: flags.manifest, datasets: flags.dataset})
    const r = await stopOrphans(target.datasets, {graceMs: flags.grace * 1000, dryRun: flags['dry-run']})
    if (!this.jsonEnabled()) {
      if (r.holders.length === 0) this.log(`nothing to stop: no dead dcsnap's work on ${target.datasets.join(', ')}`)
      for (const p of r.stopped) this.log(`${flags['dry-run'] ? 'would stop' : 'stopped'} pid ${p.pid} ${p.command}`)
      for (const p of r.waitedFor)
        this.log(`${flags['dry-run'] ? 'would wait for' : 'waited for'} pid ${p.pid} ${p.command}`)
      if (!flags['dry-run'] && r.holders.length > 0) this.log('the locks are free: `dcsnap resume` goes on')
    }
    return r
  }
}
