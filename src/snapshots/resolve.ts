// Turns what a user typed (a step, `dc-B-S`, `dc-B`, a manual name) into the snapshot it names.
import {UsageError} from '../errors.js'
import type {Build, Inventory, SnapshotSet} from './inventory.js'

/** The build `--build` names, or the latest one; throws when there is none. */
export function selectBuild(inventory: Inventory, id?: string): Build {
  const build = id === undefined ? inventory.latestBuild() : inventory.build(id)
  if (build) return build
  const known = inventory.builds().map(b => b.id)
  if (id === undefined) {
    throw new UsageError('NO_BUILDS', `no dcsnap builds on ${inventory.datasets.join(', ')}`, 'Run `dcsnap build` first, or name a snapshot exactly (see `dcsnap list`).')
  }
  throw new UsageError('NO_SUCH_BUILD', `no build "${id}" on ${inventory.datasets.join(', ')}`,
    known.length > 0 ? `Known builds: ${known.join(', ')}.` : 'There are no builds yet: run `dcsnap build` first.')
}

/** Finds the snapshot a target names: an exact snapshot name first, else a step of the selected build. */
export function resolveTarget(inventory: Inventory, target: string, buildId?: string): SnapshotSet {
  const exact = inventory.find(target.replace(/^@/, ''))
  if (exact && (buildId === undefined || exact.build === undefined || exact.build === buildId)) return exact
  const build = tryBuild(inventory, buildId)
  const step = build?.checkpoints.find(c => c.step === target)
  if (step) return step
  const where = build ? ` in build ${build.id}` : ''
  throw new UsageError('NO_SUCH_SNAPSHOT', `no snapshot or step "${target}"${where} on ${inventory.datasets.join(', ')}`,
    'Run `dcsnap list --all` to see the checkpoints and manual snapshots.')
}

function tryBuild(inventory: Inventory, id?: string): Build | undefined {
  return id === undefined ? inventory.latestBuild() : inventory.build(id)
}
