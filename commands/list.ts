import {Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'
import type {ListView} from '../src/operations/list.js'

export default class List extends DcsnapCommand {
  static override summary =
    'List checkpoints and manual snapshots, on the head and on kept lines, with the space they use.'
  static override description = `Shows the latest build's checkpoints (or --build ID, wherever it is, or --all builds on every line) and every manual snapshot on the build datasets, oldest first by ZFS transaction group. LINE is where a snapshot is: the head's line, or a kept line (k1, k2, ...) that going back left behind; address one as LINE:NAME (\`dcsnap rollback k1:dc-1-iso\`). Kept lines are counted under the table. A checkpoint that some build dataset lacks is "incomplete" and is never resumed from. A snapshot that a rename left half done (the old name on some datasets, the new on the others) is "split", and a manual snapshot on some datasets only is "incomplete": under the table, the dcsnap command that repairs each. USED is the space freed by destroying that snapshot alone, REFER the data it holds; WRITTEN (where ZFS has it) what changed since the previous one; DURATION how long its step ran (from the snapshot before it in the same build to it). The total "used by snapshots" is ZFS's own count (\`usedbysnapshots\` of the build datasets: more than the sum of USED when snapshots share blocks), and a kept line's space is its datasets' \`used\`. One zfs call, however many snapshots and lines exist (two before the first kept line).`
  static override examples = [
    {
      description: "The latest build's checkpoints and the manual snapshots, with the space each holds",
      command: '<%= config.bin %> list',
    },
    {description: 'Every build', command: '<%= config.bin %> list --all'},
    {
      description: 'Datasets named directly instead of from ./dcsnap.yaml (the proto area first), as JSON',
      command: '<%= config.bin %> list --json -d dcsandbox/proto -d dcsandbox/cache',
    },
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
    const target = flags.dataset
      ? flags.dataset.flatMap(d => ['-d', d])
      : flags.manifest === undefined
        ? []
        : ['-m', flags.manifest]
    const view = await listSnapshots(session, {all: flags.all, build: flags.build, target})
    if (!this.jsonEnabled()) this.log(await render(view, target))
    return view
  }
}

async function render(view: ListView, target: string[]): Promise<string> {
  const {formatBytes, formatDuration, formatTime, table} = await import('../src/cli/format.js')
  const {dcsnapCommand} = await import('../src/operations/repair.js')
  if (view.snapshots.length === 0 && view.lines.length === 0) return `no snapshots on ${view.datasets.join(', ')}`
  const hasWritten = view.snapshots.some(s => s.written !== null)
  const header = [
    'BUILD',
    '#',
    'STEP',
    'SNAPSHOT',
    'LINE',
    'CREATED',
    'DURATION',
    'USED',
    'REFER',
    ...(hasWritten ? ['WRITTEN'] : []),
    'STATE',
  ]
  const rows = view.snapshots.map(s => [
    s.build ?? '-',
    s.index === null ? '-' : String(s.index),
    s.kind === 'baseline'
      ? s.reused > 0
        ? `(baseline, ${s.reused} reused)`
        : '(baseline)'
      : s.kind === 'manual'
        ? s.hand
          ? '(hand changes)'
          : '(manual)'
        : s.step!,
    s.name,
    s.line,
    formatTime(Date.parse(s.created) / 1000),
    s.durationSeconds === null ? '-' : formatDuration(s.durationSeconds),
    formatBytes(s.used),
    formatBytes(s.referenced),
    ...(hasWritten ? [formatBytes(s.written ?? undefined)] : []),
    [s.state, ...(s.held ? ['held'] : []), ...(s.clones.length > 0 ? ['cloned'] : [])].join(','),
  ])
  const t = view.totals
  const total = `${t.snapshots} snapshot(s) on ${view.datasets.join(', ')}; used by snapshots: ${formatBytes(t.usedBySnapshots ?? t.used)}${t.written === null ? '' : `, written: ${formatBytes(t.written)}`}`
  const lines =
    view.lines.length === 0
      ? []
      : [
          `${view.lines.length} kept line(s): ${view.lines.map(l => `${l.line} (${l.snapshots} snapshot(s), ${formatBytes(l.used)})`).join(', ')}${view.snapshots.some(s => s.line !== 'head') ? '' : '; `dcsnap list --all` shows them'}`,
        ]
  return [
    table(header, rows),
    total,
    ...lines,
    ...repairLines(view, words => dcsnapCommand([...words, ...target])),
  ].join('\n')
}

/** Under the table: each split or incomplete manual snapshot once, with the command that repairs it (none when ambiguous). */
function repairLines(view: ListView, command: (words: string[]) => string): string[] {
  const lines: string[] = []
  const seen = new Set<string>()
  const on = (name: string) => {
    const other = view.snapshots.find(s => s.name === name)
    return other ? ` (on ${other.datasets.join(', ')})` : ''
  }
  for (const s of view.snapshots) {
    if (s.splitCandidates.length > 0) {
      lines.push(
        `incomplete: "${s.name}" is on ${s.datasets.join(', ')} only, and may be one half of a rename left half done, with ${s.splitCandidates.map(c => `"${c}"`).join(' or ')} (ambiguous).`,
        ...s.splitCandidates.map(c => `  if "${c}" is its other half: ${command(['rename', c, s.name])}`),
      )
      continue
    }
    if (s.repair === null || seen.has(s.repair)) continue
    seen.add(s.repair)
    if (s.state === 'split') {
      lines.push(
        `split: "${s.name}" (on ${s.datasets.join(', ')}) and "${s.splitWith}"${on(s.splitWith!)} are one snapshot, renamed half way.`,
        `  complete it: ${s.repair}`,
        `  or the other way: ${s.alternative}`,
      )
    } else {
      lines.push(
        `incomplete: manual snapshot "${s.name}" is on ${s.datasets.join(', ')} only.`,
        `  complete it (${s.missing.join(', ')} taken now): ${s.repair}`,
        `  or remove it: ${s.alternative}`,
      )
    }
  }
  return lines.length > 0 ? ['', ...lines] : []
}
