// Reads recorded zfs output from fixtures/: leading `# ` lines say where it came from, a last `exit: N` line its exit code.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from './paths.js'

/** A fixture's body, its provenance lines and the recorded exit code. */
export function fixture(path: string): {body: string; meta: string[]; exitCode?: number} {
  const lines = readFileSync(join(repoRoot, 'fixtures', path), 'utf8').split('\n')
  const meta: string[] = []
  while (lines[0]?.startsWith('# ')) meta.push(lines.shift()!)
  let exitCode: number | undefined
  const last = lines.findLastIndex(l => l !== '')
  const m = /^exit: (\d+)$/.exec(lines[last] ?? '')
  if (m) {
    exitCode = Number(m[1])
    lines.splice(last, 1)
  }
  return {body: lines.join('\n'), meta, exitCode}
}
