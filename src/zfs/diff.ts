// Parses `zfs diff -F -H` output into typed changes.

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

/** Parses `zfs diff -F -H` lines: change, type, path[, new path], tab-separated. */
export function parseDiff(stdout: string): DiffEntry[] {
  return stdout.split('\n').filter(Boolean).map(line => {
    const [c, type, path, to] = line.split('\t')
    return {change: changes[c] ?? 'modified', type, path: unescapePath(path), ...(to ? {to: unescapePath(to)} : {})}
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
