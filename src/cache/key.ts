// The step cache key (SPEC 6): sha256 over a step's definition, the files it runs and lists as inputs (contents and
// modes, never mtimes or the checkout's absolute path), its parent's key and the key scheme; and what went into it,
// so that `why` can name the first input that differs.
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {lstat, readdir, readlink, realpath} from 'node:fs/promises'
import {isAbsolute, join, relative, resolve, sep} from 'node:path'
import type {StepDefinition} from '../manifest/manifest.js'

/** The version of the key scheme: a change to what goes into keys changes it, so old keys never hit. */
export const KEY_SCHEME = 1

/** One thing a key is made of, with its digest ("missing" for a file that is not there). */
export interface KeyInput {
  kind: 'scheme' | 'definition' | 'env' | 'program' | 'input' | 'parent'
  /** The definition's field (`name`, `run`, `mounts`), the env var, the program or input path relative to the manifest's directory, or `parent`. */
  name: string
  digest: string
}

/** A step's key and what went into it. */
export interface StepKey {
  key: string
  inputs: KeyInput[]
}

/** What a key is computed from. */
export interface KeyOptions {
  step: StepDefinition
  /** The manifest's directory: programs and inputs are looked up, and named, relative to it. */
  manifestDir: string
  /** The `inputs:` of the step: paths relative to the manifest's directory, globs (`*`, `?`, `**`) allowed. */
  inputs?: readonly string[]
  /** The key of the step before, or for the first step the base's identity (e.g. its snapshot guid). */
  parent: string
  /** What else the definition includes, as plain data [default: the step's \`mounts:\`]. */
  extra?: unknown
}

/** The digest of a missing file or input. */
export const MISSING = 'missing'

