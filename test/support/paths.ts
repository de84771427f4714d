// Where the repository is, seen from the compiled tests in dist/test.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
