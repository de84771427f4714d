// The manifest: YAML validated against schemas/manifest.schema.json, with every error at file:line:col.
import {createHash} from 'node:crypto'
import {isAbsolute, join, resolve} from 'node:path'
import {assertSnapshotName} from '../snapshots/names.js'
import {DcsnapError} from '../errors.js'
import validate from './manifest-validator.js'
import {ManifestError, readManifestSource, type ManifestSource} from './source.js'

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
}

/** A validated manifest. */
export interface Manifest {
  path: string
  dir: string
  /** The file's text, recorded with each build. */
  text: string
  name: string
  datasets: {proto: string; cache?: string}
  logs: string
  retain?: {builds: number}
  steps: StepDefinition[]
  /** sha256 of the manifest text (`dcsnap:manifest`). */
  hash: string
}

/** Reads and validates a manifest file; every problem is a ManifestError at file:line:col (exit 2). */
export async function loadManifest(file: string): Promise<Manifest> {
  return manifestFromSource(await readManifestSource(file), file)
}

/** Validates an already parsed manifest source (`shown` is the file name used in messages). */
export function manifestFromSource(src: ManifestSource, shown: string): Manifest {
  if (!validate(src.data)) {
    const e = pickError(validate.errors ?? [])
    const keys = pathKeys(e.instancePath)
    const extra = e.keyword === 'additionalProperties' ? (e.params as {additionalProperty: string}).additionalProperty : undefined
    const pos = extra === undefined ? src.position(keys) : src.keyPosition(keys, extra)
    throw new ManifestError(shown, pos.line, pos.col, describe(e, keys, extra))
  }
  const data = src.data as RawManifest
  const seen = new Map<string, number>()
  const steps = data.steps.map((s, i): StepDefinition => {
    const first = seen.get(s.name)
    if (first !== undefined) {
      const pos = src.position(['steps', i, 'name'])
      throw new ManifestError(shown, pos.line, pos.col, `duplicate step name "${s.name}" (also step ${first + 1})`)
    }
    seen.set(s.name, i)
    return {
      name: s.name,
      index: i + 1,
      description: s.description,
      run: s.run,
      env: Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, String(v)])),
      timeoutMs: s.timeout === undefined ? undefined : parseDuration(s.timeout),
    }
  })
  const logs = data.logs === undefined ? join('/var/tmp/dcsnap', data.name) : isAbsolute(data.logs) ? data.logs : resolve(src.dir, data.logs)
  return {
    path: src.path,
    dir: src.dir,
    text: src.text,
    name: data.name,
    datasets: data.datasets,
    logs,
    retain: data.retain,
    steps,
    hash: sha256(src.text),
  }
}

/** Throws a ManifestError at the step's name if a checkpoint name for `build` would exceed ZFS's limit. */
export async function assertCheckpointNames(manifest: Manifest, build: string): Promise<void> {
  const datasets = [manifest.datasets.proto, ...(manifest.datasets.cache ? [manifest.datasets.cache] : [])]
  for (const step of manifest.steps) {
    for (const d of datasets) {
      try {
        assertSnapshotName(d, `dc-${build}-${step.name}`)
      } catch (error) {
        if (!(error instanceof DcsnapError)) throw error
        const src = await readManifestSource(manifest.path)
        const pos = src.position(['steps', step.index - 1, 'name'])
        throw new ManifestError(manifest.path, pos.line, pos.col, error.message)
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
  return {name: s.name, run: s.run, env: Object.fromEntries(Object.entries(s.env).sort()), timeoutMs: s.timeoutMs ?? null}
}

/** Parses `90s`, `30m`, `2h`, `500ms` or a number of seconds into milliseconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v * 1000
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!
  return Number(m[1]) * {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] as 'ms' | 's' | 'm' | 'h']
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

interface RawManifest {
  name: string
  datasets: {proto: string; cache?: string}
  logs?: string
  retain?: {builds: number}
  steps: Array<{name: string; description?: string; run: string | string[]; env?: Record<string, string | number | boolean>; timeout?: string | number}>
}

type AjvError = {instancePath: string; keyword: string; message?: string; params: Record<string, unknown>}

// With oneOf, ajv reports each branch; the deepest, most specific error says the most.
function pickError(errors: AjvError[]): AjvError {
  const rank = (e: AjvError) => e.instancePath.split('/').length * 10 + (e.keyword === 'oneOf' || e.keyword === 'type' ? 0 : 1)
  return [...errors].sort((a, b) => rank(b) - rank(a))[0]
}

function pathKeys(pointer: string): Array<string | number> {
  return pointer.split('/').slice(1).map(k => k.replaceAll('~1', '/').replaceAll('~0', '~')).map(k => (/^\d+$/.test(k) ? Number(k) : k))
}

function describe(e: AjvError, keys: Array<string | number>, extra?: string): string {
  const where = keys.length === 0 ? 'the manifest' : keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('')
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
