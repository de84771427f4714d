// What is on the pool after a trial: snapshots per dataset, complete checkpoints, and their trees against a clean build's.
import {zfsOk} from './exec.js'
import {readRecordStatuses, readSnapshot, readTree, treeDiff, type Tree} from './tree.js'

/** Snapshot names (after @) of each dataset under `root`, oldest first. */
export async function snapshotsUnder(root: string): Promise<Map<string, string[]>> {
  const out = await zfsOk(['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'createtxg', '-r', root])
  const map = new Map<string, string[]>()
  for (const line of out.split('\n').filter(Boolean)) {
    const [ds, snap] = line.split('@')
    map.set(ds, [...(map.get(ds) ?? []), snap])
  }
  return map
}

/** A checkpoint's name taken apart: build id and step ('' for the baseline). */
export function parseCheckpoint(name: string): {build: string; step: string} | undefined {
  const m = /^dc-(\d+)(?:-(.+))?$/.exec(name)
  return m ? {build: m[1], step: m[2] ?? ''} : undefined
}

/** Checkpoint names every one of `datasets` has (complete ones), in the first dataset's order. */
export function completeCheckpoints(snaps: Map<string, string[]>, datasets: string[]): string[] {
  const [first, ...rest] = datasets
  return (snaps.get(first) ?? []).filter(n => parseCheckpoint(n) && rest.every(d => (snaps.get(d) ?? []).includes(n)))
}

/** Whether build `id` has its baseline and a checkpoint of every step on every dataset. */
export function buildComplete(snaps: Map<string, string[]>, datasets: string[], id: string, steps: string[]): boolean {
  const names = completeCheckpoints(snaps, datasets)
  return [`dc-${id}`, ...steps.map(s => `dc-${id}-${s}`)].every(n => names.includes(n))
}

/** The highest build id with any snapshot on the first dataset (undefined when there is none). */
export function latestBuild(snaps: Map<string, string[]>, datasets: string[]): string | undefined {
  const ids = datasets
    .flatMap(d => snaps.get(d) ?? [])
    .map(n => parseCheckpoint(n)?.build)
    .filter((b): b is string => b !== undefined)
    .map(Number)
  return ids.length === 0 ? undefined : String(Math.max(...ids))
}

/** The trees of a proto area and a data cache, and the data cache's record statuses. */
export interface State {
  proto: Tree
  cache: Tree
  record: string
}

/** The live state under two mountpoints. */
export function headState(protoDir: string, cacheDir: string): State {
  return {proto: readTree(protoDir), cache: readTree(cacheDir), record: readRecordStatuses(cacheDir)}
}

/** A checkpoint's state, read through clones. */
export async function snapshotState(
  pool: string,
  poolMountpoint: string,
  proto: string,
  cache: string,
  name: string,
): Promise<State> {
  const p = await readSnapshot(pool, poolMountpoint, `${proto}@${name}`)
  const c = await readSnapshot(pool, poolMountpoint, `${cache}@${name}`)
  return {proto: p.tree, cache: c.tree, record: c.record}
}

/** How a state differs from the expected one ('' when it does not). */
export function stateDiff(expected: State, actual: State): string {
  const parts = [
    ['proto', treeDiff(expected.proto, actual.proto)],
    ['cache', treeDiff(expected.cache, actual.cache)],
    [
      'record',
      expected.record === actual.record ? '' : `${actual.record || '(none)'} instead of ${expected.record || '(none)'}`,
    ],
  ].filter(([, d]) => d !== '')
  return parts.map(([k, d]) => `${k}: ${d}`).join('; ')
}
