import {execa, type ResultPromise} from 'execa'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {snapshotsOf} from '../support/checkpoints.js'
import {seedSteps, writeManifest} from '../support/manifest.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, describeWhere, stepsSeeMounts, STEPS_WHY, zfsOk} from '../support/zfs-host.js'

/** Runs dcsnap in a real terminal (`script`), with a way to wait for the n-th match of a prompt in its output. */
function inTerminal(
  args: string[],
  cwd: string,
): {run: ResultPromise; output: () => string; prompt: (re: RegExp, n?: number) => Promise<void>} {
  const cmd = `node ${join(repoRoot, 'bin', 'run.js')} ${args.join(' ')}`
  const run = execa('script', ['-qfec', cmd, '/dev/null'], {cwd, reject: false, env: {NO_COLOR: '1', ...host.env}})
  let out = ''
  const waiters: Array<() => void> = []
  run.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const w of waiters) w()
  })
  const prompt = (re: RegExp, n = 1) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no prompt ${re}; output so far: ${out}`)), 60_000)
      const check = () => {
        if ((out.match(new RegExp(re.source, 'g')) ?? []).length >= n) {
          clearTimeout(timer)
          resolve()
        }
      }
      waiters.push(check)
      check()
    })
  return {run, output: () => out, prompt}
}

describeWhere(stepsSeeMounts, '--interactive', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  test('--interactive in a terminal: a failed step is retried in the same process, even with a temp-dir data cache', async () => {
    const m = writeManifest(pool, seedSteps(), {cache: false})
    // `script` gives dcsnap a real terminal; we answer its prompt after fixing the step.
    const t = inTerminal(['build', '-q', '--interactive'], m.dir)
    await t.prompt(/\[r\]etry/)
    writeFileSync(join(m.dir, 'fixed'), '')
    t.run.stdin!.write('r\n')
    const r = await t.run
    expect(r.exitCode).toBe(0)
    expect(String(r.stdout)).toMatch(/build 1 completed/)
    expect(await snapshotsOf(pool.proto)).toEqual([
      'dc-1',
      'dc-1-fetch',
      'dc-1-configure',
      'dc-1-compile',
      'dc-1-package',
      'dc-1-iso',
    ])
  })

  test('a retry runs the manifest as it is now, and the checkpoints it takes are tainted (never reused)', async () => {
    const m = writeManifest(pool, [
      {name: 'one', run: 'echo one'},
      {name: 'two', run: 'exit 7'},
    ])
    const t = inTerminal(['build', '-q', '--interactive'], m.dir)
    await t.prompt(/\[r\]etry/)
    writeManifest(
      pool,
      [
        {name: 'one', run: 'echo one'},
        {name: 'two', run: 'true'},
      ],
      {dir: m.dir},
    )
    t.run.stdin!.write('r\n')
    const r = await t.run
    expect(r.exitCode).toBe(0)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-one', 'dc-1-two'])
    expect((await zfsOk('get', '-H', '-o', 'value', 'dcsnap:tainted', `${pool.proto}@dc-1-two`)).trim()).toBe(
      'an interactive retry',
    )
  })

  test('--interactive applies resume rule 3: a step before the retried one that changed is refused at the prompt', async () => {
    // The failing step edits the manifest recorded with the build, as if step one had changed since it ran.
    const m = writeManifest(pool, [
      {name: 'one', run: 'echo one'},
      {
        name: 'two',
        run: `test -f fixed || { sed -i 's/echo one/echo ONE/' "$DCSNAP_DATA_CACHE/.dcsnap/manifest.yaml"; exit 7; }`,
      },
    ])
    const t = inTerminal(['build', '-q', '--interactive'], m.dir)
    await t.prompt(/\[r\]etry/)
    writeFileSync(join(m.dir, 'fixed'), '')
    t.run.stdin!.write('r\n')
    await t.prompt(/\[r\]etry/, 2)
    expect(t.output()).toMatch(/refused: steps before two changed since build 1 ran: one/)
    t.run.stdin!.write('s\n')
    const r = await t.run
    expect(r.exitCode).toBe(1)
    expect(String(r.stdout)).toMatch(/step two \(2 of 2\) failed/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-one'])
  })

  test('Ctrl-C at the --interactive prompt stops with the failure; Ctrl-C at a y/N prompt is a refusal (exit 3), not a dcsnap bug', async () => {
    const m = writeManifest(pool, [
      {name: 'one', run: 'true'},
      {name: 'two', run: 'test -f fixed'},
    ])
    const t = inTerminal(['build', '-q', '--interactive'], m.dir)
    await t.prompt(/\[r\]etry/)
    t.run.stdin!.write('\x03')
    const r = await t.run
    expect(r.exitCode).toBe(1)
    expect(String(r.stdout)).toMatch(/step two \(2 of 2\) failed[^]*Fix it, then run: dcsnap resume/)

    const rb = inTerminal(['rollback', 'dc-1', '--discard'], m.dir)
    await rb.prompt(/\[y\/N\]/)
    rb.run.stdin!.write('\x03')
    const refused = await rb.run
    expect(refused.exitCode).toBe(3)
    expect(String(refused.stdout)).toMatch(/error: not confirmed: nothing was changed/)
    expect(String(refused.stdout)).not.toMatch(/dcsnap bug/)
    expect(await snapshotsOf(pool.proto)).toEqual(['dc-1', 'dc-1-one'])
  })
})
