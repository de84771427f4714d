// Mounts and the proto area (SPEC 9): a step's `mounts:` live in a mount namespace of its own and vanish with it,
// a killed dcsnap included; a mount left under the datasets is found before a checkpoint or a rollback.
import {execa} from 'execa'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {writeManifest} from '../support/manifest.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, host, shOk, stepsSeeMounts, STEPS_WHY} from '../support/zfs-host.js'

/** Mount points under `dir` in this process's (the host's) mount namespace. */
function mountedUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map(l => l.split(' ')[4])
    .filter(t => t !== undefined && t.startsWith(`${dir}/`))
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describeWhere(stepsSeeMounts, 'mounts', STEPS_WHY, () => {
  let pool: TestPool
  let proto: string
  beforeEach(async () => {
    pool = await createTestPool()
    proto = join(pool.mountpoint, 'proto')
  })
  afterEach(async () => {
    for (const t of mountedUnder(pool.mountpoint).sort((a, b) => b.length - a.length))
      await shOk(`umount ${t}`).catch(() => undefined)
    await pool.destroy()
  })

  test("a step's mounts are there for it, never in the host's namespace, and gone after it", async () => {
    const m = writeManifest(pool, [
      {
        name: 'chroot',
        run: 'test -r "$DCSNAP_PROTO/proc/self/status" && test -d "$DCSNAP_PROTO/sys/kernel" && echo scratch > "$DCSNAP_PROTO/tmp/scratch" && echo ok > "$DCSNAP_PROTO/ran"',
        mounts: ['proc', 'sysfs', 'tmpfs'],
      },
    ])
    const r = await dcsnapJson(['build', '-q', '--json'], {cwd: m.dir})
    expect(r.exitCode).toBe(0)
    expect(readFileSync(join(proto, 'ran'), 'utf8')).toBe('ok\n')
    // The tmpfs held the scratch file: the proto area never had it.
    expect(existsSync(join(proto, 'tmp', 'scratch'))).toBe(false)
    expect(mountedUnder(proto)).toEqual([])
  })

  test('kill -9 of dcsnap during a step with mounts leaves nothing mounted in the host; stop and resume go on', async () => {
    const m = writeManifest(pool, [
      {name: 'first', run: 'true'},
      {
        name: 'hang',
        run: 'test -f go || { echo $$ > step.pid; sleep 60; }; test -r "$DCSNAP_PROTO/proc/self/status"',
        mounts: ['proc', 'devpts'],
      },
    ])
    const run = execa('node', [join(repoRoot, 'bin', 'run.js'), 'build', '-q'], {
      cwd: m.dir,
      reject: false,
      env: {NO_COLOR: '1', ...host.env},
    })
    await until(() => existsSync(join(m.dir, 'step.pid')), 'the step to start')
    run.kill('SIGKILL')
    await run
    expect(mountedUnder(proto)).toEqual([])
    expect((await dcsnap(['stop', '--grace', '1'], {cwd: m.dir})).exitCode).toBe(0)
    writeFileSync(join(m.dir, 'go'), '')
    expect((await dcsnap(['resume', '-q'], {cwd: m.dir})).exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-first', 'dc-1-hang'])
    expect(mountedUnder(proto)).toEqual([])
  })

  test('a mount a step leaves in the host refuses its checkpoint (exit 1) and a rollback (exit 3), naming it and how to clear it', async () => {
    const m = writeManifest(pool, [
      {name: 'first', run: 'true'},
      {name: 'leaky', run: 'mkdir -p "$DCSNAP_PROTO/leak" && mount -t tmpfs tmpfs "$DCSNAP_PROTO/leak"'},
    ])
    const r = await dcsnap(['build', '-q'], {cwd: m.dir})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(
        `checkpoint dc-1-leaky could not be taken: 1 mount\\(s\\) left under the build datasets.*${proto}/leak \\(tmpfs\\)`,
      ),
    )
    expect(r.stderr).toContain(`umount ${proto}/leak`)
    const rollback = await dcsnap(['rollback', 'first', ...pool.flags])
    expect(rollback.exitCode).toBe(3)
    expect(rollback.stderr).toMatch(/rolling back to dc-1-first: 1 mount\(s\) left under the build datasets/)
    await shOk(`umount ${proto}/leak`)
    expect((await dcsnap(['rollback', 'first', ...pool.flags])).exitCode).toBe(0)
  })
})
