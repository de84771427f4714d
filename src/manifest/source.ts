// Reads a manifest's YAML keeping positions, so every error can point at file:line:col.
import {isUtf8} from 'node:buffer'
import {open} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from 'yaml'
import {UsageError} from '../errors.js'

/** The largest manifest dcsnap reads, in bytes (YAML parsing time grows with the text; real manifests are a few KiB). */
export const MAX_MANIFEST_BYTES = 256 * 1024
/** The most values a manifest may hold once its aliases are expanded (string lengths count): bounds alias bombs. */
export const MAX_EXPANDED_SIZE = 4_000_000
/** The deepest nesting of mappings and sequences a manifest may have. */
export const MAX_DEPTH = 64

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

/** A manifest error: `file:line:col: what is wrong`, exit 2 (code MANIFEST_INVALID unless given). */
export class ManifestError extends UsageError {
  constructor(
    file: string,
    line: number,
    col: number,
    what: string,
    hint = 'Fix the manifest; nothing was changed on any dataset.',
    code = 'MANIFEST_INVALID',
  ) {
    super(code, `${file}:${line}:${col}: ${what}`, hint, {file, line, col})
  }
}

/** Reads and parses a manifest file; YAML syntax errors become ManifestErrors. */
export async function readManifestSource(file: string): Promise<ManifestSource> {
  const path = resolve(file)
  let bytes: Buffer
  try {
    bytes = await readAtMost(path, MAX_MANIFEST_BYTES + 1)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(
      'MANIFEST_NOT_FOUND',
      `cannot read manifest ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? (error as Error).message)}`,
      'Pass -m FILE, run in the directory of dcsnap.yaml, or name datasets with -d.',
    )
  }
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ManifestError(
      file,
      1,
      1,
      `the manifest is over ${MAX_MANIFEST_BYTES / 1024} KiB, the most dcsnap reads`,
      'Is -m the right file? Shorten the manifest (move long commands into scripts).',
    )
  }
  const text = bytes.toString('utf8')
  if (!isUtf8(bytes)) {
    const pos = lineColOf(text, Math.max(0, text.indexOf('\uFFFD')))
    throw new ManifestError(file, pos.line, pos.col, 'the manifest is not valid UTF-8 text')
  }
  return parseManifestSource(text, path, file)
}

/** Parses manifest text that came from `path` (`shown` names it in messages). */
export function parseManifestSource(text: string, path: string, shown = path): ManifestSource {
  const file = shown
  const lineCounter = new LineCounter()
  const fail = (offset: number, what: string): never => {
    const pos = lineCounter.linePos(offset)
    throw new ManifestError(file, pos.line, pos.col, what)
  }
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES)
    throw new ManifestError(file, 1, 1, `the manifest is over ${MAX_MANIFEST_BYTES / 1024} KiB, the most dcsnap reads`)
  let doc: Document
  try {
    // Keys are checked for uniqueness below, in linear time (the yaml package's check is quadratic).
    doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: false})
  } catch (error) {
    return fail(0, `cannot parse the manifest: ${firstLine((error as Error).message)}`)
  }
  const first = doc.errors[0]
  if (first) fail(first.pos[0], firstLine(first.message))
  const data = toPlain(doc, fail)
  const position = (keys: ReadonlyArray<string | number>) => {
    for (let n = keys.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
    }
    return {line: 1, col: 1}
  }
  const keyPosition = (keys: ReadonlyArray<string | number>, key: string) => {
    const map = keys.length === 0 ? doc.contents : doc.getIn(keys, true)
    const pair = isMap(map) ? map.items.find(p => isScalar(p.key) && String(p.key.value) === key) : undefined
    return isNode(pair?.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]) : position(keys)
  }
  return {path, dir: dirname(path), text, doc, data, position, keyPosition}
}

/**
 * The document as plain data, in one linear pass (the yaml package resolves each alias by scanning the whole
 * document): no NUL characters, scalar keys only, unique keys, aliases to anchors set before them and not around them,
 * at most MAX_DEPTH levels, at most MAX_EXPANDED_SIZE values once aliases are expanded.
 */
