// A fresh temporary directory for each test of a file, removed after it.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** Registers beforeEach/afterEach hooks; the returned function gives the current test's directory. */
export function tempDirPerTest(prefix: string): () => string {
  let dir = ''
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))
  return () => dir
}
