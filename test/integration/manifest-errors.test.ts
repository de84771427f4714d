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
  [
    'a YAML syntax error',
    (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: [unclosed\n`,
    /dcsnap\.yaml:\d+:\d+: /,
  ],
  [
    'an unknown key',
    (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: x\n    rn: y\n`,
    /dcsnap\.yaml:9:5: unknown key "rn" in steps\[0\]/,
  ],
  ['a missing run', (p: TestPool) => `${head(p)}steps:\n  - name: a\n`, /dcsnap\.yaml:7:5: steps\[0\] needs "run"/],
  [
    'a duplicate step name',
    (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: x\n  - name: a\n    run: y\n`,
    /dcsnap\.yaml:9:11: duplicate step name "a" \(also step 1\)/,
  ],
  [
    'an invalid step name',
    (p: TestPool) => `${head(p)}steps:\n  - name: -bad\n    run: x\n`,
    /dcsnap\.yaml:7:11: steps\[0\]\.name is not a valid name/,
  ],
  [
    'a wrong version',
    (p: TestPool) => `version: 2\nname: t\ndatasets:\n  proto: ${p.proto}\nsteps:\n  - name: a\n    run: x\n`,
    /dcsnap\.yaml:1:10: version must be 1/,
  ],
  [
    'an alias without an anchor',
    (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: *cmd\n`,
    /dcsnap\.yaml:8:10: alias \*cmd has no anchor &cmd before it/,
  ],
  [
    'an alias bomb',
    (p: TestPool) =>
      `${head(p)}${['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n')}\nsteps:\n  - name: a\n    run: x\n`,
    /dcsnap\.yaml:\d+:\d+: .*an alias bomb/,
  ],
  [
    'a dataset name ZFS refuses',
    (p: TestPool) => `version: 1\nname: t\ndatasets:\n  proto: ${p.name}//proto\nsteps:\n  - name: a\n    run: x\n`,
    /dcsnap\.yaml:4:10: datasets\.proto ".*\/\/proto" is not a valid dataset name: it has an empty component/,
  ],
  [
    'a dataset path with ..',
    (p: TestPool) =>
      `version: 1\nname: t\ndatasets:\n  proto: ${p.proto}\n  cache: ${p.name}/../cache\nsteps:\n  - name: a\n    run: x\n`,
    /dcsnap\.yaml:5:10: datasets\.cache .* it has a component "\.\."/,
  ],
  [
    'a timeout over 24 days',
    (p: TestPool) => `${head(p)}steps:\n  - name: a\n    run: x\n    timeout: 600h\n`,
    /dcsnap\.yaml:9:14: steps\[0\]\.timeout must be more than 0 and at most 576h \(24 days\)/,
  ],
])('%s is reported at file:line:col (exit 2) and nothing is touched', async (_what, text, pattern) => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bad-'))
  writeFileSync(join(dir, 'dcsnap.yaml'), text(pool))
  const r = await dcsnap(['build', '--build', 'b'.repeat(60)], {cwd: dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr.trim().split('\n')).toHaveLength(2)
  expect(await snapshotsOf(pool.proto)).toEqual([])
})

test('a checkpoint name that could be longer than ZFS allows points at the step, whatever the build id', async () => {
  const long = `${pool.name}/${'d'.repeat(120)}`
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-long-'))
  writeFileSync(
    join(dir, 'dcsnap.yaml'),
    `version: 1\nname: t\ndatasets:\n  proto: ${long}\nsteps:\n  - name: ok\n    run: x\n  - name: ${'s'.repeat(64)}\n    run: x\n`,
  )
  const r = await dcsnap(['build'], {cwd: dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(
    /dcsnap\.yaml:8:11: step name "s{64}" is too long: .*@dc-BUILD-s{64} would be \d+ bytes with a 64-character build id, over ZFS's limit of 255/,
  )
})

test('a build id that is only dots is invalid (exit 2), and nothing is touched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-dots-'))
  writeFileSync(join(dir, 'dcsnap.yaml'), `${head(pool)}steps:\n  - name: a\n    run: x\n`)
  const r = await dcsnap(['build', '--build', '..'], {cwd: dir})
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/invalid build id "\.\."/)
  expect(await snapshotsOf(pool.proto)).toEqual([])
})

test('-d with a name ZFS refuses is exit 2 naming what is wrong', async () => {
  const r = await dcsnap(['list', '-d', `${pool.name}/a/./b`])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/invalid dataset name ".*\/a\/\.\/b": it has a component "\."/)
})
