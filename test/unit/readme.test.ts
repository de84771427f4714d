// The README's generated parts match their sources, and the commands CI copies from it exist.
import {execa} from 'execa'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {repoRoot} from '../support/paths.js'

const readme = () => readFileSync(join(repoRoot, 'README.md'), 'utf8')

test('the manifest reference (from the schema) and the command reference (oclif readme) are current: else run `npm run docs`', async () => {
  const {generatedReadme} = (await import(pathToFileURL(join(repoRoot, 'scripts', 'docs.js')).href)) as {
    generatedReadme: () => string
  }
  expect(readme()).toBe(generatedReadme())
})

test('every manifest key of the schema has a row in the reference', () => {
  type Properties = Record<string, unknown>
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'manifest.schema.json'), 'utf8')) as {
    properties: Properties & {steps: {items: {properties: Properties}}}
  }
  const keys = [
    ...Object.keys(schema.properties).map(k => (k === 'steps' ? 'steps[]' : k)),
    ...Object.keys(schema.properties.steps.items.properties).map(k => `steps[].${k}`),
  ]
  for (const key of keys) expect(readme()).toContain(`| \`${key}\` |`)
})

test.each([
  ['quickstart', 'scripts/quickstart'],
  ['test', 'scripts/test'],
])('the README marks its %s command for CI, and it exists', async (name, script) => {
  const r = await execa(join(repoRoot, '.ci', 'readme-command'), [name], {reject: false})
  expect(r.stdout).toBe(script)
  expect(existsSync(join(repoRoot, script))).toBe(true)
})
