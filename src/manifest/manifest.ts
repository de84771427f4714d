// The manifest: YAML validated against schemas/manifest.schema.json, with every error at file:line:col.
import {createHash} from 'node:crypto'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import {assertSnapshotName, checkpointName, MAX_BUILD_ID, MAX_SNAPSHOT_NAME} from '../snapshots/names.js'
import {DcsnapError} from '../errors.js'
import {datasetNameProblem} from './dataset-name.js'
import validate from './manifest-validator.js'
import {ManifestError, readManifestSource, type ManifestSource} from './source.js'

/** The longest step timeout: 24 days (node's timers cannot wait longer than 2^31-1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 24 * 24 * 3_600_000

/** A path to a value in the manifest: `datasets.proto`, `steps[2].run`, or the keys and indexes as an array. */
export type KeyPath = string | ReadonlyArray<string | number>

/** One step as the runner uses it. */
export interface StepDefinition {
  name: string
  /** 1-based position in the manifest. */
  index: number
  description?: string
  run: string | string[]
  env: Record<string, string>
  /** Milliseconds, when limited. */
  timeoutMs?: number
  /** `inputs:` paths and globs, relative to the manifest (they go into the cache key). */
  inputs?: string[]
  /** `mounts:` made for the step in a mount namespace of its own (SPEC 9), as written (bind sources relative to the manifest). */
  mounts?: StepMount[]
  /** `cache: false` (never reused) or the oldest a reused checkpoint may be, in milliseconds (`cache: {max-age}`). */
  cache?: false | {maxAgeMs: number}
}

/** One of a step's `mounts:`: a file system type at its usual place, or a bind mount of SRC at a path of the proto area. */
export type StepMount = 'proc' | 'sysfs' | 'devpts' | 'tmpfs' | {bind: string; at?: string}

/** A validated manifest. */
export interface Manifest {
  path: string
  dir: string
  /** The file's text, recorded with each build. */
  text: string
  name: string
  datasets: {proto: string; cache?: string}
  logs: string
  /** The directory every build shares, never snapshotted nor rolled back (\`persist:\`, \`$DCSNAP_PERSIST\`). */
  persist: string
  retain?: {builds: number}
  /** The snapshot every new build starts from (section 7), when the manifest names one. */
  base?: string
  steps: StepDefinition[]
  /** sha256 of the manifest text (`dcsnap:manifest`). */
  hash: string
  /** `file:line:col` of the value at a key path (e.g. `datasets.proto`), or of its nearest parent in the file. */
  locate(keyPath: KeyPath): string
  /** A ManifestError (exit 2) reading `file:line:col: message` at a key path, e.g. for a dataset that does not exist. */
  errorAt(keyPath: KeyPath, code: string, message: string, hint?: string): ManifestError
}

/** Reads and validates a manifest file; every problem is a ManifestError at file:line:col (exit 2). */
export async function loadManifest(file: string): Promise<Manifest> {
  return manifestFromSource(await readManifestSource(file), file)
}

