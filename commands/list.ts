import {Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {ListView} from '../src/operations/list.js'

export default class List extends DcsnapCommand {
  static override summary = 'List checkpoints and manual snapshots, with the space they use.'
  static override description = `Shows the latest build's checkpoints (or --build ID, or --all builds) and every manual snapshot on the build datasets, oldest first by ZFS transaction group. A checkpoint that some build dataset lacks is "incomplete" and is never resumed from. USED is the space freed by destroying that snapshot alone; WRITTEN (where ZFS has it) what changed since the previous one. Exactly one zfs call, however many snapshots exist.`
  static override examples = [
    {description: "The latest build's checkpoints and the manual snapshots, with the space each holds", command: '<%= config.bin %> list'},
    {description: 'Every build', command: '<%= config.bin %> list --all'},
    {description: 'Datasets named directly instead of from ./dcsnap.yaml (the proto area first), as JSON', command: '<%= config.bin %> list --json -d dcsandbox/proto -d dcsandbox/cache'},
  ]
  static override flags = {
    ...targetFlags,
    ...buildFlag,
    all: Flags.boolean({description: 'Show every build, not only the latest.', exclusive: ['build']}),
  }

  async run(): Promise<ListView> {
    const {flags} = await this.parse(List)
    const {sessionFromFlags} = await import('../src/cli/session.js')
    const {listSnapshots} = await import('../src/operations/list.js')
    const session = await sessionFromFlags(flags, this.logger)
    const view = await listSnapshots(session, {all: flags.all, build: flags.build})
    if (!this.jsonEnabled()) this.log(await render(view))
    return view
  }
}

async function render(view: ListView): Promise<string> {
  const {formatBytes, formatTime, table} = await import('../src/cli/format.js')
  if (view.snapshots.length === 0) return `no snapshots on ${view.datasets.join(', ')}`
  const hasWritten = view.snapshots.some(s => s.written !== null)
  const header = ['BUILD', '#', 'STEP', 'SNAPSHOT', 'CREATED', 'USED', ...(hasWritten ? ['WRITTEN'] : []), 'STATE']
  const rows = view.snapshots.map(s => [
    s.build ?? '-',
    s.index === null ? '-' : String(s.index),
    s.kind === 'baseline' ? '(baseline)' : s.kind === 'manual' ? '(manual)' : s.step!,
    s.name,
    formatTime(Date.parse(s.created) / 1000),
    formatBytes(s.used),
    ...(hasWritten ? [formatBytes(s.written ?? undefined)] : []),
    [s.state, ...(s.held ? ['held'] : []), ...(s.clones.length > 0 ? ['cloned'] : [])].join(','),
  ])
  const t = view.totals
  const total = `${t.snapshots} snapshot(s) on ${view.datasets.join(', ')}; used by snapshots: ${formatBytes(t.used)}${t.written === null ? '' : `, written: ${formatBytes(t.written)}`}`
  return `${table(header, rows)}\n${total}`
}
