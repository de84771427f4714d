// Makes checkpoints the way dcsnap names them, straight through zfs, to set up a test's starting state.
import type {TestPool} from './pool.js'
import {shOk, zfsOk} from './zfs-host.js'

/** Writes `content` to `<proto mountpoint>/<file>`. */
export async function writeProto(pool: TestPool, file: string, content: string): Promise<void> {
  await shOk(`printf '%s' '${content}' > ${pool.mountpoint}/proto/${file}`)
}

/** Reads `<proto mountpoint>/<file>` ('' when it does not exist). */
export async function readProto(pool: TestPool, file: string): Promise<string> {
  return shOk(`cat ${pool.mountpoint}/proto/${file} 2>/dev/null || true`)
}

/** Snapshots both datasets as `name`, with dcsnap's properties when it is a checkpoint name. */
export async function snapBoth(pool: TestPool, name: string, props: Record<string, string> = {}): Promise<void> {
  const opts = Object.entries(props).flatMap(([k, v]) => ['-o', `${k}=${v}`])
  for (const ds of [pool.proto, pool.cache]) await zfsOk('snapshot', ...opts, `${ds}@${name}`)
}

/** A build `id` with a baseline and checkpoints for `steps`, writing `<step>.txt` into the proto area before each. */
export async function fakeBuild(pool: TestPool, id: string, steps: string[]): Promise<void> {
  await snapBoth(pool, `dc-${id}`, {'dcsnap:build': id, 'dcsnap:index': '0'})
  for (const [i, step] of steps.entries()) {
    await writeProto(pool, `${step}.txt`, `${id}:${step}`)
    await snapBoth(pool, `dc-${id}-${step}`, {'dcsnap:build': id, 'dcsnap:step': step, 'dcsnap:index': String(i + 1)})
  }
}

/** The snapshot names (after @) of a dataset, oldest first. */
export async function snapshotsOf(dataset: string): Promise<string[]> {
  const out = await zfsOk('list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'createtxg', '-r', dataset)
  return out
    .split('\n')
    .filter(Boolean)
    .filter(n => n.startsWith(`${dataset}@`))
    .map(n => n.slice(dataset.length + 1))
}