/** Computes a step's key; each file is read once, streamed. */
export async function stepKey(opts: KeyOptions): Promise<StepKey> {
  const {step, manifestDir} = opts
  const inputs: KeyInput[] = [{kind: 'scheme', name: 'scheme', digest: String(KEY_SCHEME)}]
  // Each field and env var apart, so that `why` can name the one that changed.
  inputs.push({kind: 'definition', name: 'name', digest: sha256(JSON.stringify(step.name))})
  inputs.push({kind: 'definition', name: 'run', digest: sha256(JSON.stringify(step.run))})
  for (const [k, v] of Object.entries(step.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    inputs.push({kind: 'env', name: k, digest: sha256(JSON.stringify(v))})
  const mounts = opts.extra ?? step.mounts
  if (mounts !== undefined) inputs.push({kind: 'definition', name: 'mounts', digest: sha256(JSON.stringify(mounts))})
  for (const program of await programsOf(step.run, manifestDir)) {
    inputs.push({kind: 'program', name: program, digest: await fileDigest(join(manifestDir, program))})
  }
  for (const pattern of [...(opts.inputs ?? [])].sort()) {
    const matched = await expand(manifestDir, pattern)
    if (matched.length === 0) inputs.push({kind: 'input', name: pattern, digest: MISSING})
    for (const file of matched)
      inputs.push({kind: 'input', name: file, digest: await fileDigest(join(manifestDir, file))})
  }
  inputs.push({kind: 'parent', name: 'parent', digest: opts.parent})
  return {key: sha256(inputs.map(i => `${i.kind}\0${i.name}\0${i.digest}`).join('\n')), inputs}
}

/** How two keys' inputs differ, first difference first: a changed digest, an input that appeared or went. */
export interface KeyDifference {
  kind: KeyInput['kind']
  name: string
  change: 'changed' | 'appeared' | 'went'
}

/** The differences between the inputs a key was made of (`was`) and those of a new one (`now`), in the key's order. */
export function diffKeyInputs(was: readonly KeyInput[], now: readonly KeyInput[]): KeyDifference[] {
  const id = (i: KeyInput) => `${i.kind}\0${i.name}`
  const before = new Map(was.map(i => [id(i), i]))
  const after = new Map(now.map(i => [id(i), i]))
  const out: KeyDifference[] = []
  for (const i of now) {
    const w = before.get(id(i))
    if (!w || (w.digest === MISSING && i.digest !== MISSING)) out.push({kind: i.kind, name: i.name, change: 'appeared'})
    else if (i.digest === MISSING && w.digest !== MISSING) out.push({kind: i.kind, name: i.name, change: 'went'})
    else if (w.digest !== i.digest) out.push({kind: i.kind, name: i.name, change: 'changed'})
  }
  for (const w of was) if (!after.has(id(w))) out.push({kind: w.kind, name: w.name, change: 'went'})
  return out
}

/** The words of `run` that name a file in the manifest's tree, relative to it, sorted and once each. */
export async function programsOf(run: string | readonly string[], manifestDir: string): Promise<string[]> {
  const words = typeof run === 'string' ? shellWords(run) : [...run]
  const root = await realpath(manifestDir)
  const found = new Set<string>()
  for (const word of words) {
    if (word === '' || word.includes('\0')) continue
    const path = isAbsolute(word) ? word : resolve(manifestDir, word)
    let real: string
    try {
      real = await realpath(path)
      if (!(await lstat(real)).isFile()) continue
    } catch {
      continue
    }
    if (real !== root && real.startsWith(root + sep)) found.add(relative(root, real))
  }
  return [...found].sort()
}

/** The words of a shell command line, as far as quotes go (operators and expansions stay inside words). */
function shellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  let inWord = false
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined
      else word += c
    } else if (c === '"' || c === "'") {
      quote = c
      inWord = true
    } else if (/\s|[;&|()<>]/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

/**
 * The digest of a path's content and mode: a file's bytes (streamed) and its permission bits, a symlink's target,
 * a directory's entries (names, and each entry's digest) recursively; MISSING when there is nothing.
 */
export async function fileDigest(path: string): Promise<string> {
  let st
  try {
    st = await lstat(path)
  } catch {
    return MISSING
  }
  const mode = (st.mode & 0o7777).toString(8)
  if (st.isSymbolicLink()) return sha256(`link\0${await readlink(path)}`)
  if (st.isDirectory()) {
    const names = (await readdir(path)).sort()
    const parts: string[] = []
    for (const n of names) parts.push(`${n}\0${await fileDigest(join(path, n))}`)
    return sha256(`dir\0${mode}\0${parts.join('\n')}`)
  }
  if (!st.isFile()) return sha256(`special\0${mode}\0${st.mode & 0o170000}`)
  const hash = createHash('sha256').update(`file\0${mode}\0`)
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The paths (relative to `dir`, sorted) a pattern names: itself when it has no glob characters and exists. */
export async function expand(dir: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter(p => p !== '' && p !== '.')
  if (!parts.some(p => /[*?[]/.test(p))) {
    return (await fileDigest(join(dir, ...parts))) === MISSING ? [] : [parts.join('/')]
  }
  const found: string[] = []
  await walk(dir, '', parts, found)
  return [...new Set(found)].sort()
}

async function walk(root: string, at: string, parts: string[], found: string[]): Promise<void> {
  if (parts.length === 0) {
    if (at !== '') found.push(at)
    return
  }
  const [part, ...rest] = parts
  const here = join(root, at)
  if (part === '**') {
    await walk(root, at, rest, found)
    for (const entry of await entries(here))
      if (entry.dir) await walk(root, at ? `${at}/${entry.name}` : entry.name, parts, found)
    return
  }
  const re = globToRegExp(part)
  for (const entry of await entries(here)) {
    if (!re.test(entry.name)) continue
    const next = at ? `${at}/${entry.name}` : entry.name
    if (rest.length === 0 || entry.dir) await walk(root, next, rest, found)
  }
}

async function entries(dir: string): Promise<Array<{name: string; dir: boolean}>> {
  try {
    return (await readdir(dir, {withFileTypes: true})).map(e => ({name: e.name, dir: e.isDirectory()}))
  } catch {
    return []
  }
}

/** One path segment's glob (`*`, `?`, `[...]`) as a regular expression; a leading dot is matched only by a dot. */
function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end < 0) re += '\\['
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(glob.startsWith('.') ? `^${re}$` : `^(?!\\.)${re}$`)
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}
