// A manifest fuzzer: mutated manifests through `dcsnap build -m FILE --json`, checking that bad input is refused
// cleanly (exit 2 at file:line:col, no dcsnap bug, no stack trace) and that nothing changes on the datasets.
// Standalone: node dist/chaos/fuzz-manifests.js [--count 100] [--seed 1] [--proto POOL/DS --cache POOL/DS] [--bin path/to/bin/run.js]
import {execFile} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse, stringify} from 'yaml'

/** Datasets of a test pool to build on (real zfs, calls recorded); without one a fake zfs records and fails every call. */
export interface FuzzPool {
  proto: string
  cache?: string
}

/** What a fuzzing round found. */
export interface FuzzResult {
  trials: number
  /** One line per broken rule: the trial, its mutation, what went wrong, and where its manifest was kept. */
  violations: string[]
}

/** One mutated manifest. */
interface Case {
  what: string
  content: string | Buffer
  /** Whether the mutation surely makes the manifest invalid (then exit 2 is required). */
  invalid: boolean
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** zfs subcommands that change a pool. */
const CHANGING = new Set([
  'snapshot',
  'destroy',
  'rollback',
  'rename',
  'set',
  'inherit',
  'create',
  'clone',
  'promote',
  'hold',
  'release',
  'mount',
  'umount',
  'unmount',
  'receive',
  'recv',
  'allow',
  'unallow',
])

/** Generates `count` mutated manifests from the seed (deterministic) and runs each through `dcsnap build`, two at a time. */
export async function fuzzManifests(opts: {
  count: number
  seed: number
  pool?: FuzzPool
  workers?: number
  bin?: string
}): Promise<FuzzResult> {
  const root = mkdtempSync(join(tmpdir(), 'dcsnap-fuzz-'))
  const zfs = join(root, 'zfs')
  const real = opts.pool ? process.env.DCSNAP_ZFS?.trim() || 'zfs' : undefined
  writeFileSync(
    zfs,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> "$DCSNAP_COUNT_FILE"\n${
      real ? `exec ${real} "$@"\n` : 'echo "fuzz zfs: refusing every call" >&2\nexit 1\n'
    }`,
  )
  chmodSync(zfs, 0o755)
  const rand = mulberry32(opts.seed)
  const cases = Array.from({length: opts.count}, () => mutate(rand, opts.pool))
  const violations: string[] = []
  let next = 0
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const found = await trial(root, zfs, i, cases[i], opts.bin ?? join(repoRoot, 'bin', 'run.js'))
      violations.push(...found)
    }
  }
  await Promise.all(Array.from({length: opts.workers ?? 2}, worker))
  if (violations.length === 0) rmSync(root, {recursive: true, force: true})
  return {trials: cases.length, violations}
}

async function trial(root: string, zfs: string, i: number, c: Case, bin: string): Promise<string[]> {
  const dir = join(root, `trial-${i}`)
  mkdirSync(dir)
  const file = join(dir, 'dcsnap.yaml')
  const calls = join(dir, 'zfs-calls')
  writeFileSync(file, c.content)
  writeFileSync(calls, '')
  const r = await new Promise<{
    code: number | null
    signal: string | null
    stdout: string
    stderr: string
    timedOut: boolean
  }>(done => {
    const child = execFile(
      process.execPath,
      [bin, 'build', '-m', file, '--json'],
      {
        cwd: dir,
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          NO_COLOR: '1',
          DCSNAP_ZFS: zfs,
          DCSNAP_COUNT_FILE: calls,
          XDG_CACHE_HOME: join(root, 'cache'),
          XDG_STATE_HOME: join(root, 'state'),
          DCSNAP_LOCK_DIR: join(root, 'locks'),
        },
      },
      (error, stdout, stderr) => {
        const e = error as (Error & {code?: number | string; signal?: string; killed?: boolean}) | null
        done({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut: Boolean(e?.killed),
        })
      },
    )
    child.stdin?.end()
  })
  const problems: string[] = []
  let json: {error?: {code?: string; message?: string; exitCode?: number}} | undefined
  try {
    json = JSON.parse(r.stdout) as typeof json
  } catch {
    problems.push(`stdout is not one JSON document: ${JSON.stringify(r.stdout.slice(0, 200))}`)
  }
  const error = json?.error
  if (r.timedOut || r.signal)
    problems.push(`did not finish (${r.timedOut ? 'timed out after 60 s' : `killed by ${r.signal}`})`)
  else if (![0, 1, 2, 3, 4, 127].includes(r.code ?? -1)) problems.push(`exit ${r.code}, not a SPEC exit code`)
  if (error?.code === 'INTERNAL' || /dcsnap bug/.test(r.stdout + r.stderr))
    problems.push(`a dcsnap bug: ${error?.message ?? r.stderr.slice(0, 200)}`)
  if (/^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(r.stderr))
    problems.push(`a stack trace on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`)
  if (c.invalid && r.code !== 2)
    problems.push(`an invalid manifest gave exit ${r.code} (${error?.code ?? 'no error'}), not 2`)
  if (r.code === 2) {
    if (!error?.code) problems.push('exit 2 without an error code')
    if (error?.exitCode !== 2) problems.push(`exit 2 but the JSON error says exitCode ${error?.exitCode}`)
    if (!error?.message?.startsWith(`${file}:`) || !/^[^\n]*:\d+:\d+: /.test(error.message.slice(file.length))) {
      problems.push(`exit 2 without file:line:col: ${error?.code}: ${error?.message}`)
    }
  }
  if (r.code === 2 || c.invalid) {
    const changed = readFileSync(calls, 'utf8')
      .split('\n')
      .filter(l => CHANGING.has(l.split(' ')[0]))
    if (changed.length > 0) problems.push(`zfs was asked to change the pool: ${changed.join('; ')}`)
  }
  if (problems.length === 0) {
    rmSync(dir, {recursive: true, force: true})
    return []
  }
  return problems.map(p => `trial ${i} (${c.what}): ${p} [${file}]`)
}

// ---- mutations ----

type Rand = () => number
type Json = null | boolean | number | string | Json[] | {[k: string]: Json}

const BASES = ['fixtures/manifests/livecd.yaml', 'examples/livecd/dcsnap.yaml', 'examples/quickstart/dcsnap.yaml']
const BAD_DATASETS = [
  'a//b',
  'tank/./a',
  'tank/../a',
  'tank/a/',
  'tank/a ',
  'tank/a b',
  'tank/é',
  '/tank/a',
  '1tank/a',
  'tank/a@s',
  'tank/a#b',
  `tank/${'x'.repeat(300)}`,
  'tank/\u202eevil',
  '',
  '..',
]
const BAD_TIMEOUTS: Json[] = ['600h', '0s', 0, -5, 2073601, '1d', '90', Number.POSITIVE_INFINITY, '999999999999h']
const ODD_STRINGS = [
  '',
  ' ',
  '\t',
  'x'.repeat(300),
  'y'.repeat(70_000),
  'ünïcödé',
  '日本語',
  '🦄',
  '\u202e',
  'a\u0000b',
  '../../etc/passwd',
  '/etc',
  'tank/../x',
  'a//b',
  'tank/a ',
  '-rf',
  '$(echo pwned)',
  '`echo pwned`',
  '%s%n',
  '\n\n',
  'dc-1-x',
  '@',
  'tank@snap',
  '1e400',
  'null',
  'true',
  '0x10',
  '.inf',
  '~',
  '*alias',
  '&anchor',
  '!!binary',
  '<<',
  '? x',
  '- x',
  '{a: 1}',
  '[1, 2]',
  '#comment',
  '"',
  "'",
  '\\',
  'a:b',
  'con',
  '....',
  '.',
  '..',
]

function oddValue(rand: Rand): Json {
  const k = Math.floor(rand() * 9)
  if (k < 4) return pick(rand, ODD_STRINGS)
  if (k === 4) return pick(rand, [0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, 1e308, -0, Number.NaN, Number.POSITIVE_INFINITY])
  if (k === 5) return pick(rand, [true, false, null])
  if (k === 6) return pick<Json>(rand, [[], [1, 2], ['a', ['b']], nest(rand, 'array', 80)])
  if (k === 7) return pick<Json>(rand, [{}, {a: 1}, {name: 'x', run: 'true'}, nest(rand, 'object', 80)])
  return Array.from({length: 1 + Math.floor(rand() * 3)}, () => pick(rand, ODD_STRINGS)).join('')
}

function nest(rand: Rand, kind: 'array' | 'object', depth: number): Json {
  let v: Json = 'deep'
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : {k: v}
  return v
}

/** One mutated manifest, from a base of the repository's manifests. */
function mutate(rand: Rand, pool?: FuzzPool): Case {
  const baseText = readFileSync(join(repoRoot, pick(rand, BASES)), 'utf8')
  const base = parse(baseText) as {[k: string]: Json}
  // The base itself must be valid where it runs: the pool's datasets, logs beside the manifest.
  if (pool) base.datasets = {proto: pool.proto, ...(pool.cache ? {cache: pool.cache} : {})}
  base.logs = 'logs'
  const text = stringify(base)
  const data = structuredClone(base)
  const steps = data.steps as Array<{[k: string]: Json}>
  const step = () => steps[Math.floor(rand() * steps.length)]
  const kind = Math.floor(rand() * 24)
  switch (kind) {
    case 0: {
      const v = pick(rand, BAD_DATASETS)
      ;(data.datasets as {[k: string]: Json})[rand() < 0.5 ? 'proto' : 'cache'] = v
      return {what: `bad dataset name ${JSON.stringify(v)}`, content: stringify(data), invalid: true}
    }
    case 1: {
      const v = pick(rand, BAD_TIMEOUTS)
      step().timeout = v
      return {what: `bad timeout ${JSON.stringify(v)}`, content: stringify(data), invalid: true}
    }
    case 2: {
      const [k, v] = pick<[string, Json]>(rand, [
        ['version', 2],
        ['version', '1'],
        ['name', '..'],
        ['name', ''],
        ['name', 'a'.repeat(65)],
        ['name', '-x'],
        ['steps', []],
        ['steps', {}],
        ['steps', 'x'],
        ['datasets', 'tank/a'],
        ['retain', {builds: 0}],
        ['retain', {builds: 1.5}],
        ['logs', ''],
        ['logs', 5],
      ])
      data[k] = v
      return {what: `${k}: ${JSON.stringify(v)}`, content: stringify(data), invalid: true}
    }
    case 3:
      steps.push({...steps[0]})
      return {what: 'duplicate step name', content: stringify(data), invalid: true}
    case 4: {
      const where = pick(rand, ['root', 'datasets', 'step'])
      const target = where === 'root' ? data : where === 'datasets' ? (data.datasets as {[k: string]: Json}) : step()
      // defineProperty: a `__proto__` key must be a key, not the object's prototype.
      Object.defineProperty(target, pick(rand, ['extra', 'rn', '__proto__', 'constructor', 'Name', 'ünï', '']), {
        value: oddValue(rand),
        enumerable: true,
        writable: true,
        configurable: true,
      })
      return {what: `unknown key in ${where}`, content: stringify(data), invalid: true}
    }
    case 5: {
      const key = pick(rand, ['name', 'run', 'env', 'timeout', 'description'])
      const v = oddValue(rand)
      step()[key] = v
      return {what: `step ${key}: ${short(v)}`, content: stringify(data), invalid: false}
    }
    case 6: {
      const key = pick(rand, ['version', 'name', 'datasets', 'logs', 'retain', 'steps'])
      const v = oddValue(rand)
      data[key] = v
      return {what: `${key}: ${short(v)}`, content: stringify(data), invalid: false}
    }
    case 7: {
      const key = pick(rand, ['version', 'name', 'datasets', 'steps', ...(pool ? [] : ['logs', 'retain'])])
      delete data[key]
      return {
        what: `no ${key}`,
        content: stringify(data),
        invalid: ['version', 'name', 'datasets', 'steps'].includes(key),
      }
    }
    case 8: {
      const v = pick(rand, ['A=B', 'ü', '', ' ', 'PATH', 'DCSNAP_BUILD', 'a\u0000b'])
      step().env = {[v]: 'x'}
      return {
        what: `env name ${JSON.stringify(v)}`,
        content: stringify(data),
        invalid: v === 'A=B' || v.includes('\u0000') || v === '',
      }
    }
    case 9: {
      const s = step()
      s.name = 's'.repeat(64)
      ;(data.datasets as {[k: string]: Json}).proto = `${pool?.proto ?? 'tank/dc'}/${'d'.repeat(130)}`
      return {what: 'checkpoint name too long', content: stringify(data), invalid: true}
    }
    case 10: {
      const levels = 6 + Math.floor(rand() * 4)
      const bomb = [
        'lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
        ...Array.from({length: levels}, (_, i) => `lol${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`),
      ].join('\n')
      return {what: `alias bomb of ${levels + 1} levels`, content: `${bomb}\n${text}`, invalid: true}
    }
    case 11:
      return {what: 'alias without anchor', content: text.replace(/^name: .*$/m, 'name: *missing'), invalid: true}
    case 12:
      return {what: 'alias inside its anchor', content: `${text}extra: &self [a, *self]\n`, invalid: true}
    case 13: {
      const depth = pick(rand, [65, 200, 1000, 5000])
      return {
        what: `nesting ${depth} deep`,
        content: `${text}deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`,
        invalid: true,
      }
    }
    case 14:
      return {what: 'duplicate key', content: `${text}version: 1\n`, invalid: true}
    case 15:
      return {what: 'tab indentation', content: text.replace(/^ {2}(\S)/m, '\t$1'), invalid: true}
    case 16:
      return {what: 'NUL byte in a value', content: text.replace(/^name: (.*)$/m, 'name: a\u0000$1'), invalid: true}
    case 17: {
      const at = Math.floor(rand() * text.length)
      return {
        what: `bytes that are not UTF-8 at ${at}`,
        content: Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(text.slice(at)),
        ]),
        invalid: true,
      }
    }
    case 18:
      return {what: 'over 256 KiB', content: `${text}# ${'x'.repeat(300 * 1024)}\n`, invalid: true}
    case 19:
      return {what: 'two documents', content: `${text}---\nversion: 1\n`, invalid: true}
    case 20: {
      const at = Math.floor(rand() * text.length)
      return {what: `truncated at ${at}`, content: text.slice(0, at), invalid: false}
    }
    case 21: {
      let t = text
      const n = 1 + Math.floor(rand() * 4)
      for (let j = 0; j < n; j++) {
        const at = Math.floor(rand() * t.length)
        t =
          t.slice(0, at) +
          pick(rand, [
            ':',
            '-',
            '[',
            ']',
            '{',
            '}',
            '&',
            '*',
            '!',
            '|',
            '>',
            "'",
            '"',
            '#',
            '%',
            '@',
            '`',
            '\t',
            '\n',
            ' ',
            '?',
            ',',
            '\\',
            '\u00a0',
            '\ufeff',
          ]) +
          t.slice(at + (rand() < 0.5 ? 1 : 0))
      }
      return {what: `${n} YAML character(s) inserted or replaced`, content: t, invalid: false}
    }
    case 22:
      return {
        what: pick(rand, ['CRLF line ends', 'a BOM']),
        content: rand() < 0.5 ? text.replaceAll('\n', '\r\n') : `\ufeff${text}`,
        invalid: false,
      }
    default: {
      const lines = text.split('\n')
      const a = Math.floor(rand() * lines.length)
      const b = Math.floor(rand() * lines.length)
      ;[lines[a], lines[b]] = [lines[b], lines[a]]
      return {what: `lines ${a + 1} and ${b + 1} swapped`, content: lines.join('\n'), invalid: false}
    }
  }
}

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]
}

function short(v: Json): string {
  const s = JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** A small seeded PRNG (mulberry32), so a seed reproduces a round. */
function mulberry32(seed: number): Rand {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// ---- standalone ----

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const count = Number(arg('count') ?? 100)
  const seed = Number(arg('seed') ?? 1)
  const proto = arg('proto')
  if (
    !Number.isInteger(count) ||
    count < 0 ||
    !Number.isInteger(seed) ||
    !existsSync(join(repoRoot, 'bin', 'run.js'))
  ) {
    process.stderr.write(
      'usage: node dist/chaos/fuzz-manifests.js [--count N] [--seed N] [--proto POOL/DS [--cache POOL/DS]] [--bin BIN]\n',
    )
    process.exitCode = 2
  } else {
    const r = await fuzzManifests({
      count,
      seed,
      pool: proto ? {proto, cache: arg('cache')} : undefined,
      bin: arg('bin'),
    })
    for (const v of r.violations) process.stderr.write(`${v}\n`)
    process.stdout.write(`fuzz-manifests: ${r.trials} trials, ${r.violations.length} violations\n`)
    process.exitCode = r.violations.length > 0 ? 1 : 0
  }
}
