// The one dataset name grammar dcsnap accepts, shared by the manifest schema ($defs/dataset) and -d.
import {UsageError} from '../errors.js'

/**
 * A dataset name as a regular expression source, the same text as the schema's `$defs/dataset` pattern:
 * at most 255 characters (bytes: all are ASCII), a pool name (a letter first), then `/`-separated components
 * of letters, digits and `_ . : -`, none `.` or `..`.
 */
export const DATASET_PATTERN = '^(?=.{1,255}$)[A-Za-z][A-Za-z0-9_.:-]*(?:/(?!\\.\\.?(?:/|$))[A-Za-z0-9_.:-]+)*$'
/** ZFS's limit for a full dataset name, in bytes. */
export const MAX_DATASET_NAME = 255

const DATASET = new RegExp(DATASET_PATTERN, 'u')
const COMPONENT = /^[A-Za-z0-9_.:-]+$/

/** What is wrong with a dataset name (a phrase to follow the name), or undefined when ZFS and dcsnap accept it. */
export function datasetNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name)
  if (bytes > MAX_DATASET_NAME) return `is ${bytes} bytes, over ZFS's limit of ${MAX_DATASET_NAME}`
  if (DATASET.test(name)) return undefined
  if (name === '') return 'is empty'
  if (name.includes('@')) return 'names a snapshot (@): name the filesystem only'
  if (name.includes('#')) return 'names a bookmark (#): name the filesystem only'
  if (name.startsWith('/')) return 'starts with "/": a dataset name starts with its pool, not a path'
  if (name.endsWith('/')) return 'ends with "/"'
  const parts = name.split('/')
  if (parts.some(p => p === '')) return 'has an empty component ("//")'
  const dots = parts.find(p => p === '.' || p === '..')
  if (dots !== undefined) return `has a component "${dots}"`
  if (!/^[A-Za-z]/.test(parts[0])) return 'must start with a letter (the pool name does)'
  const bad = parts.find(p => !COMPONENT.test(p))!
  const ch = [...bad].find(c => !COMPONENT.test(c)) ?? bad
  return `has a character ZFS or dcsnap refuses (${JSON.stringify(ch)}); use letters, digits and _ . : -`
}

/** Whether `name` is a dataset name dcsnap accepts. */
export function isDatasetName(name: string): boolean {
  return datasetNameProblem(name) === undefined
}

/** Throws a usage error (exit 2) unless `name` is a valid dataset name (for -d). */
export function assertDatasetName(name: string): void {
  const problem = datasetNameProblem(name)
  if (problem !== undefined) {
    throw new UsageError(
      'INVALID_DATASET',
      `invalid dataset name ${JSON.stringify(name)}: it ${problem}`,
      'Name a filesystem such as tank/dc/build_data (no @snapshot).',
    )
  }
}
