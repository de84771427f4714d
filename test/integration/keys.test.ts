// Step cache keys on real checkpoints (SPEC 6): the same manifest checked out at two paths gives the same keys; an
// edited script or input changes its step's key and every key after it; --on-top taints.
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BuildRecord} from '../../src/runner/record.js'
import {dcsnap} from '../support/cli.js'
import {writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'step cache keys', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  /** dcsnap:key (and dcsnap:tainted) of a build's checkpoints on the proto area, by step. */
  async function keys(build: string): Promise<Record<string, string>> {
    const out = await zfsOk(
      'get',
      '-H',
      '-r',
      '-d',
      '1',
      '-o',
      'name,property,value',
      'dcsnap:key,dcsnap:tainted',
      pool.proto,
    )
    const found: Record<string, string> = {}
    for (const line of out.split('\n').filter(Boolean)) {
      const [name, prop, value] = line.split('\t')
      const m = new RegExp(`@dc-${build}-(\\w+)$`).exec(name)
      if (m && value !== '-') found[prop === 'dcsnap:key' ? m[1] : `${m[1]}:tainted`] = value
    }
    return found
  }

  /** A manifest directory with two script steps; `two` reads conf/*.txt as its inputs. */
  function checkout(dir: string): string {
    mkdirSync(join(dir, 'steps'), {recursive: true})
    mkdirSync(join(dir, 'conf'), {recursive: true})
    writeFileSync(join(dir, 'steps', 'one.sh'), 'echo one > "$DCSNAP_PROTO/one"\n')
    writeFileSync(join(dir, 'steps', 'two.sh'), 'cat conf/*.txt > "$DCSNAP_PROTO/two"\n')
    writeFileSync(join(dir, 'conf', 'a.txt'), 'a\n')
    writeManifest(
      pool,
      [
        {name: 'one', run: 'sh ./steps/one.sh', description: 'first'},
        {name: 'two', run: ['sh', './steps/two.sh'], inputs: ['conf/*.txt']},
      ],
      {dir},
    )
    return dir
  }

  test('same tree at two paths: same keys; an edited script or input changes that key and the ones after; --on-top taints', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dcsnap-keys-'))
    const a = checkout(join(root, 'a'))
    expect((await dcsnap(['build', '-q'], {cwd: a})).exitCode).toBe(0)
    const k1 = await keys('1')
    expect(k1.one).toMatch(/^[0-9a-f]{64}$/)
    expect(k1.two).toMatch(/^[0-9a-f]{64}$/)
    expect(k1.two).not.toBe(k1.one)

    // The same files elsewhere (with its own logs directory): build 2 starts from the same base, with the same keys.
    const b = join(root, 'elsewhere', 'b')
    cpSync(a, b, {recursive: true})
    writeFileSync(
      join(b, 'dcsnap.yaml'),
      readFileSync(join(b, 'dcsnap.yaml'), 'utf8').replace(join(a, 'logs'), join(b, 'logs')),
    )
    expect((await dcsnap(['build', '-q', '--no-cache'], {cwd: b})).exitCode).toBe(0)
    expect(await keys('2')).toEqual(k1)

    writeFileSync(join(b, 'conf', 'a.txt'), 'A\n')
    expect((await dcsnap(['build', '-q', '--no-cache'], {cwd: b})).exitCode).toBe(0)
    const k3 = await keys('3')
    expect(k3.one).toBe(k1.one)
    expect(k3.two).not.toBe(k1.two)
    const record = JSON.parse(readFileSync(join(b, 'logs', '3', '.dcsnap', 'record.json'), 'utf8')) as BuildRecord
    const inputs = record.steps.find(s => s.name === 'two')?.keyInputs?.map(i => `${i.kind}:${i.name}`)
    expect(inputs).toEqual([
      'scheme:scheme',
      'definition:name',
      'definition:run',
      'program:steps/two.sh',
      'input:conf/a.txt',
      'parent:parent',
    ])

    writeFileSync(join(b, 'steps', 'one.sh'), 'echo ONE > "$DCSNAP_PROTO/one"\n')
    expect((await dcsnap(['build', '-q', '--no-cache'], {cwd: b})).exitCode).toBe(0)
    const k4 = await keys('4')
    expect(k4.one).not.toBe(k1.one)
    expect(k4.two).not.toBe(k3.two)

    expect((await dcsnap(['build', '-q', '--on-top'], {cwd: b})).exitCode).toBe(0)
    expect(await keys('5')).toMatchObject({'one:tainted': 'built --on-top', 'two:tainted': 'built --on-top'})
    rmSync(root, {recursive: true, force: true})
  })
})
