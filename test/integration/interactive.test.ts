import {execa} from 'execa'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {snapshotsOf} from '../support/checkpoints.js'
import {seedSteps, writeManifest} from '../support/manifest.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, describeWhere, stepsSeeMounts, STEPS_WHY} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, '--interactive', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  test('--interactive in a terminal: a failed step is retried in the same process, even with a temp-dir data cache', async () => {
    const m = writeManifest(pool, seedSteps(), {cache: false})
    // `script` gives dcsnap a real terminal; we answer its prompt after fixing the step.
    const cmd = `node ${join(repoRoot, 'bin', 'run.js')} build -q --interactive`
    const run = execa('script', ['-qfec', cmd, '/dev/null'], {cwd: m.dir, reject: false, env: {NO_COLOR: '1', ...host.env}})
    let out = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no prompt; output so far: ${out}`)), 60_000)
      run.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (/\[r\]etry/.test(out)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    writeFileSync(join(m.dir, 'fixed'), '')
    run.stdin!.write('r\n')
    const r = await run
    expect(r.exitCode).toBe(0)
    expect(String(r.stdout)).toMatch(/build 1 completed/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-configure', 'dc-1-compile', 'dc-1-package', 'dc-1-iso'])
  })
})
