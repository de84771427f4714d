// The step cache on real checkpoints (SPEC 6): a rebuild runs only the steps whose keys changed and restores the
// rest from a checkpoint, on the head or a kept line; why, --dry-run, --cache-only, --no-cache, --rebuild-from,
// cache: false and max-age; a resume of a build that reused steps; resume rule 3 by keys; prune keeps the sources.
import {expect} from '@jest/globals'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {readProto} from '../support/checkpoints.js'
import {writeManifest, type StepSpec} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, host, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

interface Run {
  build: string
  status: string
  ran: string[]
  cached?: Array<{step: string; from: string}>
  error: {code: string; message: string}
}
interface WhyRow {
  step: string
  cache: 'hit' | 'miss'
  from: string | null
  why: string | null
}

describeWhere(stepsSeeMounts, 'the step cache', STEPS_WHY, () => {
  let pool: TestPool
  let root: string
  beforeEach(async () => {
    pool = await createTestPool()
    root = mkdtempSync(join(tmpdir(), 'dcsnap-cache-'))
  })
  afterEach(async () => {
    await pool.destroy()
    rmSync(root, {recursive: true, force: true})
  })

  /** Three script steps that append to the proto area's `log`; `two` reads conf/*.txt; `three` fails while ./broken exists. */
  function checkout(
    over: Partial<Record<'one' | 'two' | 'three', Partial<StepSpec>>> = {},
    extra?: Record<string, unknown>,
  ): string {
    const dir = join(root, 'co')
    mkdirSync(join(dir, 'steps'), {recursive: true})
    mkdirSync(join(dir, 'conf'), {recursive: true})
    const script = (name: string, body: string) => writeFileSync(join(dir, 'steps', `${name}.sh`), body)
    script('one', 'echo one >> "$DCSNAP_PROTO/log"\n')
    script('two', 'cat conf/*.txt >> "$DCSNAP_PROTO/log"\n')
    script('three', 'test -e broken && exit 5\necho three >> "$DCSNAP_PROTO/log"\n')
    writeFileSync(join(dir, 'conf', 'a.txt'), 'a\n')
    rewrite(over, extra)
    return dir
  }

  function rewrite(
    over: Partial<Record<'one' | 'two' | 'three', Partial<StepSpec>>> = {},
    extra?: Record<string, unknown>,
  ): void {
    writeManifest(
      pool,
      [
        {name: 'one', run: 'sh ./steps/one.sh', description: 'first', ...over.one},
        {name: 'two', run: ['sh', './steps/two.sh'], inputs: ['conf/*.txt'], ...over.two},
        {name: 'three', run: 'sh steps/three.sh', ...over.three},
      ],
      {dir: join(root, 'co'), extra},
    )
  }

  const edit = (file: string, text: string) => writeFileSync(join(root, 'co', file), text)
  const build = async (...args: string[]) =>
    dcsnapJson<Run>(['build', '-q', '--json', ...args], {cwd: join(root, 'co')})
  const why = async () => (await dcsnapJson<{steps: WhyRow[]}>(['why', '--json'], {cwd: join(root, 'co')})).json.steps
  const run = async (...args: string[]) => dcsnap(args, {cwd: join(root, 'co')})

  test('only the steps whose keys changed run: an edited last script, an env change; descriptions and timeouts are not keys', async () => {
    checkout()
    expect((await build()).json).toMatchObject({build: '1', ran: ['one', 'two', 'three'], cached: []})

    edit('steps/three.sh', 'echo THREE >> "$DCSNAP_PROTO/log"\n')
    expect(await why()).toMatchObject([
      {step: 'one', cache: 'hit', from: 'dc-1-one'},
      {step: 'two', cache: 'hit', from: 'dc-1-two'},
      {step: 'three', cache: 'miss', why: 'steps/three.sh changed'},
    ])
    const second = await build()
    expect(second.json).toMatchObject({
      build: '2',
      ran: ['three'],
      cached: [
        {step: 'one', from: 'dc-1-one'},
        {step: 'two', from: 'dc-1-two'},
      ],
    })
    expect(await readProto(pool, 'log')).toBe('one\na\nTHREE')
    const status = await dcsnapJson<{steps: Array<{name: string; state: string; checkpoint: string | null}>}>(
      ['status', '--json'],
      {cwd: join(root, 'co')},
    )
    expect(status.json.steps.map(s => [s.name, s.state, s.checkpoint])).toEqual([
      ['one', 'cached', 'dc-1-one'],
      ['two', 'cached', 'dc-1-two'],
      ['three', 'done', 'dc-2-three'],
    ])
    expect((await run('status')).stdout).toContain('cached (dc-1-one)')

    rewrite({one: {description: 'other words', timeout: '5m'}})
    expect((await build()).json).toMatchObject({
      build: '3',
      ran: [],
      cached: [{step: 'one'}, {step: 'two'}, {step: 'three', from: 'dc-2-three'}],
    })
    expect(await readProto(pool, 'log')).toBe('one\na\nTHREE')

    rewrite({two: {env: {LANG: 'C'}}})
    expect((await why()).map(r => [r.step, r.cache, r.why])).toEqual([
      ['one', 'hit', null],
      ['two', 'miss', 'env LANG was added'],
      ['three', 'miss', 'the step before it runs (parent missed)'],
    ])
    expect((await build()).json).toMatchObject({ran: ['two', 'three'], cached: [{step: 'one'}]})
  })

  test('an edited input reruns its step and every one after it; --cache-only, --rebuild-from, --no-cache, cache: false', async () => {
    checkout()
    expect((await build()).exitCode).toBe(0)
    edit('conf/a.txt', 'A\n')
    const before = await zfsOk('list', '-H', '-t', 'all', '-o', 'name', '-r', pool.name)
    const refused = await build('--cache-only')
    expect(refused.exitCode).toBe(3)
    expect(refused.json.error).toMatchObject({code: 'CACHE_MISS'})
    expect(refused.json.error.message).toContain('step two is not cached (conf/a.txt changed)')
    expect(await zfsOk('list', '-H', '-t', 'all', '-o', 'name', '-r', pool.name)).toBe(before)

    expect((await build()).json).toMatchObject({ran: ['two', 'three'], cached: [{step: 'one', from: 'dc-1-one'}]})
    expect(await readProto(pool, 'log')).toBe('one\nA\nthree')
    expect((await build('--cache-only')).json).toMatchObject({
      ran: [],
      cached: [{step: 'one'}, {step: 'two'}, {step: 'three'}],
    })
    expect((await build('--rebuild-from', 'two')).json).toMatchObject({ran: ['two', 'three'], cached: [{step: 'one'}]})
    expect((await build('--no-cache')).json).toMatchObject({ran: ['one', 'two', 'three'], cached: []})
    expect(await readProto(pool, 'log')).toBe('one\nA\nthree')

    rewrite({two: {cache: false}})
    expect((await why()).map(r => [r.step, r.cache, r.why])).toEqual([
      ['one', 'hit', null],
      ['two', 'miss', 'cache: false on two'],
      ['three', 'miss', 'cache: false on two'],
    ])
    const plan = await dcsnapJson<{startsFrom: string; cached: number}>(['build', '--dry-run', '--json'], {
      cwd: join(root, 'co'),
    })
    expect(plan.json).toMatchObject({startsFrom: expect.stringMatching(/-one$/), cached: 1})
    expect((await build()).json).toMatchObject({ran: ['two', 'three'], cached: [{step: 'one'}]})

    // A pause before a step after the reused ones stops at the new baseline; resume goes on from it.
    rewrite()
    expect((await build('--pause-before', 'three', '--rebuild-from', 'three')).json).toMatchObject({
      status: 'paused',
      ran: [],
      cached: [{step: 'one'}, {step: 'two'}],
    })
    expect((await run('resume', '-q')).exitCode).toBe(0)
    expect(await readProto(pool, 'log')).toBe('one\nA\nthree')
  })

  test('a hit from a kept line; a resume at a reused step; an edited earlier script refuses a resume, naming it; prune keeps the sources', async () => {
    checkout()
    expect((await build()).exitCode).toBe(0)
    edit('steps/one.sh', 'echo ONE >> "$DCSNAP_PROTO/log"\n')
    expect((await build()).json).toMatchObject({build: '2', ran: ['one', 'two', 'three']})
    // Build 1's checkpoints are on a kept line now; the old script hits them there.
    edit('steps/one.sh', 'echo one >> "$DCSNAP_PROTO/log"\n')
    expect((await why())[2]).toMatchObject({cache: 'hit', from: expect.stringMatching(/^k\d+:dc-1-three$/)})
    expect((await build()).json).toMatchObject({
      build: '3',
      ran: [],
      cached: [
        {step: 'one', from: 'dc-1-one'},
        {step: 'two', from: 'dc-1-two'},
        {step: 'three', from: 'dc-1-three'},
      ],
    })
    expect(await readProto(pool, 'log')).toBe('one\na\nthree')

    // Build 4 reuses one and two, and fails in three.
    edit('steps/three.sh', 'test -e broken && exit 5\necho three-b >> "$DCSNAP_PROTO/log"\n')
    edit('broken', '')
    const failed = await build()
    expect(failed.exitCode).toBe(1)
    expect(failed.json.error.message).toContain('step three')

    // Rule 3 by keys: an edited script before the resume point is a change, named.
    edit('steps/one.sh', 'echo one >> "$DCSNAP_PROTO/log"\necho more >> "$DCSNAP_PROTO/log"\n')
    const refused = await run('resume')
    expect(refused.exitCode).toBe(3)
    expect(refused.stderr).toContain('one (steps/one.sh changed)')
    edit('steps/one.sh', 'echo one >> "$DCSNAP_PROTO/log"\n')

    rmSync(join(root, 'co', 'broken'))
    const resumed = await dcsnapJson<Run>(['resume', 'two', '-q', '--json'], {cwd: join(root, 'co')})
    expect(resumed.json).toMatchObject({build: '4', status: 'completed', ran: ['two', 'three']})
    expect(await readProto(pool, 'log')).toBe('one\na\nthree-b')
    const status = await dcsnapJson<{completed: boolean; steps: Array<{state: string}>}>(['status', '--json'], {
      cwd: join(root, 'co'),
    })
    expect(status.json).toMatchObject({completed: true, steps: [{state: 'cached'}, {state: 'done'}, {state: 'done'}]})

    const prune = await dcsnapJson<{kept: Array<{snapshot: string; reason: string}>}>(
      ['prune', '--keep', '1', '--dry-run', '--json'],
      {cwd: join(root, 'co')},
    )
    expect(prune.json.kept).toContainEqual(expect.objectContaining({snapshot: 'dc-1-one', reason: 'cache-source'}))
  })

  test('never a hit: a key that differs between proto and cache checkpoints; max-age; the same tree at another path hits', async () => {
    checkout({two: {cache: {'max-age': '1s'}}})
    expect((await build()).exitCode).toBe(0)
    await sleep(2100)
    expect((await why())[1]).toMatchObject({
      step: 'two',
      cache: 'miss',
      why: expect.stringContaining('older than its cache max-age (1s)'),
    })
    rewrite()
    await zfsOk('set', 'dcsnap:key=0000', `${pool.cache}@dc-1-three`)
    expect((await build()).json).toMatchObject({ran: ['three'], cached: [{step: 'one'}, {step: 'two'}]})

    // The same files elsewhere (its own logs directory): the same keys, so every step hits.
    const other = join(root, 'elsewhere')
    mkdirSync(other)
    for (const f of ['steps/one.sh', 'steps/two.sh', 'steps/three.sh', 'conf/a.txt']) {
      mkdirSync(join(other, f, '..'), {recursive: true})
      writeFileSync(join(other, f), readFileSync(join(root, 'co', f)))
    }
    writeFileSync(
      join(other, 'dcsnap.yaml'),
      readFileSync(join(root, 'co', 'dcsnap.yaml'), 'utf8').replace(join(root, 'co', 'logs'), join(other, 'logs')),
    )
    expect((await dcsnapJson<Run>(['build', '-q', '--json'], {cwd: other})).json).toMatchObject({
      ran: [],
      cached: [{step: 'one'}, {step: 'two'}, {step: 'three'}],
    })
  })
})

