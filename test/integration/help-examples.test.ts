// Every example in every command's --help works when pasted, in examples/quickstart, on a sandbox made by the
// `sandbox create` example itself. The pool is given a name of this test's own (DCSNAP_SANDBOX_POOL, and the same
// name in a copy of the quickstart manifest) so the test never depends on, or touches, a user's sandbox.
import {execa} from 'execa'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {COMMANDS} from '../../commands/index.js'
import {repoRoot} from '../support/paths.js'
import {describeWhere, has, host, stepsSeeMounts, STEPS_WHY} from '../support/zfs-host.js'

/** The order a user could paste them in: each example finds what the ones before it made. */
const SEQUENCE = [
  'sandbox create',
  'build',
  'build --pause-after configure',
  'resume',
  'destroy --whole-build 2 --dry-run',
  'resume configure --dry-run',
  'build --dry-run',
  'why',
  'why configure --json',
  'build --rebuild-from configure',
  'build --build nightly.42 --interactive',
  'resume compress --yes --allow-changed --build nightly.42',
  'status',
  'status --build 1 --json',
  'log',
  'log configure --build 1 --attempt 1',
  'log --follow',
  'stop --dry-run',
  'stop --grace 2',
  'list',
  'list --all',
  'list --json -d dcsandbox/proto -d dcsandbox/cache',
  'rollback compress --discard --dry-run',
  'snapshot before-experiment',
  'snapshot try-gzip9 -d dcsandbox/proto -d dcsandbox/cache',
  'diff install configure',
  'diff dc-1-compress --json',
  'rollback before-experiment --discard --force --yes',
  'rename before-experiment good-baseline',
  'rename good-baseline known-good -m dcsnap.yaml',
  'hold configure',
  'release configure',
  'hold dc-1-compress --json',
  'release dc-1-compress --json',
  'destroy known-good --dry-run',
  'destroy known-good',
  'rollback compress',
  'resume configure --build 1',
  'rollback k1:dc-1-image',
  'prune --keep 2 --dry-run',
  'prune --keep 1 --json',
  'push dcsandbox/replica --dry-run',
  'push dcsandbox/replica',
  'pull dcsandbox/replica --into dcsandbox/copy --dry-run',
  'pull dcsandbox/replica --into dcsandbox/copy',
  'sandbox destroy',
  'sandbox create --size 1G',
  'sandbox destroy --json',
]

/** Every example of dcsnap's own commands, as typed after `dcsnap `. */
function helpExamples(): string[] {
  return Object.values(COMMANDS).flatMap(command =>
    (command.examples ?? []).map(e => {
      const line = typeof e === 'string' ? e : e.command
      return line.replace('<%= config.bin %> ', '')
    }),
  )
}

test('the sequence below runs every help example exactly once', () => {
  expect([...SEQUENCE].sort()).toEqual(helpExamples().sort())
})

describeWhere(stepsSeeMounts, 'help examples pasted in examples/quickstart', STEPS_WHY, () => {
  const pool = `dcx${process.pid}${Math.random().toString(36).slice(2, 6)}`
  const work = mkdtempSync(join(tmpdir(), 'dcsnap-examples-'))
  const dir = join(work, 'quickstart')
  const bin = join(work, 'bin')
  const env = {
    ...host.env,
    NO_COLOR: '1',
    XDG_CACHE_HOME: join(work, 'cache'),
    DCSNAP_SANDBOX_POOL: pool,
    PATH: `${bin}:${process.env.PATH}`,
  }

  beforeAll(() => {
    cpSync(join(repoRoot, 'examples', 'quickstart'), dir, {recursive: true})
    rmSync(join(dir, 'site.conf'), {force: true})
    const manifest = join(dir, 'dcsnap.yaml')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replaceAll('dcsandbox', pool))
    writeFileSync(join(dir, 'site.conf'), 'hostname=examples\n')
    mkdirSync(bin)
    symlinkSync(join(repoRoot, 'bin', 'run.js'), join(bin, 'dcsnap'))
  })
  afterAll(async () => {
    await execa('dcsnap', ['sandbox', 'destroy'], {env, reject: false})
    rmSync(join('/var/tmp/dcsnap-sandbox', pool), {recursive: true, force: true})
    rmSync(work, {recursive: true, force: true})
  })

  test.each(SEQUENCE.map(line => [line]))('dcsnap %s', async line => {
    const pasted = `dcsnap ${line.replaceAll('dcsandbox', pool)}`
    const r = await execa('sh', ['-c', pasted], {cwd: dir, env, reject: false, stdin: 'ignore'})
    const output = `$ ${pasted}\n${r.stdout}\n${r.stderr}`
    if (line.startsWith('diff') && !has.diff) {
      expect(`exit ${r.exitCode}: ${output}`).toMatch(/^exit 1: [^]*has no `zfs diff`/)
      return
    }
    expect(`exit ${r.exitCode}: ${output}`).toMatch(/^exit 0: /)
    if (line.includes('--json')) expect(() => JSON.parse(String(r.stdout)) as unknown).not.toThrow()
  })
})
