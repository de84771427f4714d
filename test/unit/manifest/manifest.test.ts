import {expect} from '@jest/globals'
import {join} from 'node:path'
import {
  defaultLogsDir,
  loadManifest,
  manifestFromSource,
  parseDuration,
  parseKeyPath,
  stepsHash,
} from '../../../src/manifest/manifest.js'
import {parseManifestSource} from '../../../src/manifest/source.js'
import {repoRoot} from '../../support/paths.js'

const parse = (text: string) =>
  manifestFromSource(parseManifestSource(text, '/m/dcsnap.yaml', 'dcsnap.yaml'), 'dcsnap.yaml')

describe('loadManifest', () => {
  test('the SPEC example: datasets, logs, retain, steps with env and timeout', async () => {
    const m = await loadManifest(join(repoRoot, 'fixtures/manifests/livecd.yaml'))
    expect(m).toMatchObject({
      name: 'livecd',
      datasets: {proto: 'tank/dc/build_data', cache: 'tank/dc/cache'},
      logs: '/var/tmp/dcsnap/livecd',
      retain: {builds: 5},
    })
    expect(m.steps).toEqual([
      {
        name: 'transfer-ips-install',
        index: 1,
        description: 'Install packages into the proto area',
        run: './steps/transfer.sh',
        env: {PUBLISHER: 'example', JOBS: '4'},
        timeoutMs: 1_800_000,
      },
      {
        name: 'ba-init',
        index: 2,
        description: undefined,
        run: ['./steps/ba-init', '--fast'],
        env: {},
        timeoutMs: undefined,
      },
    ])
    expect(m.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  test('logs default to a directory of the user (root: /var/log/dcsnap); a relative logs dir is relative to the manifest', () => {
    expect(parse('version: 1\nname: x\ndatasets: {proto: p/a}\nsteps: [{name: a, run: b}]\n').logs).toBe(
      defaultLogsDir('x'),
    )
    expect(defaultLogsDir('x', {}, 0)).toBe('/var/log/dcsnap/x')
    expect(defaultLogsDir('x', {XDG_STATE_HOME: '/home/u/state'}, 1000)).toBe('/home/u/state/dcsnap/x')
    expect(defaultLogsDir('x', {XDG_STATE_HOME: 'relative'}, 1000)).toMatch(/\/\.local\/state\/dcsnap\/x$/)
    expect(defaultLogsDir('x', {}, 1000)).toMatch(/\/\.local\/state\/dcsnap\/x$/)
    expect(parse('version: 1\nname: x\ndatasets: {proto: p/a}\nlogs: out\nsteps: [{name: a, run: b}]\n').logs).toBe(
      '/m/out',
    )
  })

  test.each([
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps: []\n',
      'dcsnap.yaml:4:8: steps must NOT have fewer than 1 items',
    ],
    ['version: 1\nname: x\ndatasets: {proto: p@a}\nsteps: [{name: a, run: b}]\n', 'dcsnap.yaml:3:19: datasets.proto'],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: soon}\n',
      'dcsnap.yaml:5:32: steps[0].timeout must be a duration such as 90s',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: 5}\n',
      'dcsnap.yaml:5:20: steps[0].run must be a command string',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a, extra: q}\nsteps: [{name: a, run: b}]\n',
      'dcsnap.yaml:3:24: unknown key "extra" in datasets',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p//a}\nsteps: [{name: a, run: b}]\n',
      'dcsnap.yaml:3:19: datasets.proto "p//a" is not a valid dataset name: it has an empty component',
    ],
    [
      'version: 1\nname: x\ndatasets:\n  proto: p/a\n  cache: p/../a\nsteps: [{name: a, run: b}]\n',
      'dcsnap.yaml:5:10: datasets.cache "p/../a" is not a valid dataset name: it has a component ".."',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: "p/a "}\nsteps: [{name: a, run: b}]\n',
      'dcsnap.yaml:3:19: datasets.proto "p/a " is not a valid dataset name',
    ],
    [
      `version: 1\nname: x\ndatasets: {proto: p/${'d'.repeat(200)}}\nsteps: [{name: a, run: b}]\n`,
      'dcsnap.yaml:3:19: datasets.proto is too long for checkpoints',
    ],
    [
      `version: 1\nname: x\ndatasets: {proto: p/${'d'.repeat(130)}}\nsteps:\n  - {name: a, run: b}\n  - {name: ${'s'.repeat(64)}, run: b}\n`,
      `dcsnap.yaml:6:12: step name "${'s'.repeat(64)}" is too long: p/`,
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: 600h}\n',
      'dcsnap.yaml:5:32: steps[0].timeout must be more than 0 and at most 576h (24 days)',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: 0s}\n',
      'dcsnap.yaml:5:32: steps[0].timeout must be more than 0',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: 2073601}\n',
      'dcsnap.yaml:5:32: steps[0].timeout must be more than 0 and at most 576h',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: .inf}\n',
      'dcsnap.yaml:5:32: steps[0].timeout',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: "x\\0y"}\n',
      'dcsnap.yaml:5:20: a NUL character cannot be in a manifest',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: [x, "\\0"]}\n',
      'dcsnap.yaml:5:24: a NUL character cannot be in a manifest',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, env: {A=B: c}}\n',
      'dcsnap.yaml:5:29: steps[0].env has an invalid variable name "A=B"',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, env: {A: "\\0"}}\n',
      'dcsnap.yaml:5:32: a NUL character cannot be in a manifest',
    ],
    [
      'version: 1\nname: x\ndatasets: {proto: p/a}\nlogs: "/x\\0"\nsteps: [{name: a, run: b}]\n',
      'dcsnap.yaml:4:7: a NUL character cannot be in a manifest',
    ],
  ])('%j -> %s', (text, message) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({exitCode: 2, message: expect.stringContaining(message)}))
  })
})

