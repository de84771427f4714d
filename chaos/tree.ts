// Content fingerprints of file trees: a dataset's head, or a snapshot read through a temporary clone
// (zfs-fuse has no .zfs directory), so two builds' checkpoints can be compared file by file.
import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, readlinkSync, lstatSync} from 'node:fs'
import {join} from 'node:path'
import {zfsOk, zfsRetry} from './exec.js'

/** Each path under a tree and a digest of what it is (file content, link target, directory). */
export type Tree = Map<string, string>

/** dcsnap's record directory in the data cache: compared apart, as step statuses (its times differ by nature). */
const RECORD_DIR = '.dcsnap'

/** Reads a tree; the record directory at its top is left out. */
export function readTree(root: string): Tree {
  const tree: Tree = new Map()
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && name === RECORD_DIR) continue
      const path = join(dir, name)
      const r = rel === '' ? name : `${rel}/${name}`
      const st = lstatSync(path)
      if (st.isDirectory()) {
        tree.set(r, 'dir')
        walk(path, r)
      } else if (st.isSymbolicLink()) tree.set(r, `link:${readlinkSync(path)}`)
      else if (st.isFile())
        tree.set(r, `file:${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`)
      else tree.set(r, 'other')
    }
  }
  walk(root, '')
  return tree
}

/** The step statuses of dcsnap's record under a data cache root ('' when there is none). */
export function readRecordStatuses(root: string): string {
  try {
    const record = JSON.parse(readFileSync(join(root, RECORD_DIR, 'record.json'), 'utf8')) as {
      steps?: Array<{name: string; status: string}>
    }
    return (record.steps ?? []).map(s => `${s.name}:${s.status}`).join(',')
  } catch {
    return ''
  }
}

/** How two trees differ, in a few words ('' when they are the same). */
export function treeDiff(expected: Tree, actual: Tree, limit = 4): string {
  const out: string[] = []
  for (const [p, d] of expected) if (actual.get(p) !== d) out.push(actual.has(p) ? `${p} differs` : `${p} missing`)
  for (const p of actual.keys()) if (!expected.has(p)) out.push(`${p} extra`)
  return out.length === 0
    ? ''
    : out.slice(0, limit).join(', ') + (out.length > limit ? ` (+${out.length - limit} more)` : '')
}

let clones = 0

/** Reads a snapshot's tree (and record statuses) through a temporary clone in `pool`, destroyed afterwards. */
export async function readSnapshot(
  pool: string,
  poolMountpoint: string,
  snapshot: string,
): Promise<{tree: Tree; record: string}> {
  const name = `cmp${process.pid}x${++clones}`
  await zfsOk(['clone', snapshot, `${pool}/${name}`])
  try {
    const dir = join(poolMountpoint, name)
    return {tree: readTree(dir), record: readRecordStatuses(dir)}
  } finally {
    await zfsRetry(['destroy', '-f', `${pool}/${name}`])
  }
}
