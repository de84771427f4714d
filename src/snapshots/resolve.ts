// Turns what a user typed (a step, `dc-B-S`, `dc-B`, a manual name, any of them as `LINE:NAME`) into the snapshot it names.
import {UsageError} from '../errors.js'
import {assertLineName, HEAD_LINE, splitLineTarget} from '../lines/names.js'
import type {Build, Inventory, SnapshotSet} from './inventory.js'

/** The build `--build` names (on the head's line or, failing that, the kept line that holds its end), or the head's latest one. */
export function selectBuild(inventory: Inventory, id?: string): Build {
  const build = id === undefined ? inventory.latestBuild() : inventory.lineOfBuild(id)?.build(id)
  if (build) return build
  const known = inventory.allBuildIds()
  if (id === undefined) {
    throw new UsageError(
      'NO_BUILDS',
      `no dcsnap builds on ${inventory.datasets.join(', ')}`,
      'Run `dcsnap build` first, or name a snapshot exactly (see `dcsnap list`).',
    )
  }
  throw new UsageError(
    'NO_SUCH_BUILD',
    `no build "${id}" on ${inventory.datasets.join(', ')}`,
    known.length > 0 ? `Known builds: ${known.join(', ')}.` : 'There are no builds yet: run `dcsnap build` first.',
  )
}

/**
 * Finds the snapshot a target names: an exact snapshot name first (on the head's line, else on the one kept line
 * that holds it), else a step of the selected build. `LINE:NAME` or `line` pins the line.
 */
export function resolveTarget(inventory: Inventory, target: string, buildId?: string, line?: string): SnapshotSet {
  let {line: pinned, name} = splitLineTarget(target.replace(/^@/, ''))
  if (pinned !== undefined && line === undefined && inventory.find(target.replace(/^@/, '')))
    [pinned, name] = [undefined, target.replace(/^@/, '')]
  const wanted = line ?? pinned
  if (wanted !== undefined) assertLineName(wanted)
  const views =
    wanted === undefined ? inventory.everywhere() : [inventory.view(wanted)].filter((v): v is Inventory => Boolean(v))
  if (wanted !== undefined && views.length === 0) {
    throw new UsageError(
      'NO_SUCH_LINE',
      `no line "${wanted}" on ${inventory.heads.join(', ')}`,
      `Lines: ${inventory
        .everywhere()
        .map(v => v.line)
        .join(', ')} (\`dcsnap list --all\` shows them).`,
    )
  }
  const matches = (s: SnapshotSet | undefined) =>
    s !== undefined && (buildId === undefined || s.build === undefined || s.build === buildId)
  const exact = views.map(v => v.find(name)).filter(matches) as SnapshotSet[]
  // A snapshot a kept line shares with the head (its lineage) is the head's.
  const own = exact.filter(
    s =>
      s.line === HEAD_LINE || !inventory.find(s.name) || inventory.find(s.name)!.members[0].name !== s.members[0].name,
  )
  const distinct = [...new Map(own.map(s => [s.members[0].name, s])).values()]
  if (distinct.length === 1) return distinct[0]
  if (distinct.length > 1) {
    throw new UsageError(
      'AMBIGUOUS_TARGET',
      `"${name}" is on several lines: ${distinct.map(s => `${s.line}:${s.name}`).join(', ')}`,
      `Name one as LINE:NAME, e.g. \`${distinct[0].line}:${distinct[0].name}\`.`,
    )
  }
  const view =
    wanted !== undefined ? views[0] : buildId !== undefined ? (inventory.lineOfBuild(buildId) ?? inventory) : inventory
  const build = buildId === undefined ? view.latestBuild() : view.build(buildId)
  const step = build?.checkpoints.find(c => c.step === name) ?? (build ? reusedStep(inventory, build, name) : undefined)
  if (step) return step
  const where = build ? ` in build ${build.id}` : ''
  throw new UsageError(
    'NO_SUCH_SNAPSHOT',
    `no snapshot or step "${target}"${where} on ${view.datasets.join(', ')}`,
    'Run `dcsnap list --all` to see the checkpoints and manual snapshots, on the head and on kept lines.',
  )
}

/** For a step a build reused from the cache (SPEC 6): the checkpoint it came from, one its baseline names in `dcsnap:from` (by guid). */
function reusedStep(inventory: Inventory, build: Build, step: string): SnapshotSet | undefined {
  // A resume at a reused step leaves the build's baseline on a kept line: it is read wherever it is.
  const baseline =
    build.baseline ??
    inventory
      .everywhere()
      .map(v => v.build(build.id)?.baseline)
      .find(b => b !== undefined)
  const guids = new Set((baseline?.user['dcsnap:from'] ?? '').split(' ').filter(Boolean))
  if (guids.size === 0) return undefined
  for (const v of inventory.everywhere()) {
    const found = v.snapshots.find(
      s => s.step === step && s.members.some(m => m.guid !== undefined && guids.has(m.guid)),
    )
    if (found) return found
  }
  return undefined
}