describe('stepsHash', () => {
  const m = parse(
    'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, description: one}\n  - {name: c, run: d}\n',
  )
  test('covers the steps up to the index; descriptions do not count', () => {
    const same = parse(
      'version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, description: other}\n  - {name: c, run: changed}\n',
    )
    expect(stepsHash(m.steps, 1)).toBe(stepsHash(same.steps, 1))
    expect(stepsHash(m.steps, 2)).not.toBe(stepsHash(same.steps, 2))
  })
})

test('parseDuration', () => {
  expect([
    parseDuration('90s'),
    parseDuration('30m'),
    parseDuration('2h'),
    parseDuration('500ms'),
    parseDuration(3),
  ]).toEqual([90_000, 1_800_000, 7_200_000, 500, 3000])
})

describe('YAML that would be a dcsnap bug or a resource exhaustion is an input error at file:line:col', () => {
  const head = 'version: 1\nname: x\ndatasets: {proto: p/a}\n'
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
  ].join('\n')
  test.each([
    [
      'an alias without anchor',
      `${head}steps: [{name: a, run: *nope}]\n`,
      'dcsnap.yaml:4:24: alias *nope has no anchor &nope before it',
    ],
    [
      'an alias before its anchor',
      `${head}steps: [{name: a, run: *r}, {name: b, run: &r x}]\n`,
      'dcsnap.yaml:4:24: alias *r has no anchor',
    ],
    [
      'an alias inside its own anchor',
      `${head}steps: &s [{name: a, run: *s}]\n`,
      'dcsnap.yaml:4:27: alias *s is inside the value of its own anchor &s',
    ],
    ['an alias bomb (billion laughs)', `${head}${bomb}\nsteps: [{name: a, run: b}]\n`, 'an alias bomb'],
    [
      'an alias as a key',
      `${head}k: &k name\nsteps: [{*k : a, run: b}]\n`,
      'dcsnap.yaml:5:10: an alias cannot be a key',
    ],
    [
      'a duplicate key',
      `${head}steps: [{name: a, run: b}]\nsteps: [{name: a, run: b}]\n`,
      'dcsnap.yaml:5:1: duplicate key "steps"',
    ],
    [
      'a mapping as a key',
      `${head}? {a: 1}\n: x\nsteps: [{name: a, run: b}]\n`,
      'dcsnap.yaml:4:3: a key must be a plain name',
    ],
    ['deep nesting', `${head}steps: ${'['.repeat(100)}${']'.repeat(100)}\n`, 'nests deeper than 64 levels'],
    ['very deep nesting', `${head}steps: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'dcsnap.yaml:4:'],
    [
      'a tab as indentation',
      `${head}steps:\n\t- {name: a, run: b}\n`,
      'dcsnap.yaml:5:1: Tabs are not allowed as indentation',
    ],
    ['two documents', `${head}steps: [{name: a, run: b}]\n---\nx: 1\n`, 'dcsnap.yaml:5:1:'],
    ['an empty manifest', '', 'dcsnap.yaml:1:1: the manifest must be object'],
  ])('%s', (_what, text, message) => {
    expect(() => parse(text)).toThrow(
      expect.objectContaining({exitCode: 2, code: 'MANIFEST_INVALID', message: expect.stringContaining(message)}),
    )
  })

  test('a bomb is refused quickly, and aliases used as intended still work', () => {
    expect(() =>
      parse(
        `${head}${bomb}\n${'ijklmnop'
          .split('')
          .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'hijklmnop'[i]}`).join(', ')}]`)
          .join('\n')}\nsteps: [{name: a, run: b}]\n`,
      ),
    ).toThrow(/alias bomb/)
    const m = parse(
      `${head}steps:\n  - {name: a, run: b, env: &common {A: "1", B: two}}\n  - {name: c, run: d, env: *common}\n`,
    )
    expect(m.steps[1].env).toEqual({A: '1', B: 'two'})
  })

  test('a key named __proto__ is a key like any other (an unknown one)', () => {
    expect(() => parse(`${head}__proto__: {x: 1}\nsteps: [{name: a, run: b}]\n`)).toThrow(
      /unknown key "__proto__" in the manifest/,
    )
  })
})

describe('locate and errorAt', () => {
  const m = parse(
    'version: 1\nname: x\ndatasets:\n  proto: p/a\n  cache: p/b\nsteps:\n  - name: a\n    run: b\n    env: {FOO: bar}\n',
  )
  test('locate gives file:line:col of the value at a key path, or of its nearest parent', () => {
    expect(m.locate('datasets.proto')).toBe('dcsnap.yaml:4:10')
    expect(m.locate(['datasets', 'cache'])).toBe('dcsnap.yaml:5:10')
    expect(m.locate('steps[0].run')).toBe('dcsnap.yaml:8:10')
    expect(m.locate('steps[0].env.FOO')).toBe('dcsnap.yaml:9:16')
    expect(m.locate('logs')).toBe('dcsnap.yaml:1:1')
    expect(parseKeyPath('steps[12].env.A_B')).toEqual(['steps', 12, 'env', 'A_B'])
  })
  test('errorAt makes an exit 2 error at that place with the given code and hint', () => {
    const e = m.errorAt(
      'datasets.cache',
      'DATASET_NOT_FOUND',
      'dataset p/b does not exist',
      'Create it with zfs create p/b.',
    )
    expect(e).toMatchObject({
      exitCode: 2,
      code: 'DATASET_NOT_FOUND',
      message: 'dcsnap.yaml:5:10: dataset p/b does not exist',
      hint: 'Create it with zfs create p/b.',
    })
  })
})
