// Which datasets a command works on: a manifest's `datasets:` or `-d` flags.
import {access} from 'node:fs/promises'
import {UsageError} from './errors.js'
import {assertDatasetName, datasetNameProblem} from './manifest/dataset-name.js'

/** The build datasets: proto first, then the data cache when there is one. */
export interface BuildTarget {
  datasets: string[]
  proto: string
  cache?: string
  /** The manifest they came from, if any. */
  manifestPath?: string
}

/** Resolves the build datasets from `-d` flags, else from the manifest (default ./dcsnap.yaml). */
export async function resolveBuildTarget(opts: {manifest?: string; datasets?: string[]}): Promise<BuildTarget> {
  if (opts.datasets && opts.datasets.length > 0) {
    for (const d of opts.datasets) assertDatasetName(d)
    const [proto, cache] = opts.datasets
    return {datasets: [...new Set(opts.datasets)], proto, cache}
  }
  const file = opts.manifest ?? 'dcsnap.yaml'
  if (opts.manifest === undefined && !(await exists(file))) {
    throw new UsageError(
      'NO_TARGET',
      'no ./dcsnap.yaml here and no datasets given',
      'Pass -m path/to/dcsnap.yaml, or -d POOL/DATASET (repeatable).',
    )
  }
  return manifestDatasets(file)
}

/** Reads only `datasets:` of a manifest (commands that need no steps). */
export async function manifestDatasets(file: string): Promise<BuildTarget> {
  // Loaded here, not at the top: the YAML parser is the biggest module a command loads, and `-d` needs none.
  const {ManifestError, readManifestSource} = await import('./manifest/source.js')
  const src = await readManifestSource(file)
  const data = src.data as {datasets?: {proto?: unknown; cache?: unknown}} | null
  const ds = data?.datasets
  const check = (key: 'proto' | 'cache', required: boolean): string | undefined => {
    const v = ds?.[key]
    if (v === undefined && !required) return undefined
    const problem =
      typeof v === 'string'
        ? datasetNameProblem(v)
        : v === undefined
          ? 'is required'
          : 'must be a dataset name such as tank/dc/build_data'
    if (problem !== undefined) {
      const pos = src.position(['datasets', key])
      throw new ManifestError(
        file,
        pos.line,
        pos.col,
        typeof v === 'string'
          ? `datasets.${key} ${JSON.stringify(v)} is not a valid dataset name: it ${problem}`
          : `datasets.${key} ${problem}`,
      )
    }
    return v as string
  }
  const proto = check('proto', true)!
  const cache = check('cache', false)
  return {datasets: cache ? [proto, cache] : [proto], proto, cache, manifestPath: src.path}
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p)
    return true
  } catch {
    return false
  }
}
