// The chaos suite itself works: a tiny round of each experiment runs on pools of its own and reports
// trials and violations in the shape `npm run chaos` prints, and finds none.
import {expect} from '@jest/globals'
import {execa} from 'execa'
import {join} from 'node:path'
import {faults} from '../../chaos/faults.js'
import {kill9} from '../../chaos/kill9.js'
import {racers} from '../../chaos/racers.js'
import {summaryLine, type ExperimentResult} from '../../chaos/report.js'
import {repoRoot} from '../support/paths.js'
import {host} from '../support/zfs-host.js'

const quiet = () => {}

function expectWellFormed(r: ExperimentResult, name: string): void {
  expect(r.name).toBe(name)
  expect(r.trials).toBeGreaterThan(0)
  for (const v of r.violations) {
    expect(v).toEqual({
      trial: expect.any(String),
      what: expect.any(String),
      repro: expect.stringContaining('npm run chaos -- --only'),
    })
  }
  expect(summaryLine(r)).toMatch(new RegExp(`^${name}: ${r.trials} trials, ${r.violations.length} violations`))
  expect(r.violations).toEqual([])
}

// The chaos suite runs steps on this machine against zfs-fuse pools it makes itself.
const describeLocal = host.tier === 'zfs-fuse' ? describe : describe.skip

describeLocal('chaos suite', () => {
  test('the CLI prints its usage and refuses an unknown experiment with exit 2', async () => {
    const help = await execa('node', [join(repoRoot, 'dist', 'chaos', 'run.js'), '--help'], {reject: false})
    expect(help.exitCode).toBe(0)
    expect(help.stderr).toMatch(/--only kill9,faults,racers,fuzz/)
    const bad = await execa('node', [join(repoRoot, 'dist', 'chaos', 'run.js'), '--only', 'nope'], {reject: false})
    expect(bad.exitCode).toBe(2)
  })

  test('kill9: two trials compare every checkpoint and the final tree with a clean build', async () => {
    const r = await kill9({trials: 2, seed: 11, log: quiet})
    expectWellFormed(r, 'kill9')
    expect(r.trials).toBe(2)
  }, 300_000)

  test('faults: one fault in snapshot and one in rename, then the next run', async () => {
    const r = await faults({seed: 11, small: true, commands: ['snapshot', 'rename'], log: quiet})
    expectWellFormed(r, 'faults')
    expect(r.trials).toBe(2)
  }, 300_000)

  test('racers: four racers on overlapping datasets', async () => {
    const r = await racers({count: 4, seed: 11, log: quiet})
    expectWellFormed(r, 'racers')
    expect(r.trials).toBe(4)
  }, 300_000)
})
