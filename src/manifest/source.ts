// Reads a manifest's YAML keeping positions, so every error can point at file:line:col.
import {readFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {isMap, isNode, isScalar, LineCounter, parseDocument, type Document} from 'yaml'
import {UsageError} from '../errors.js'

/** A manifest file as parsed YAML, with a way to find where a value stands. */
export interface ManifestSource {
  path: string
  dir: string
  text: string
  doc: Document
  data: unknown
  /** `line:col` (1-based) of the value at a path of keys and indexes, or of the nearest parent that exists. */
  position(path: ReadonlyArray<string | number>): {line: number; col: number}
  /** `line:col` of a key (not its value) in the mapping at `path`, or of the mapping when the key is absent. */
  keyPosition(path: ReadonlyArray<string | number>, key: string): {line: number; col: number}
}

/** A manifest error: `file:line:col: what is wrong`, exit 2. */
export class ManifestError extends UsageError {
  constructor(file: string, line: number, col: number, what: string, hint = 'Fix the manifest; nothing was changed on any dataset.') {
    super('MANIFEST_INVALID', `${file}:${line}:${col}: ${what}`, hint, {file, line, col})
  }
}

/** Reads and parses a manifest file; YAML syntax errors become ManifestErrors. */
export async function readManifestSource(file: string): Promise<ManifestSource> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError('MANIFEST_NOT_FOUND', `cannot read manifest ${file}: ${code === 'ENOENT' ? 'no such file' : code}`,
      'Pass -m FILE, run in the directory of dcsnap.yaml, or name datasets with -d.')
  }
  return parseManifestSource(text, path, file)
}

/** Parses manifest text that came from `path` (`shown` names it in messages). */
export function parseManifestSource(text: string, path: string, shown = path): ManifestSource {
  const file = shown
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const first = doc.errors[0]
  if (first) {
    const pos = lineCounter.linePos(first.pos[0])
    throw new ManifestError(file, pos.line, pos.col, first.message.split('\n')[0])
  }
  const position = (keys: ReadonlyArray<string | number>) => {
    for (let n = keys.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
    }
    return {line: 1, col: 1}
  }
  const keyPosition = (keys: ReadonlyArray<string | number>, key: string) => {
    const map = keys.length === 0 ? doc.contents : doc.getIn(keys, true)
    const pair = isMap(map) ? map.items.find(p => isScalar(p.key) && p.key.value === key) : undefined
    return isNode(pair?.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]) : position(keys)
  }
  return {path, dir: dirname(path), text, doc, data: doc.toJS(), position, keyPosition}
}
