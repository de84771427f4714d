import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {BuildStatus} from '../../src/index.js'
import {dcsnap} from '../support/cli.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {writeManifest, type StepSpec} from '../support/manifest.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, describeWhere, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'per-dataset locks and orphaned steps', STEPS_WHY, () => {
  let pool: TestPool
  let env: Record<string, string>
  beforeEach(async () => {
    pool = await createTestPool()
    const lockDir = mkdtempSync(join(tmpdir(), 'dcsnap-locks-'))
    env = {DCSNAP_LOCK_DIR: lockDir, XDG_CACHE_HOME: lockDir}
  })
  afterEach(async () => pool.destroy())

  // `slow` writes its pid, then a line to $DCSNAP_PROTO/ticks every 100 ms until ./go exists (or 60 s).
  const slow = (name: string, body = ''): StepSpec => ({
    name,
    run: `${body}echo $$ > step.pid; i=0; while [ ! -f go ] && [ $i -lt 600 ]; do echo tick >> "$DCSNAP_PROTO/ticks"; sleep 0.1; i=$((i+1)); done`,
  })

  function startBuild(dir: string) {
    return execa('node', [join(repoRoot, 'bin', 'run.js'), 'build', '-q'], {
      cwd: dir,
      reject: false,
      env: {NO_COLOR: '1', ...env, ...host.env},
    })
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (check()) return
      await new Promise(r => setTimeout(r, 100))
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  test('a command on one dataset of a running build is refused (exit 4); one on another dataset runs beside it', async () => {
    await zfsOk('create', `${pool.name}/other`)
    const m = writeManifest(pool, [slow('work')])
    const run = startBuild(m.dir)
    await until(() => existsSync(join(m.dir, 'step.pid')), 'the step to start')
    const onProto = await dcsnap(['snapshot', 'meanwhile', '-d', pool.proto], {env})
    expect(onProto.exitCode).toBe(4)
    expect(onProto.stderr).toMatch(new RegExp(`${pool.proto} is locked by pid ${run.pid}`))
    const rollback = await dcsnap(['rollback', 'dc-1', '--yes', '-d', pool.cache], {env})
    expect(rollback.exitCode).toBe(4)
    const other = await dcsnap(['snapshot', 'meanwhile', '-d', `${pool.name}/other`], {env})
    expect(other.exitCode).toBe(0)
    writeFileSync(join(m.dir, 'go'), '')
    expect((await run).exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-work'])
  })

  test('kill -9 of dcsnap: its step keeps the datasets locked, status says orphaned, stop ends it, resume goes on', async () => {
    // The step also starts a daemon that leaves its session and closes the inherited lock files.
    const daemon = `setsid sh -c 'exec 3>&- 4>&- 5>&-; while [ ! -f go ]; do echo d >> "$DCSNAP_PROTO/daemon"; sleep 0.1; done' </dev/null >/dev/null 2>&1 & `
    const m = writeManifest(pool, [
      {name: 'first', run: 'echo 1 > "$DCSNAP_PROTO/first"'},
      slow('slow', daemon),
      {name: 'last', run: 'echo 3 > "$DCSNAP_PROTO/last"'},
    ])
    const run = startBuild(m.dir)
    await until(
      () => existsSync(join(m.dir, 'step.pid')) && existsSync(join(pool.mountpoint, 'proto', 'daemon')),
      'the step and its daemon to start',
    )
    run.kill('SIGKILL')
    await run
    const resumed = await dcsnap(['resume', '-q'], {cwd: m.dir, env})
    expect(resumed.exitCode).toBe(4)
    expect(resumed.stderr).toMatch(
      /step slow of build 1 still runs although the dcsnap that started it \(pid \d+\) died/,
    )
    expect(resumed.stderr).toMatch(/dcsnap stop/)
    const status = await dcsnap(['status', '--json'], {cwd: m.dir, env})
    const s = JSON.parse(status.stdout) as BuildStatus
    expect(s.orphan?.holder.step?.name).toBe('slow')
    expect(s.steps.find(x => x.name === 'slow')?.state).toBe('orphaned')
    // Killing the step's own process group leaves the daemon: still no one may change the datasets.
    try {
      process.kill(-Number(readFileSync(join(m.dir, 'step.pid'), 'utf8')), 'SIGKILL')
    } catch {
      // The step's group has exited already: what matters is the daemon it left.
    }
    const again = await dcsnap(['rollback', 'dc-1', '--yes', ...pool.flags], {env})
    expect(again.exitCode).toBe(4)
    const stopped = await dcsnap(['stop', '--grace', '1'], {cwd: m.dir, env})
    expect(stopped.exitCode).toBe(0)
    expect(stopped.stdout).toMatch(/stopped pid \d+/)
    const size = statSync(join(pool.mountpoint, 'proto', 'daemon')).size
    await new Promise(r => setTimeout(r, 500))
    expect(statSync(join(pool.mountpoint, 'proto', 'daemon')).size).toBe(size)
    writeFileSync(join(m.dir, 'go'), '')
    const done = await dcsnap(['resume', '-q'], {cwd: m.dir, env})
    expect(done.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-first', 'dc-1-slow', 'dc-1-last'])
  })

  test('SIGHUP (a closed ssh session) stops the step like SIGINT: exit 1, the record says interrupted, the resume command', async () => {
    const m = writeManifest(pool, [{name: 'first', run: 'true'}, slow('slow')])
    const run = startBuild(m.dir)
    await until(() => existsSync(join(m.dir, 'step.pid')), 'the step to start')
    run.kill('SIGHUP')
    const r = await run
    expect(r.exitCode).toBe(1)
    expect(String(r.stderr)).toMatch(/step slow \(2 of 2\) was interrupted/)
    expect(String(r.stderr)).toMatch(/dcsnap resume -m dcsnap\.yaml --build 1/)
    const status = JSON.parse((await dcsnap(['status', '--json'], {cwd: m.dir, env})).stdout) as BuildStatus
    expect(status.steps.find(x => x.name === 'slow')?.state).toBe('interrupted')
    expect(status.orphan).toBeNull()
  })

  test('SIGINT while zfs takes the baseline: the zfs calls finish (both datasets get dc-1), exit 1, resume goes on', async () => {
    const m = writeManifest(pool, [{name: 'a', run: 'echo a > "$DCSNAP_PROTO/a"'}])
    // A zfs whose snapshots take a second, to be interrupted inside one.
    const slow = join(m.dir, 'slow-zfs')
    writeFileSync(slow, '#!/bin/sh\ncase "$1" in snapshot) touch "$0.started"; sleep 1;; esac\nexec zfs "$@"\n', {
      mode: 0o755,
    })
    const run = execa('node', [join(repoRoot, 'bin', 'run.js'), 'build', '-q'], {
      cwd: m.dir,
      reject: false,
      env: {NO_COLOR: '1', ...env, DCSNAP_ZFS: slow},
    })
    await until(() => existsSync(`${slow}.started`), 'the baseline snapshot to start')
    run.kill('SIGINT')
    const r = await run
    expect(r.exitCode).toBe(1)
    expect(String(r.stderr)).toMatch(/build 1 was interrupted before step a/)
    expect(String(r.stderr)).toMatch(/dcsnap resume -m dcsnap\.yaml --build 1/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1'])
    expect(await snapshotsOf(pool.cache)).toEqual(['dc-1'])
    const done = await dcsnap(['resume', '-q'], {cwd: m.dir, env})
    expect(done.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-a'])
  })

  test('a checkpoint that zfs refuses: exit 1 naming the step and the resume command; resume runs the step again', async () => {
    const m = writeManifest(pool, [
      {name: 'a', run: 'echo a >> "$DCSNAP_PROTO/a"'},
      {name: 'b', run: 'true'},
    ])
    // The third zfs snapshot call is the first of a's checkpoint (on zfs-fuse one call per dataset; OpenZFS: b's).
    const chaos = {
      DCSNAP_ZFS: `${join(repoRoot, 'fixtures', 'bin', 'chaos-zfs')} zfs`,
      CHAOS_ACTION: 'fail',
      CHAOS_MATCH: '^snapshot',
      CHAOS_AT: '3',
      CHAOS_COUNT: join(m.dir, 'count'),
    }
    const r = await dcsnap(['build', '-q'], {cwd: m.dir, env: {...env, ...chaos}})
    expect(r.exitCode).toBe(1)
    const lines = r.stderr.trim().split('\n').slice(-2)
    expect(lines[0]).toMatch(
      /^error: build 1: step a succeeded but its checkpoint dc-1-a could not be taken: .*injected by the chaos suite/,
    )
    expect(lines[1]).toBe('Fix what zfs reports, then run: dcsnap resume -m dcsnap.yaml --build 1 (a runs again)')
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1'])
    const done = await dcsnap(['resume', '-q'], {cwd: m.dir, env})
    expect(done.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-a', 'dc-1-b'])
    // The rollback to dc-1 before a ran again: its output is there once.
    expect(readFileSync(join(pool.mountpoint, 'proto', 'a'), 'utf8')).toBe('a\n')
  })
})
