import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BuildStatus} from '../../src/index.js'
import {dcsnap} from '../support/cli.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {writeManifest, type StepSpec} from '../support/manifest.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, describeWhere, stepsSeeMounts, STEPS_WHY} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'runner signals and locks', STEPS_WHY, () => {
  let pool: TestPool
  let lockDir: string
  beforeEach(async () => {
    pool = await createTestPool()
    lockDir = mkdtempSync(join(tmpdir(), 'dcsnap-locks-'))
  })
  afterEach(async () => pool.destroy())

  // The slow step records its pid, then waits until ./go exists (or 60 s); without ./slow it is instant.
  const steps: StepSpec[] = [
    {name: 'first', run: 'echo 1 > "$DCSNAP_PROTO/first"'},
    {
      name: 'slow',
      run: 'if [ -f slow ]; then echo $$ > step.pid; i=0; while [ ! -f go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi; echo 2 > "$DCSNAP_PROTO/slow"',
    },
    {name: 'last', run: 'echo 3 > "$DCSNAP_PROTO/last"'},
  ]

  /** Starts `dcsnap build` on the slow manifest and waits until the slow step runs; returns the build and the step's pid. */
  async function startSlowBuild() {
    const m = writeManifest(pool, steps)
    writeFileSync(join(m.dir, 'slow'), '')
    const run = startBuild(m.dir)
    await until(() => existsSync(join(m.dir, 'step.pid')), 'the slow step to start')
    return {m, run, stepPid: Number(readFileSync(join(m.dir, 'step.pid'), 'utf8'))}
  }

  function startBuild(dir: string) {
    return execa('node', [join(repoRoot, 'bin', 'run.js'), 'build', '-q'], {
      cwd: dir,
      reject: false,
      env: {NO_COLOR: '1', DCSNAP_LOCK_DIR: lockDir, XDG_CACHE_HOME: lockDir, ...host.env},
    })
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (check()) return
      await new Promise(r => setTimeout(r, 100))
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  test("SIGINT stops the step's process group, takes no checkpoint for it, prints the resume command; resume completes", async () => {
    const {m, run, stepPid} = await startSlowBuild()
    run.kill('SIGINT')
    const r = await run
    expect(r.exitCode).toBe(1)
    expect(String(r.stderr)).toMatch(/step slow \(2 of 3\) was interrupted/)
    expect(String(r.stderr)).toMatch(/dcsnap resume -m dcsnap\.yaml --build 1/)
    await until(() => !alive(stepPid), 'the step process to end')
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-first'])
    writeFileSync(join(m.dir, 'go'), '')
    const resumed = await dcsnap(['resume', '-q'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(resumed.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-first', 'dc-1-slow', 'dc-1-last'])
  })

  test('two builds at once on the same datasets: the second exits 4 naming the holder; so does a manual snapshot', async () => {
    const {m, run: first} = await startSlowBuild()
    const second = await dcsnap(['build', '-q'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(second.exitCode).toBe(4)
    expect(second.stderr).toMatch(new RegExp(`locked by pid ${first.pid} \\(.*build -q\\)`))
    const manual = await dcsnap(['snapshot', 'meanwhile', ...pool.flags], {env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(manual.exitCode).toBe(4)
    expect(
      (await dcsnap(['rollback', 'dc-1', '--dry-run', ...pool.flags], {env: {DCSNAP_LOCK_DIR: lockDir}})).exitCode,
    ).toBe(0)
    const status = await dcsnap(['status', '--json'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect((JSON.parse(status.stdout) as BuildStatus).lock).toMatchObject({pid: first.pid})
    writeFileSync(join(m.dir, 'go'), '')
    expect((await first).exitCode).toBe(0)
  })

  test('a runner killed with SIGKILL leaves no lock that blocks the next one', async () => {
    const {m, run, stepPid} = await startSlowBuild()
    run.kill('SIGKILL')
    await run
    try {
      process.kill(-stepPid, 'SIGKILL')
    } catch {
      // The step's group has exited already: nothing left to kill.
    }
    writeFileSync(join(m.dir, 'go'), '')
    const resumed = await dcsnap(['resume', '-q'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(resumed.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-first', 'dc-1-slow', 'dc-1-last'])
  })

  test('status of a running build names the running dcsnap and suggests no resume (it would wait for the lock)', async () => {
    const {m, run} = await startSlowBuild()
    const status = await dcsnap(['status'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(status.exitCode).toBe(0)
    expect(status.stdout).toMatch(/running: pid \d+/)
    expect(status.stdout).not.toMatch(/resume with/)
    writeFileSync(join(m.dir, 'go'), '')
    expect((await run).exitCode).toBe(0)
  })

  test('a step over its timeout is stopped and the build fails naming it', async () => {
    const m = writeManifest(pool, [{name: 'hang', run: 'sleep 30', timeout: '500ms'}])
    const r = await dcsnap(['build', '-q'], {cwd: m.dir, env: {DCSNAP_LOCK_DIR: lockDir}})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/step hang \(1 of 1\) timed out after 500ms \(its timeout\)/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1'])
  })
})
