import {Flags} from '@oclif/core'
import {DcsnapCommand} from '../src/cli/base-command.js'
import type {BuildStatus} from '../src/runner/status.js'

export default class Status extends DcsnapCommand {
  static override summary = 'Show every step of the build: done, failed or pending, and where it can resume.'
  static override description =
    "Lists the manifest's steps in order with their state in the latest build (or --build), whether `dcsnap resume STEP` would be accepted, whether the step changed since the build ran, the process holding the build lock if one runs, and the command that resumes the build."
  static override examples = [
    {
      description: 'Each step of the latest build: done, failed or pending, and how to resume',
      command: '<%= config.bin %> status',
    },
    {description: 'The same for build 1, as JSON', command: '<%= config.bin %> status --build 1 --json'},
  ]
  static override flags = {
    manifest: Flags.string({char: 'm', description: 'The manifest.', default: 'dcsnap.yaml', helpValue: 'FILE'}),
    build: Flags.string({description: 'Build id [default: the latest build].', helpValue: 'ID'}),
  }

  async run(): Promise<BuildStatus> {
    const {flags} = await this.parse(Status)
    const {loadManifest} = await import('../src/manifest/manifest.js')
    const {Runner} = await import('../src/runner/runner.js')
    const {buildStatus} = await import('../src/runner/status.js')
    const {formatDuration, table} = await import('../src/cli/format.js')
    const runner = new Runner({
      manifest: await loadManifest(flags.manifest),
      manifestArg: flags.manifest,
      logger: this.logger,
    })
    const s = await buildStatus(runner, {build: flags.build})
    if (!this.jsonEnabled()) {
      this.log(
        s.build === null
          ? `no build yet on ${s.datasets.join(', ')}`
          : `build ${s.build} on ${s.datasets.join(', ')}${s.line === 'head' ? '' : ` (kept line ${s.line})`}`,
      )
      this.log(
        table(
          ['#', 'STEP', 'STATE', 'DURATION', 'RESUMABLE', 'DESCRIPTION'],
          s.steps.map(r => [
            String(r.index),
            r.name,
            r.state +
              (r.state === 'cached' && r.checkpoint ? ` (${r.checkpoint})` : '') +
              (r.changed ? ' (changed)' : ''),
            r.durationSeconds === null ? '-' : formatDuration(r.durationSeconds),
            r.resumable ? 'yes' : 'no',
            r.description ?? '',
          ]),
        ),
      )
      if (s.build !== null) this.log(`steps ran for ${formatDuration(s.totalSeconds)} in all`)
      if (s.handChangedAfter.length > 0)
        this.log(`went on from a hand-changed tree after ${s.handChangedAfter.join(', ')}`)
      if (s.lock) this.log(`running: pid ${s.lock.pid} (${s.lock.command}) since ${s.lock.since}`)
      if (s.orphan) {
        const {describeOrphan} = await import('../src/lock/orphans.js')
        this.log(`orphaned: ${describeOrphan(s.orphan)}`)
        this.log(`end it with: dcsnap stop -m ${flags.manifest} (or let it finish), then resume`)
      } else if (s.resumeCommand) this.log(`resume with: ${s.resumeCommand}`)
      else if (s.completed) this.log('completed')
      else if (s.build !== null) this.log('nothing to resume from: start a new build with `dcsnap build`')
    }
    return s
  }
}
