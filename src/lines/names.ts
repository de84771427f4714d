// Where kept lines live: `<head>.dclines/k<N>` beside each head dataset, and how a user names a checkpoint on one.
import {UsageError} from '../errors.js'

/** The prefix of a kept line's name: `k1`, `k2`, ... */
export const LINE_PREFIX = 'k'

/** The name of the head's own line in listings and in `LINE:NAME` targets. */
export const HEAD_LINE = 'head'

/**
 * The name, in cache hits and messages, of the line of the replica the heads were cloned from (`resume --from`): what
 * it received, later pushes included. Never a kept line: nothing but a line move's clone reads from it.
 */
export const REPLICA_LINE = 'replica'

/** The dataset that holds a head's kept lines (never mounted): `pool/proto` -> `pool/proto.dclines`. */
export function linesContainer(head: string): string {
  return `${head}.dclines`
}

/** The dataset of kept line `line` of `head`. */
export function lineDataset(head: string, line: string): string {
  return `${linesContainer(head)}/${line}`
}

/** The temporary dataset a line move clones into before it takes the head's name. */
export function moveClone(head: string): string {
  return `${linesContainer(head)}/moving`
}

/** The line a dataset is, if it is a kept line of `head` (`k3`), else undefined. */
export function lineOf(head: string, dataset: string): string | undefined {
  const prefix = `${linesContainer(head)}/`
  if (!dataset.startsWith(prefix)) return undefined
  const rest = dataset.slice(prefix.length)
  return /^k\d+$/.test(rest) ? rest : undefined
}

/** The line number of a kept line's dataset (`pool/proto.dclines/k3` -> 3), or -1 for any other dataset. */
export function lineNumberOfDataset(dataset: string): number {
  const m = /\.dclines\/k(\d+)$/.exec(dataset)
  return m ? Number(m[1]) : -1
}

/** The name of the snapshot that keeps the head's changes when it moves to line `line` (`hand-k3`). */
export function handSnapshotName(line: string): string {
  return `hand-${line}`
}

/** The line number a hand snapshot name carries (`hand-k3` -> 3), or undefined for any other name. */
export function handLineNumber(name: string): number | undefined {
  const m = /^hand-k(\d+)$/.exec(name)
  return m ? Number(m[1]) : undefined
}

/** The number of a line name (`k3` -> 3). */
export function lineNumber(line: string): number {
  return Number(line.slice(LINE_PREFIX.length))
}

/** Splits `LINE:NAME` (`k2:dc-1-trim`, `head:dc-1-trim`) from a plain target; a build id may hold `:`, so only `head` and `kN` count as lines. */
export function splitLineTarget(target: string): {line?: string; name: string} {
  const m = /^(head|k\d+):(.+)$/.exec(target)
  return m ? {line: m[1], name: m[2]} : {name: target}
}

/** Checks a `--line` value. */
export function assertLineName(line: string): void {
  if (line !== HEAD_LINE && !/^k\d+$/.test(line)) {
    throw new UsageError(
      'BAD_LINE',
      `"${line}" is not a line name`,
      'Lines are named head, k1, k2, ... (`dcsnap list` shows them).',
    )
  }
}
