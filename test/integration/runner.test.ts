import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {BuildStatus, ListView, RunResult} from '../../src/index.js'
import {dcsnap, dcsnapJson, type ErrorJson} from '../support/cli.js'
import {readProto, snapBoth, snapshotsOf} from '../support/checkpoints.js'
import {seedSteps, writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {shOk, describeWhere, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'the runner', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  /** sha256 of every file in the proto area, by relative path. */
  async function protoHashes(p: TestPool): Promise<string> {
    return shOk(`cd ${p.mountpoint}/proto && find . -type f ! -path './.zfs/*' | sort | xargs sha256sum`)
  }

  test('seed: step 3 of 5 fails, is fixed, and resume completes a build equal to one that never failed', async () => {
    const m = writeManifest(pool, seedSteps())
    const failed = await dcsnap(['build', '-q'], {cwd: m.dir})
    expect(failed.exitCode).toBe(1)
    expect(failed.stderr).toContain(
      `error: build 1: step compile (3 of 5) failed with exit code 7; log: ${join(m.dir, 'logs', '1', '3-compile.log')}`,
    )
    expect(failed.stderr).toContain('Fix it, then run: dcsnap resume -m dcsnap.yaml --build 1')
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-configure'])
    const again = await dcsnapJson<ErrorJson>(['resume', '-q'], {cwd: m.dir})
    expect(again.exitCode).toBe(1)
    expect(again.json.error).toMatchObject({
      code: 'STEP_FAILED',
      exitCode: 1,
      details: {
        build: '1',
        status: 'failed',
        step: 'compile',
        exitCode: 7,
        resumeCommand: 'dcsnap resume -m dcsnap.yaml --build 1',
      },
    })
    writeFileSync(join(m.dir, 'fixed'), '')
    const resumed = await dcsnapJson(['resume', '-q'], {cwd: m.dir})
    expect(resumed.exitCode).toBe(0)
    expect(resumed.json).toMatchObject({build: '1', status: 'completed', ran: ['compile', 'package', 'iso']})
    for (const ds of [pool.proto, pool.cache])
      expect(await snapshotsOf(ds)).toEqual([
        'dc-1',
        'dc-1-fetch',
        'dc-1-configure',
        'dc-1-compile',
        'dc-1-package',
        'dc-1-iso',
      ])

    const reference = await createTestPool()
    try {
      const r = writeManifest(reference, seedSteps())
      writeFileSync(join(r.dir, 'fixed'), '')
      expect((await dcsnap(['build', '-q'], {cwd: r.dir})).exitCode).toBe(0)
      expect(await protoHashes(pool)).toEqual(await protoHashes(reference))
    } finally {
      await reference.destroy()
    }
  })

  test('resume rules 1 and 2: not after the failed step, not after a completed build without a step', async () => {
    const m = writeManifest(pool, seedSteps())
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    const late = await dcsnap(['resume', 'package'], {cwd: m.dir})
    expect(late.exitCode).toBe(3)
    expect(late.stderr).toMatch(/cannot resume build 1 at package: step compile before it has no checkpoint/)
    expect(late.stderr).toMatch(/latest step to resume at is compile/)
    writeFileSync(join(m.dir, 'fixed'), '')
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    const done = await dcsnap(['resume'], {cwd: m.dir})
    expect(done.exitCode).toBe(3)
    expect(done.stderr).toMatch(/build 1 completed/)
    const dry = await dcsnapJson<{keep: string[]}>(['resume', 'configure', '--dry-run'], {cwd: m.dir})
    expect(dry.json).toMatchObject({
      resumeAt: 'configure',
      rollbackTo: 'dc-1-fetch',
      destroy: [],
      keptLine: 'k1',
      run: ['configure', 'compile', 'package', 'iso'],
    })
    expect(dry.json.keep).toEqual(
      expect.arrayContaining(['dc-1-configure', 'dc-1-compile', 'dc-1-package', 'dc-1-iso']),
    )
    expect(await snapshotsOf(pool.proto)).toHaveLength(6)
    // Rule 4: the run it replaces is kept on a line, whole.
    const again = await dcsnap(['resume', 'configure', '-q'], {cwd: m.dir})
    expect(again.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toHaveLength(6)
    expect(await snapshotsOf(`${pool.proto}.dclines/k1`)).toEqual(
      expect.arrayContaining(['dc-1-configure', 'dc-1-compile', 'dc-1-package', 'dc-1-iso']),
    )
    // --discard destroys them instead, after asking (--yes).
    const discard = await dcsnapJson(['resume', 'package', '--discard', '--dry-run'], {cwd: m.dir})
    expect(discard.json).toMatchObject({rollbackTo: 'dc-1-compile', destroy: ['dc-1-package', 'dc-1-iso']})
    expect((await dcsnap(['resume', 'package', '--discard', '--yes', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toHaveLength(6)
  })

  test('resume rule 3: a change before the resume point is refused unless --allow-changed; at the failed step it is the point', async () => {
    const steps = seedSteps()
    const m = writeManifest(pool, steps)
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    // A change at the failed step itself is what resuming is for.
    const fixedAtStep = steps.map(s =>
      s.name === 'compile' ? {...s, run: (s.run as string).replace('test -f fixed ||', 'true ||')} : s,
    )
    writeManifest(
      pool,
      fixedAtStep.map(s =>
        s.name === 'configure' ? {...s, run: `${s.run as string} && echo v2 >> "$DCSNAP_PROTO/config"`} : s,
      ),
      {dir: m.dir},
    )
    const refused = await dcsnap(['resume'], {cwd: m.dir})
    expect(refused.exitCode).toBe(3)
    expect(refused.stderr).toMatch(/steps before compile changed since build 1 ran: configure \(its run changed\)/)
    expect(refused.stderr).toMatch(/--allow-changed/)
    const allowed = await dcsnap(['resume', '--allow-changed', '-q'], {cwd: m.dir})
    expect(allowed.exitCode).toBe(0)

    const pool2 = await createTestPool()
    try {
      const m2 = writeManifest(pool2, steps)
      expect((await dcsnap(['build', '-q'], {cwd: m2.dir})).exitCode).toBe(1)
      writeManifest(pool2, fixedAtStep, {dir: m2.dir})
      expect((await dcsnap(['resume', '-q'], {cwd: m2.dir})).exitCode).toBe(0)
    } finally {
      await pool2.destroy()
    }
  })

  test('resume rule 4: a manual snapshot after the resume target is kept on a line; --discard refuses over it, listing it', async () => {
    const m = writeManifest(pool, seedSteps())
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    await snapBoth(pool, 'after-configure')
    const dry = await dcsnap(['resume', 'configure', '--discard', '--dry-run'], {cwd: m.dir})
    expect(dry.exitCode).toBe(3)
    expect(dry.stdout).toMatch(/destroys 2 snapshot\(s\): dc-1-configure, after-configure/)
    const r = await dcsnap(['resume', 'configure', '--discard', '--yes'], {cwd: m.dir})
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/resuming at configure would destroy .*after-configure \(manual\)/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-configure', 'after-configure'])
    const kept = await dcsnap(['resume', 'configure', '--dry-run'], {cwd: m.dir})
    expect(kept.exitCode).toBe(0)
    expect(kept.stdout).toMatch(/keeps on line k1: dc-1-configure, after-configure/)
  })

  test('a data cache in a temp dir: resume after the process ended is refused with the reason', async () => {
    const m = writeManifest(pool, seedSteps(), {cache: false})
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-configure'])
    writeFileSync(join(m.dir, 'fixed'), '')
    const r = await dcsnapJson<ErrorJson>(['resume'], {cwd: m.dir})
    expect(r.exitCode).toBe(3)
    expect(r.json.error.code).toBe('TMP_CACHE_GONE')
    expect(r.json.error.message).toMatch(/temporary directory, which ended with the process that made it/)
    const status = await dcsnapJson<BuildStatus>(['status'], {cwd: m.dir})
    expect(status.json.steps.map(s => s.resumable)).toEqual([false, false, false, false, false])
  })

  test('DCSNAP_UNSUPPORTED_TMP_RESUME=1 keeps the temp cache copies and lifts the refusal', async () => {
    const m = writeManifest(pool, seedSteps(), {cache: false})
    const env = {DCSNAP_UNSUPPORTED_TMP_RESUME: '1'}
    expect((await dcsnap(['build', '-q'], {cwd: m.dir, env})).exitCode).toBe(1)
    writeFileSync(join(m.dir, 'fixed'), '')
    const r = await dcsnap(['resume', '-q'], {cwd: m.dir, env})
    expect(r.exitCode).toBe(0)
    expect(await shOk(`cat ${pool.mountpoint}/proto/package`)).toBe('sources\nconfigured compiled\n1\n2')
  })

  test('status shows each step, its state, whether it can be resumed at, and the resume command', async () => {
    const m = writeManifest(pool, seedSteps())
    const before = await dcsnap(['status'], {cwd: m.dir})
    expect(before.stdout).toMatch(/no build yet/)
    await dcsnap(['build', '-q'], {cwd: m.dir})
    const s = await dcsnapJson<BuildStatus>(['status'], {cwd: m.dir})
    expect(s.json.steps.map(x => [x.name, x.state, x.resumable])).toEqual([
      ['fetch', 'done', true],
      ['configure', 'done', true],
      ['compile', 'failed', true],
      ['package', 'pending', false],
      ['iso', 'pending', false],
    ])
    expect(s.json.resumeCommand).toBe('dcsnap resume -m dcsnap.yaml --build 1')
    expect(s.json.lock).toBeNull()
    const human = await dcsnap(['status'], {cwd: m.dir})
    expect(human.stdout).toMatch(/^3\s+compile\s+failed\s+\d+m?s\s+yes\s+fails until \.\/fixed exists$/m)
  })

  test('--pause-after stops cleanly after the checkpoint; resume continues', async () => {
    const m = writeManifest(pool, seedSteps())
    writeFileSync(join(m.dir, 'fixed'), '')
    const paused = await dcsnap(['build', '-q', '--pause-after', 'configure'], {cwd: m.dir})
    expect(paused.exitCode).toBe(0)
    expect(paused.stdout).toMatch(/paused at configure/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-configure'])
    const pb = await dcsnap(['resume', '-q', '--pause-before', 'iso'], {cwd: m.dir})
    expect(pb.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual([
      'dc-1',
      'dc-1-fetch',
      'dc-1-configure',
      'dc-1-compile',
      'dc-1-package',
    ])
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toHaveLength(6)
  })

  test('rule 6: a resume after a pause goes on from the head as it is; --discard-changes keeps the changes on a line instead', async () => {
    const m = writeManifest(pool, seedSteps())
    writeFileSync(join(m.dir, 'fixed'), '')
    expect((await dcsnap(['build', '-q', '--pause-after', 'configure'], {cwd: m.dir})).exitCode).toBe(0)
    await shOk(`echo by-hand >> ${pool.mountpoint}/proto/config`)
    const dry = await dcsnapJson(['resume', '--dry-run'], {cwd: m.dir})
    expect(dry.json).toMatchObject({resumeAt: 'compile', continueAsIs: true, destroy: [], keep: []})
    expect((await dcsnap(['resume', '-q', '--pause-before', 'iso'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await shOk(`cat ${pool.mountpoint}/proto/binary`)).toContain('by-hand')
    const status = await dcsnapJson<BuildStatus>(['status'], {cwd: m.dir})
    expect(status.json.handChangedAfter).toEqual(['dc-1-configure'])
    expect((await dcsnap(['status'], {cwd: m.dir})).stdout).toMatch(
      /went on from a hand-changed tree after dc-1-configure/,
    )

    // Paused again before iso: this time the changes go to a line and the head goes back to the checkpoint.
    await shOk(`echo experiment > ${pool.mountpoint}/proto/experiment`)
    const r = await dcsnapJson(['resume', '-q', '--discard-changes'], {cwd: m.dir})
    expect(r.exitCode).toBe(0)
    expect(await shOk(`ls ${pool.mountpoint}/proto`)).not.toContain('experiment')
    expect(await snapshotsOf(`${pool.proto}.dclines/k1`)).toEqual(['hand-k1'])
  })

  test('build --discard destroys what the head holds after the start instead of keeping it (asking first; manual snapshots with --force)', async () => {
    const m = writeManifest(pool, [
      {name: 'one', run: ['true']},
      {name: 'two', run: ['true']},
    ])
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    const dry = await dcsnapJson(['build', '--no-cache', '--discard', '--dry-run'], {cwd: m.dir})
    expect(dry.json).toMatchObject({startsFrom: 'dc-1', keptLine: null, destroy: ['dc-1-one', 'dc-1-two']})
    const unasked = await dcsnapJson<ErrorJson>(['build', '-q', '--no-cache', '--discard'], {cwd: m.dir})
    expect(unasked.exitCode).toBe(3)
    expect(unasked.json.error).toMatchObject({code: 'CONFIRMATION_NEEDED'})
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-one', 'dc-1-two'])
    await zfsOk('snapshot', `${pool.proto}@mine`)
    await zfsOk('snapshot', `${pool.cache}@mine`)
    const manual = await dcsnapJson<ErrorJson>(['build', '-q', '--no-cache', '--discard', '--yes'], {cwd: m.dir})
    expect(manual.exitCode).toBe(3)
    expect(manual.json.error.message).toMatch(/mine \(manual\)/)
    expect((await dcsnap(['build', '-q', '--no-cache', '--discard', '--force', '--yes'], {cwd: m.dir})).exitCode).toBe(
      0,
    )
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-2', 'dc-2-one', 'dc-2-two'])
    expect((await zfsOk('list', '-H', '-o', 'name', '-r', pool.name)).split('\n')).not.toContain(
      `${pool.proto}.dclines/k1`,
    )
  })

  test('retain prunes older builds after a successful build, on kept lines too, and keeps the base', async () => {
    const m = writeManifest(pool, [{name: 'one', run: 'true'}], {extra: {retain: {builds: 1}}})
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    const second = await dcsnapJson<RunResult>(['build', '-q', '--no-cache'], {cwd: m.dir})
    expect(second.json).toMatchObject({build: '2'})
    expect(second.json.pruned).toContain('dc-1-one')
    expect(second.json.pruned).not.toContain('dc-1')
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-2', 'dc-2-one'])
  })

  test('every build starts from the base; --on-top from the head; resume --build brings an earlier build back', async () => {
    const steps = [
      {name: 'fetch', run: 'test ! -e "$DCSNAP_PROTO/fetched" && echo "$DCSNAP_BUILD" > "$DCSNAP_PROTO/fetched"'},
      {name: 'finish', run: 'test -f fixed && echo done > "$DCSNAP_PROTO/finished"'},
    ]
    const m = writeManifest(pool, steps)
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    // Build 2 starts from the base: fetch (run again, not reused) finds an empty proto area, as it did in build 1.
    expect((await dcsnap(['build', '-q', '--no-cache'], {cwd: m.dir})).exitCode).toBe(1)
    expect(await readProto(pool, 'fetched')).toBe('2')
    const list = await dcsnapJson<ListView>(['list', '--all'], {cwd: m.dir})
    expect(list.json.snapshots.filter(s => s.build === '1').map(s => `${s.line}:${s.name}`)).toEqual([
      'head:dc-1',
      'k1:dc-1-fetch',
    ])
    writeFileSync(join(m.dir, 'fixed'), '')
    expect((await dcsnap(['resume', '--build', '1', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await readProto(pool, 'fetched')).toBe('1')
    expect(await readProto(pool, 'finished')).toBe('done')
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-finish'])
    // Build 2 went to a kept line in turn, and can be resumed there too.
    expect((await dcsnap(['resume', '--build', '2', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await readProto(pool, 'fetched')).toBe('2')
    // --on-top: fetch finds build 2's tree and fails, as gen1's distro_const did.
    expect((await dcsnap(['build', '--on-top', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    expect((await dcsnapJson<ListView>(['list'], {cwd: m.dir})).json.builds).toEqual(['3'])
  })
})