// Steps that write nothing run anywhere, so this part runs on both tiers: OpenZFS 2.3 too.
describe('the step cache on any ZFS', () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
    // On the VM tier the datasets are mounted in the VM; the runner keeps its record at the same path here.
    if (host.tier !== 'zfs-fuse') mkdirSync(join(pool.mountpoint, 'cache'), {recursive: true})
  })
  afterEach(async () => {
    await pool.destroy()
    if (host.tier !== 'zfs-fuse') rmSync(join(pool.mountpoint, '..'), {recursive: true, force: true})
  })

  test('a changed env runs that step only; a hit from a kept line; where ZFS counts written, no empty hand snapshot is left', async () => {
    const steps = (a: Record<string, string>, c: Record<string, string>): StepSpec[] => [
      {name: 'a', run: ['true'], env: a},
      {name: 'b', run: ['true']},
      {name: 'c', run: ['true'], env: c},
    ]
    const m = writeManifest(pool, steps({}, {V: '1'}))
    const build = async () => (await dcsnapJson<Run>(['build', '-q', '--json'], {cwd: m.dir})).json
    expect(await build()).toMatchObject({build: '1', ran: ['a', 'b', 'c']})
    writeManifest(pool, steps({}, {V: '2'}), {dir: m.dir})
    expect(await build()).toMatchObject({
      build: '2',
      ran: ['c'],
      cached: [
        {step: 'a', from: 'dc-1-a'},
        {step: 'b', from: 'dc-1-b'},
      ],
    })
    writeManifest(pool, steps({A: '1'}, {V: '2'}), {dir: m.dir})
    expect(await build()).toMatchObject({build: '3', ran: ['a', 'b', 'c'], cached: []})
    writeManifest(pool, steps({}, {V: '2'}), {dir: m.dir})
    expect(await build()).toMatchObject({
      build: '4',
      ran: [],
      cached: [{step: 'a'}, {step: 'b'}, {step: 'c', from: 'dc-2-c'}],
    })
    const snapshots = await zfsOk('list', '-H', '-t', 'snapshot', '-o', 'name', '-r', pool.name)
    if (host.tier === 'openzfs') expect(snapshots).not.toContain('@hand-')
  })
})
