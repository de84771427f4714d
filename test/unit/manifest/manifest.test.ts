import {join} from 'node:path'
import {loadManifest, parseDuration, stepsHash} from '../../../src/manifest/manifest.js'
import {manifestFromSource} from '../../../src/manifest/manifest.js'
import {parseManifestSource} from '../../../src/manifest/source.js'
import {repoRoot} from '../../support/paths.js'

const parse = (text: string) => manifestFromSource(parseManifestSource(text, '/m/dcsnap.yaml', 'dcsnap.yaml'), 'dcsnap.yaml')

describe('loadManifest', () => {
  test('the SPEC example: datasets, logs, retain, steps with env and timeout', async () => {
    const m = await loadManifest(join(repoRoot, 'fixtures/manifests/livecd.yaml'))
    expect(m).toMatchObject({name: 'livecd', datasets: {proto: 'tank/dc/build_data', cache: 'tank/dc/cache'}, logs: '/var/tmp/dcsnap/livecd', retain: {builds: 5}})
    expect(m.steps).toEqual([
      {name: 'transfer-ips-install', index: 1, description: 'Install packages into the proto area', run: './steps/transfer.sh', env: {PUBLISHER: 'example', JOBS: '4'}, timeoutMs: 1_800_000},
      {name: 'ba-init', index: 2, description: undefined, run: ['./steps/ba-init', '--fast'], env: {}, timeoutMs: undefined},
    ])
    expect(m.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  test('logs default to /var/tmp/dcsnap/<name>; a relative logs dir is relative to the manifest', () => {
    expect(parse('version: 1\nname: x\ndatasets: {proto: p/a}\nsteps: [{name: a, run: b}]\n').logs).toBe('/var/tmp/dcsnap/x')
    expect(parse('version: 1\nname: x\ndatasets: {proto: p/a}\nlogs: out\nsteps: [{name: a, run: b}]\n').logs).toBe('/m/out')
  })

  test.each([
    ['version: 1\nname: x\ndatasets: {proto: p/a}\nsteps: []\n', 'dcsnap.yaml:4:8: steps must NOT have fewer than 1 items'],
    ['version: 1\nname: x\ndatasets: {proto: p@a}\nsteps: [{name: a, run: b}]\n', 'dcsnap.yaml:3:19: datasets.proto'],
    ['version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, timeout: soon}\n', 'dcsnap.yaml:5:32: steps[0].timeout must be a duration such as 90s'],
    ['version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: 5}\n', 'dcsnap.yaml:5:20: steps[0].run must be a command string'],
    ['version: 1\nname: x\ndatasets: {proto: p/a, extra: q}\nsteps: [{name: a, run: b}]\n', 'dcsnap.yaml:3:24: unknown key "extra" in datasets'],
  ])('%j -> %s', (text, message) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({exitCode: 2, message: expect.stringContaining(message)}))
  })
})

describe('stepsHash', () => {
  const m = parse('version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, description: one}\n  - {name: c, run: d}\n')
  test('covers the steps up to the index; descriptions do not count', () => {
    const same = parse('version: 1\nname: x\ndatasets: {proto: p/a}\nsteps:\n  - {name: a, run: b, description: other}\n  - {name: c, run: changed}\n')
    expect(stepsHash(m.steps, 1)).toBe(stepsHash(same.steps, 1))
    expect(stepsHash(m.steps, 2)).not.toBe(stepsHash(same.steps, 2))
  })
})

test('parseDuration', () => {
  expect([parseDuration('90s'), parseDuration('30m'), parseDuration('2h'), parseDuration('500ms'), parseDuration(3)]).toEqual([90_000, 1_800_000, 7_200_000, 500, 3000])
})
