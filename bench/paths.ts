// Where the repository is, seen from the compiled benchmarks in dist/bench.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The built CLI. */
export const dcsnapBin = join(repoRoot, 'bin', 'run.js')

/** Where results (JSON) are written. */
export const resultsDir = join(repoRoot, 'bench', 'results')

/** The page whose table is regenerated from the results. */
export const performanceDoc = join(repoRoot, 'docs', 'performance.md')
