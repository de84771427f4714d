// Reads recorded zfs output from fixtures/ (the format is in fixtures/*/README.md).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from './paths.js'

/** A recorded command: what ran, its exit code, and its output. */
export interface Recorded {
  command?: string
  exitCode?: number
  /** Everything after the header: stderr for err-* files, the whole file for plain outputs. */
  body: string
  stdout: string
  stderr: string
}

/**
 * A fixture. Files that start with a command line and `exit: N` are recordings (with `--- stdout/stderr ---`
 * sections for usage texts); any other file is a command's stdout exactly.
 */
export function fixture(path: string): Recorded {
  const text = readFileSync(join(repoRoot, 'fixtures', path), 'utf8')
  const m = /^(zfs[^\n]*)\nexit: (\d+)\n/.exec(text)
  if (!m) return {body: text, stdout: text, stderr: ''}
  const body = text.slice(m[0].length)
  const sections = /^--- stdout \((\d+) bytes\) ---\n([\s\S]*)--- stderr \((\d+) bytes\) ---\n([\s\S]*)$/.exec(body)
  return {
    command: m[1],
    exitCode: Number(m[2]),
    body,
    stdout: sections ? sections[2] : '',
    stderr: sections ? sections[4] : body,
  }
}