/** Validates an already parsed manifest source (`shown` is the file name used in messages). */
export function manifestFromSource(src: ManifestSource, shown: string): Manifest {
  const at = (keys: ReadonlyArray<string | number>, what: string): ManifestError => {
    const pos = src.position(keys)
    return new ManifestError(shown, pos.line, pos.col, what)
  }
  if (!validate(src.data)) {
    const e = pickError(validate.errors ?? [])
    const keys = pathKeys(e.instancePath)
    const extra =
      e.keyword === 'additionalProperties' ? (e.params as {additionalProperty: string}).additionalProperty : undefined
    const badKey =
      e.propertyName ?? (e.keyword === 'propertyNames' ? (e.params as {propertyName: string}).propertyName : undefined)
    const key = extra ?? badKey
    const pos = key === undefined ? src.position(keys) : src.keyPosition(keys, key)
    throw new ManifestError(
      shown,
      pos.line,
      pos.col,
      describe({...e, propertyName: badKey}, keys, valueAt(src.data, keys), extra),
    )
  }
  const data = src.data as RawManifest
  const seen = new Map<string, number>()
  const steps = data.steps.map((s, i): StepDefinition => {
    const first = seen.get(s.name)
    if (first !== undefined) throw at(['steps', i, 'name'], `duplicate step name "${s.name}" (also step ${first + 1})`)
    seen.set(s.name, i)
    const timeoutMs = s.timeout === undefined ? undefined : parseDuration(s.timeout)
    if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
      throw at(['steps', i, 'timeout'], `steps[${i}].timeout must be more than 0 and at most 576h (24 days)`)
    }
    return {
      name: s.name,
      index: i + 1,
      description: s.description,
      run: s.run,
      env: Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, String(v)])),
      timeoutMs,
      ...(s.inputs === undefined ? {} : {inputs: s.inputs}),
      // As written (a relative bind source stays relative: the checkout's path is never part of a key).
      ...(s.mounts === undefined ? {} : {mounts: s.mounts}),
      ...(s.cache === false
        ? {cache: false as const}
        : typeof s.cache === 'object'
          ? {cache: {maxAgeMs: parseDuration(s.cache['max-age'])}}
          : {}),
    }
  })
  checkCheckpointLengths(data, at)
  const logs =
    data.logs === undefined
      ? defaultLogsDir(data.name)
      : isAbsolute(data.logs)
        ? data.logs
        : resolve(src.dir, data.logs)
  const persist =
    data.persist === undefined
      ? defaultPersistDir(data.name)
      : isAbsolute(data.persist)
        ? data.persist
        : resolve(src.dir, data.persist)
  const locate = (keyPath: KeyPath) => {
    const pos = src.position(typeof keyPath === 'string' ? parseKeyPath(keyPath) : keyPath)
    return `${shown}:${pos.line}:${pos.col}`
  }
  return {
    path: src.path,
    dir: src.dir,
    text: src.text,
    name: data.name,
    datasets: data.datasets,
    logs,
    persist,
    retain: data.retain,
    base: data.base,
    steps,
    hash: sha256(src.text),
    locate,
    errorAt: (keyPath, code, message, hint) => {
      const pos = src.position(typeof keyPath === 'string' ? parseKeyPath(keyPath) : keyPath)
      return new ManifestError(shown, pos.line, pos.col, message, hint, code)
    },
  }
}

/** Where `persist:` defaults to: $XDG_CACHE_HOME/dcsnap/<name> (~/.cache/dcsnap/<name>), /var/cache/dcsnap/<name> for root. */
export function defaultPersistDir(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  uid: number | undefined = process.getuid?.(),
): string {
  if (uid === 0) return join('/var/cache/dcsnap', name)
  const cache = env.XDG_CACHE_HOME
  return join(cache && isAbsolute(cache) ? cache : join(homedir(), '.cache'), 'dcsnap', name)
}

/**
 * Where logs go when the manifest has no `logs:`: a directory only the user can write,
 * `$XDG_STATE_HOME/dcsnap/<name>` (default `~/.local/state/dcsnap/<name>`), or `/var/log/dcsnap/<name>` for root.
 */
export function defaultLogsDir(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  uid: number | undefined = process.getuid?.(),
): string {
  if (uid === 0) return join('/var/log/dcsnap', name)
  const state = env.XDG_STATE_HOME
  return join(state && isAbsolute(state) ? state : join(homedir(), '.local', 'state'), 'dcsnap', name)
}

