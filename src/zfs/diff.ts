// Parses `zfs diff -F -H` output into typed changes; a line of another form is an 'unsupported-output' error.
import {zfsUnsupportedOutput} from './errors.js'

/** One change reported by `zfs diff -FH`. */
export interface DiffEntry {
  change: 'added' | 'removed' | 'modified' | 'renamed'
  /** zfs's file type letter: F file, / directory, @ symlink, ... */
  type: string
  path: string
  /** The new path, for renames. */
  to?: string
}

const changes: Record<string, DiffEntry['change']> = {'+': 'added', '-': 'removed', M: 'modified', R: 'renamed'}

/** Parses `zfs diff -F -H` lines: change, type, path[, new path for R], tab-separated; `argv` names the command in errors. */
export function parseDiff(stdout: string, argv: readonly string[] = []): DiffEntry[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const cells = line.split('\t')
      const [c, type, path, to] = cells
      const change = Object.hasOwn(changes, c) ? changes[c] : undefined
      if (!change || cells.length !== (change === 'renamed' ? 4 : 3) || type.length !== 1 || !path) {
        throw zfsUnsupportedOutput(
          argv,
          'a line is not change, file type and path (and the new path of a rename) separated by tabs',
          line,
        )
      }
      return {change, type, path: unescapePath(path), ...(to ? {to: unescapePath(to)} : {})}
    })
}

/** `zfs diff` writes spaces and non-printable bytes as a backslash and four octal digits (`\\0040`); the rest is ASCII. */
export function unescapePath(p: string): string {
  const bytes: number[] = []
  for (let i = 0; i < p.length; i++) {
    const octal = /^\\([0-7]{4})/.exec(p.slice(i, i + 5))
    if (octal) {
      bytes.push(parseInt(octal[1], 8))
      i += 4
    } else {
      bytes.push(p.charCodeAt(i))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