function toPlain(doc: Document, fail: (offset: number, what: string) => never): unknown {
  const anchors = new Map<string, Node>()
  const values = new Map<Node, unknown>()
  const sizes = new Map<Node, number>()
  const open = new Set<Node>()
  const at = (node: {range?: unknown}) => (node.range as [number] | undefined)?.[0] ?? 0
  const convert = (node: unknown, depth: number): {value: unknown; size: number} => {
    if (node === null || node === undefined) return {value: null, size: 1}
    if (isAlias(node)) {
      const target = anchors.get(node.source)
      if (!target) return fail(at(node), `alias *${node.source} has no anchor &${node.source} before it`)
      if (open.has(target))
        return fail(at(node), `alias *${node.source} is inside the value of its own anchor &${node.source}`)
      return {value: values.get(target), size: sizes.get(target)!}
    }
    if (!isNode(node)) return fail(0, 'cannot read the manifest: unexpected YAML structure')
    if (depth > MAX_DEPTH) fail(at(node), `the manifest nests deeper than ${MAX_DEPTH} levels`)
    if (node.anchor) anchors.set(node.anchor, node)
    open.add(node)
    let value: unknown
    let size = 1
    const add = (n: number) => {
      size += n
      if (size > MAX_EXPANDED_SIZE)
        fail(
          at(node),
          `this value holds over ${MAX_EXPANDED_SIZE.toLocaleString('en')} values or characters once its aliases are expanded (an alias bomb?)`,
        )
    }
    if (isScalar(node)) {
      value = node.value
      if (typeof value === 'string') {
        if (value.includes('\0')) fail(at(node), 'a NUL character cannot be in a manifest')
        add(value.length)
      }
    } else if (isMap(node)) {
      const obj: Record<string, unknown> = {}
      for (const pair of node.items) {
        const key = pair.key
        if (isAlias(key)) fail(at(key), 'an alias cannot be a key')
        if (key !== null && !isScalar(key))
          fail(at(key as {range?: unknown}), 'a key must be a plain name, not a mapping or a list')
        const name = key === null || key.value === null ? '' : scalarText(key.value)
        if (name.includes('\0')) fail(at(key!), 'a NUL character cannot be in a manifest')
        if (Object.hasOwn(obj, name)) fail(key ? at(key) : at(node), `duplicate key "${name}"`)
        const v = convert(pair.value, depth + 1)
        add(v.size)
        Object.defineProperty(obj, name, {value: v.value, enumerable: true, writable: true, configurable: true})
      }
      value = obj
    } else if (isSeq(node)) {
      const arr: unknown[] = []
      for (const item of node.items) {
        if (isPair(item)) fail(at(item.key as {range?: unknown}), 'a key inside a list item needs a mapping')
        const v = convert(item, depth + 1)
        add(v.size)
        arr.push(v.value)
      }
      value = arr
    } else {
      fail(at(node), 'cannot read this YAML value')
    }
    open.delete(node)
    values.set(node, value)
    sizes.set(node, size)
    return {value, size}
  }
  return convert(doc.contents, 0).value
}

async function readAtMost(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(max)
    let n = 0
    while (n < max) {
      const {bytesRead} = await fh.read(buf, n, max - n, null)
      if (bytesRead === 0) break
      n += bytesRead
    }
    return buf.subarray(0, n)
  } finally {
    await fh.close()
  }
}

/**
 * A scalar's value as String() writes it. YAML's scalars are strings, numbers, booleans and null, or with a tag a
 * timestamp (Date) or bytes (!!binary, a Buffer); only a custom tag could make anything else, written "[object Type]".
 */
function scalarText(value: unknown): string {
  const plain =
    value === null || value === undefined || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)
  return plain || value instanceof Date || value instanceof Uint8Array
    ? String(value)
    : Object.prototype.toString.call(value)
}

function lineColOf(text: string, offset: number): {line: number; col: number} {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return {line, col: offset - before.lastIndexOf('\n')}
}

function firstLine(s: string): string {
  return s.split('\n')[0]
}
