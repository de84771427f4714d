import {expect} from '@jest/globals'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {
  assertDatasetName,
  DATASET_PATTERN,
  datasetNameProblem,
  isDatasetName,
} from '../../../src/manifest/dataset-name.js'
import validate from '../../../src/manifest/manifest-validator.js'
import {repoRoot} from '../../support/paths.js'

const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'manifest.schema.json'), 'utf8')) as {
  $defs: {dataset: {pattern: string}}
}
const schemaAccepts = (name: string) =>
  validate({version: 1, name: 'x', datasets: {proto: name}, steps: [{name: 'a', run: 'b'}]})

const names: Array<[string, boolean]> = [
  ['tank', true],
  ['tank/dc/build_data', true],
  ['tank/a.b/c:d/e-f/g_h', true],
  ['tank/.hidden', true],
  ['tank/...', true],
  ['tank/..x', true],
  ['t/0', true],
  [`t/${'x'.repeat(253)}`, true],
  [`t/${'x'.repeat(254)}`, false],
  ['', false],
  ['a//b', false],
  ['a/./b', false],
  ['a/../b', false],
  ['a/.', false],
  ['a/..', false],
  ['a/b/', false],
  ['a/b ', false],
  ['a/b c', false],
  ['/tank/a', false],
  ['1tank/a', false],
  ['tank/a@snap', false],
  ['tank/a#mark', false],
  ['tank/é', false],
  ['tank/a\0b', false],
  ['tank/a\nb', false],
  ['tank/a%b', false],
  ['tank/a$b', false],
]

test('the schema pattern is the module pattern', () => {
  expect(schema.$defs.dataset.pattern).toBe(DATASET_PATTERN)
})

test.each(names)('%j: valid %s, the same for the module, the schema and -d', (name, valid) => {
  expect(isDatasetName(name)).toBe(valid)
  expect(schemaAccepts(name)).toBe(valid)
  if (valid) expect(() => assertDatasetName(name)).not.toThrow()
  else expect(() => assertDatasetName(name)).toThrow(expect.objectContaining({exitCode: 2, code: 'INVALID_DATASET'}))
})

test('the problem is named', () => {
  expect(datasetNameProblem('a//b')).toMatch(/empty component/)
  expect(datasetNameProblem('a/../b')).toMatch(/component "\.\."/)
  expect(datasetNameProblem('a/b/')).toMatch(/ends with "\/"/)
  expect(datasetNameProblem('a/b ')).toMatch(/character .*" "/)
  expect(datasetNameProblem(`t/${'x'.repeat(300)}`)).toMatch(/302 bytes, over ZFS's limit of 255/)
  expect(datasetNameProblem('tank/a@s')).toMatch(/snapshot/)
})