/** Parses `datasets.proto` or `steps[2].env.FOO` into keys and indexes. */
export function parseKeyPath(keyPath: string): Array<string | number> {
  return [...keyPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(m => (m[2] === undefined ? m[1] : Number(m[2])))
}

// Every checkpoint name DATASET@dc-BUILD-STEP must fit ZFS's 255 bytes for any build id (up to 64 bytes), so that
// no build fails on a name later: the error points at the dataset when even a one-letter step would not fit.
function checkCheckpointLengths(
  data: RawManifest,
  at: (keys: Array<string | number>, what: string) => ManifestError,
): void {
  const build = 'b'.repeat(MAX_BUILD_ID)
  for (const key of ['proto', 'cache'] as const) {
    const ds = data.datasets[key]
    if (ds === undefined) continue
    const shortest = Buffer.byteLength(`${ds}@${checkpointName(build, 's')}`)
    if (shortest > MAX_SNAPSHOT_NAME) {
      throw at(
        ['datasets', key],
        `datasets.${key} is too long for checkpoints: ${ds}@dc-BUILD-STEP would be over ZFS's limit of ${MAX_SNAPSHOT_NAME} bytes with a ${MAX_BUILD_ID}-character build id (keep the dataset name within ${MAX_SNAPSHOT_NAME - shortest + Buffer.byteLength(ds)} bytes)`,
      )
    }
    data.steps.forEach((s, i) => {
      const bytes = Buffer.byteLength(`${ds}@${checkpointName(build, s.name)}`)
      if (bytes > MAX_SNAPSHOT_NAME) {
        throw at(
          ['steps', i, 'name'],
          `step name "${s.name}" is too long: ${ds}@dc-BUILD-${s.name} would be ${bytes} bytes with a ${MAX_BUILD_ID}-character build id, over ZFS's limit of ${MAX_SNAPSHOT_NAME}`,
        )
      }
    })
  }
}

/** Throws a ManifestError at the step's name if a checkpoint name for `build` would exceed ZFS's limit. */
export function assertCheckpointNames(manifest: Manifest, build: string): void {
  const datasets = [manifest.datasets.proto, ...(manifest.datasets.cache ? [manifest.datasets.cache] : [])]
  for (const step of manifest.steps) {
    for (const d of datasets) {
      try {
        assertSnapshotName(d, `dc-${build}-${step.name}`)
      } catch (error) {
        if (!(error instanceof DcsnapError)) throw error
        throw manifest.errorAt(['steps', step.index - 1, 'name'], 'MANIFEST_INVALID', error.message, error.hint)
      }
    }
  }
}

/** sha256 of the step definitions 1..index: what `dcsnap:steps` records on checkpoint `index`. */
export function stepsHash(steps: readonly StepDefinition[], index: number): string {
  return sha256(JSON.stringify(steps.slice(0, index).map(stepIdentity)))
}

/** sha256 of one step's definition (what the build record keeps per step). */
export function stepHash(step: StepDefinition): string {
  return sha256(JSON.stringify(stepIdentity(step)))
}

/** The parts of a step that decide what it does (its description is not among them). */
export function stepIdentity(s: StepDefinition): unknown {
  return {
    name: s.name,
    run: s.run,
    env: Object.fromEntries(Object.entries(s.env).sort()),
    timeoutMs: s.timeoutMs ?? null,
    ...(s.inputs ? {inputs: s.inputs} : {}),
    ...(s.mounts ? {mounts: s.mounts} : {}),
  }
}

/** Parses `90s`, `30m`, `2h`, `500ms` or a number of seconds into milliseconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v * 1000
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(v)!
  return (
    Number(m[1]) *
    {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w']
  )
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

interface RawManifest {
  name: string
  datasets: {proto: string; cache?: string}
  logs?: string
  persist?: string
  retain?: {builds: number}
  base?: string
  steps: Array<{
    name: string
    description?: string
    run: string | string[]
    env?: Record<string, string | number | boolean>
    timeout?: string | number
    inputs?: string[]
    mounts?: StepMount[]
    cache?: boolean | {'max-age': string | number}
  }>
}

type AjvError = {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
  propertyName?: string
}

// With oneOf, ajv reports each branch; the deepest, most specific error says the most.
function pickError(errors: AjvError[]): AjvError {
  const rank = (e: AjvError) =>
    e.instancePath.split('/').length * 10 + (e.keyword === 'oneOf' || e.keyword === 'type' ? 0 : 1)
  return [...errors].sort((a, b) => rank(b) - rank(a))[0]
}

function valueAt(data: unknown, keys: Array<string | number>): unknown {
  let v = data
  for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined
  return v
}

function pathKeys(pointer: string): Array<string | number> {
  return pointer
    .split('/')
    .slice(1)
    .map(k => k.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map(k => (/^\d+$/.test(k) ? Number(k) : k))
}

function describe(e: AjvError, keys: Array<string | number>, value: unknown, extra?: string): string {
  const where =
    keys.length === 0
      ? 'the manifest'
      : keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('')
  if (keys[0] === 'datasets' && keys.length === 2 && typeof value === 'string') {
    const problem = datasetNameProblem(value)
    if (problem !== undefined) return `${where} ${JSON.stringify(value)} is not a valid dataset name: it ${problem}`
  }
  if (e.propertyName !== undefined)
    return `${where} has an invalid variable name ${JSON.stringify(e.propertyName)} (a name has no =)`
  if (keys.at(-1) === 'timeout' && typeof value === 'number')
    return `${where} must be more than 0 and at most 576h (24 days)`
  if (keys.at(-1) === 'timeout') return `${where} must be a duration such as 90s, 30m or 2h, or a number of seconds`
  if (keys.at(-1) === 'run' || keys.at(-2) === 'run') return `${where} must be a command string or an array of strings`
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key "${extra}" in ${where}`
    case 'required':
      return `${where} needs "${(e.params as {missingProperty: string}).missingProperty}"`
    case 'pattern':
      return keys.at(-1) === 'name' || keys[0] === 'name'
        ? `${where} is not a valid name: start with a letter or digit, then up to 63 letters, digits, _ . : -`
        : `${where} is not valid (${e.message})`
    case 'const':
      return `${where} must be ${JSON.stringify((e.params as {allowedValue: unknown}).allowedValue)}`
    default:
      return `${where} ${e.message}`
  }
}
