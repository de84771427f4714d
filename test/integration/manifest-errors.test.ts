import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {dcsnap} from '../support/cli.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {createTestPool, type TestPool} from '../support/pool.js'

let pool: TestPool
beforeAll(async () => {
  pool = await createTestPool()
})
afterAll(async () => pool.destroy())

const head = (p: TestPool) => `version: 1\nname: t\ndatasets:\n  proto: ${p.proto}\n  cache: ${p.cache}\n`

test.each([
  ['a YAML syntax error', (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: [unclosed\n`, /dcsnap\.yaml:\d+:\d+: /],
  ['an unknown key', (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: x\n    rn: y\n`, /dcsnap\.yaml:9:5: unknown key "rn" in steps\[0\]/],
  ['a missing run', (p: TestPool) => `${head(p)}steps:\n  - name: a\n`, /dcsnap\.yaml:7:5: steps\[0\] needs "run"/],
  ['a duplicate step name', (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: x\n  - name: a\n    run: y\n`, /dcsnap\.yaml:9:11: duplicate step name "a" \(also step 1\)/],
  ['an invalid step name', (p: TestPool) => `${head(p)}steps:\n  - name: -bad\n    run: x\n`, /dcsnap\.yaml:7:11: steps\[0\]\.name is not a valid name/],
  ['a wrong version', (p: TestPool) => `version: 2\nname: t\ndatasets:\n  proto: ${p.proto}\nsteps:\n  - name: a\n    run: x\n`, /dcsnap\.yaml:1:10: version must be 1/],
])('%s is reported at file:line:col (exit 2) and nothing is touched', async (_what, text, pattern) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bad-'))
  writeFileSync(join(dir, 'dcsnap.yaml'), text(pool))
  const r = await dcsnap(['build', '--build', 'b'.repeat(60)], {cwd: dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr.trim().split('\n')).toHaveLength(2)
  expect(await snapshotsOf(pool.proto)).toEqual([])
})

test('a checkpoint name longer than ZFS allows points at the step', async () => {
  const long = `${pool.name}/${'d'.repeat(120)}`
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-long-'))
  writeFileSync(join(dir, 'dcsnap.yaml'), `version: 1\nname: t\ndatasets:\n  proto: ${long}\nsteps:\n  - name: ok\n    run: x\n  - name: ${'s'.repeat(64)}\n    run: x\n`)
  const r = await dcsnap(['build', '--build', 'b'.repeat(64)], {cwd: dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/dcsnap\.yaml:8:11: snapshot name ".*" is \d+ bytes, over ZFS's limit of 255/)
})
