// What a real build needs to be seen (issue 14): a log per attempt and `dcsnap log`, step timings in status and
// list, space as ZFS counts it, and pauses and messages that say what happens.
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {seedSteps, writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'logs, timings, space and messages', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  test('every attempt has its own log; dcsnap log shows any of them, and names the build whose log a reused step has', async () => {
    const m = writeManifest(pool, seedSteps())
    const first = await dcsnap(['build', '-q'], {cwd: m.dir})
    expect(first.exitCode).toBe(1)
    expect(first.stderr).toContain(join(m.dir, 'logs', '1', '3-compile.log'))
    const second = await dcsnap(['resume', '-q'], {cwd: m.dir})
    expect(second.exitCode).toBe(1)
    expect(second.stderr).toContain(join(m.dir, 'logs', '1', '3-compile.2.log'))
    writeFileSync(join(m.dir, 'fixed'), '')
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)

    const latest = await dcsnapJson<{step: string; attempt: number; attempts: unknown[]; text: string}>(
      ['log', 'compile', '--json'],
      {cwd: m.dir},
    )
    expect(latest.json).toMatchObject({
      step: 'compile',
      attempt: 3,
      attempts: [{attempt: 1}, {attempt: 2}, {attempt: 3}],
    })
    const one = await dcsnap(['log', 'compile', '--attempt', '1'], {cwd: m.dir})
    expect(one.exitCode).toBe(0)
    expect(one.stdout).toContain('compile: missing ./fixed')
    expect(one.stderr).toMatch(/attempt 1 of 3/)
    // Without a step: the build's last step that ran.
    expect((await dcsnapJson(['log', '--json'], {cwd: m.dir})).json).toMatchObject({step: 'iso', attempt: 1})
    const none = await dcsnap(['log', 'compile', '--attempt', '4'], {cwd: m.dir})
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toMatch(/Attempts: 1, 2, 3/)

    // Build 2 reuses every step: their logs are build 1's.
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    const reused = await dcsnap(['log', 'fetch'], {cwd: m.dir})
    expect(reused.exitCode).toBe(2)
    expect(reused.stderr).toMatch(/step fetch did not run in build 2: it was reused from dc-1-fetch/)
    expect(reused.stderr).toMatch(/dcsnap log fetch --build 1/)
  })

  test('status and list show how long each step ran; list totals are what ZFS counts; REFER is the data a checkpoint holds', async () => {
    const m = writeManifest(pool, [
      {name: 'write', run: 'head -c 2097152 /dev/urandom > "$DCSNAP_PROTO/blob"'},
      {name: 'nap', run: 'sleep 1.2'},
      {name: 'rewrite', run: 'head -c 2097152 /dev/urandom > "$DCSNAP_PROTO/blob"'},
    ])
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    const status = await dcsnapJson<{
      steps: Array<{name: string; durationSeconds: number | null}>
      totalSeconds: number
    }>(['status', '--json'], {cwd: m.dir})
    const nap = status.json.steps.find(s => s.name === 'nap')!
    expect(nap.durationSeconds).toBeGreaterThanOrEqual(1.2)
    expect(status.json.totalSeconds).toBeGreaterThanOrEqual(nap.durationSeconds!)
    expect((await dcsnap(['status'], {cwd: m.dir})).stdout).toMatch(/steps ran for \d+s in all/)

    const list = await dcsnapJson<{
      snapshots: Array<{step: string | null; referenced: number; durationSeconds: number | null}>
      totals: {usedBySnapshots: number}
    }>(['list', '--json'], {cwd: m.dir})
    const byStep = new Map(list.json.snapshots.map(s => [s.step, s]))
    expect(byStep.get('nap')!.durationSeconds).toBeGreaterThanOrEqual(1)
    expect(byStep.get('write')!.referenced).toBeGreaterThan(2 * 1024 * 1024)
    const zfs = await zfsOk('get', '-H', '-p', '-o', 'value', 'usedbysnapshots', pool.proto, pool.cache)
    expect(list.json.totals.usedBySnapshots).toBe(
      zfs
        .trim()
        .split('\n')
        .reduce((t, v) => t + Number(v), 0),
    )
    expect(list.json.totals.usedBySnapshots).toBeGreaterThan(2 * 1024 * 1024)
    expect((await dcsnap(['list'], {cwd: m.dir})).stdout).toMatch(/DURATION +USED +REFER/)
  })

  test('persist: what a step keeps there survives the resume that rolls its step back; inside a build dataset it is refused at its line', async () => {
    const persist = join(pool.mountpoint, '..', 'persist')
    const steps = [
      {name: 'fetch', run: 'echo pkg > "$DCSNAP_PERSIST/pkg.deb" && cp "$DCSNAP_PERSIST/pkg.deb" "$DCSNAP_PROTO/"'},
      {
        name: 'install',
        run: 'echo "$DCSNAP_BUILD" > "$DCSNAP_PERSIST/fetched-after-the-checkpoint" && echo partial > "$DCSNAP_PROTO/partial" && test -f fixed',
      },
    ]
    const m = writeManifest(pool, steps, {extra: {persist}})
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    writeFileSync(join(m.dir, 'fixed'), '')
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    // The resume rolled the proto area back to fetch's checkpoint; what the failed attempt put in persist stayed.
    expect(readFileSync(join(persist, 'fetched-after-the-checkpoint'), 'utf8')).toBe('1\n')

    writeManifest(pool, steps, {dir: m.dir, extra: {persist: join(pool.mountpoint, 'proto', 'persist')}})
    const inside = await dcsnap(['build', '-q'], {cwd: m.dir})
    expect(inside.exitCode).toBe(2)
    expect(inside.stderr).toMatch(
      /dcsnap\.yaml:\d+:\d+: persist directory .* is inside .*\/proto, which is snapshotted and rolled back/,
    )
  })

  test('pauses are honoured or refused, never ignored; a new build says the latest failed', async () => {
    const m = writeManifest(pool, seedSteps())
    const last = await dcsnap(['build', '-q', '--pause-after', 'iso'], {cwd: m.dir})
    expect(last.exitCode).toBe(2)
    expect(last.stderr).toMatch(/--pause-after iso: it is the last step/)
    expect((await dcsnap(['build', '-q'], {cwd: m.dir})).exitCode).toBe(1)
    // Resuming at compile with --pause-before compile: back to configure's checkpoint, then the pause.
    writeFileSync(join(m.dir, 'fixed'), '')
    const paused = await dcsnapJson(['resume', '-q', '--pause-before', 'compile', '--json'], {cwd: m.dir})
    expect(paused.json).toMatchObject({status: 'paused', step: 'compile', ran: []})
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)

    // seedSteps' compile fails while ./fixed is missing.
    rmSync(join(m.dir, 'fixed'))
    expect((await dcsnap(['build', '-q', '--no-cache'], {cwd: m.dir})).exitCode).toBe(1)
    const again = await dcsnap(['build', '-q', '--no-cache'], {cwd: m.dir})
    expect(again.stderr).toMatch(
      /build 2 stopped in step compile \(failed\); this new build leaves it as it is \(to go on with it instead: dcsnap resume -m \S+ --build 2\)/,
    )
  })
})
