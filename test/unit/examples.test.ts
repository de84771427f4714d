// The manifests under examples/ are valid, and point editors at the schema.
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {loadManifest} from '../../src/manifest/manifest.js'
import {repoRoot} from '../support/paths.js'

const manifests = readdirSync(join(repoRoot, 'examples'))
  .map(d => join(repoRoot, 'examples', d, 'dcsnap.yaml'))
  .filter(f => existsSync(f))

test('there are the quickstart, a distro-like example and a real Debian live build', () => {
  expect(manifests.map(f => f.split('/').at(-2)).sort()).toEqual(['debian-live', 'livecd', 'quickstart'])
})

test.each(manifests.map(f => [f.split('/').at(-2)!, f]))(
  '%s: valid, with a yaml-language-server $schema comment that resolves to the schema',
  async (_name, file) => {
    const m = await loadManifest(file)
    expect(m.steps.length).toBeGreaterThan(0)
    const comment = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(file, 'utf8'))
    expect(comment).not.toBeNull()
    expect(resolve(dirname(file), comment![1])).toBe(join(repoRoot, 'schemas', 'manifest.schema.json'))
    for (const step of m.steps) {
      const program = Array.isArray(step.run) ? step.run[0] : step.run.split(' ')[0]
      if (program.startsWith('./')) expect(existsSync(join(dirname(file), program))).toBe(true)
    }
  },
)
