import {expect} from '@jest/globals'
import type {StepDefinition} from '../../../src/manifest/manifest.js'
import {stepsHash} from '../../../src/manifest/manifest.js'
import {diffSteps, planResume} from '../../../src/runner/resume-plan.js'
import {Inventory} from '../../../src/snapshots/inventory.js'
import type {ZfsSnapshot} from '../../../src/zfs/listing.js'

const step = (name: string, index: number, run = `do-${name}`): StepDefinition => ({name, index, run, env: {}})
const steps = ['a', 'b', 'c', 'd'].map((n, i) => step(n, i + 1))

function inventory(names: string[], extra: Partial<ZfsSnapshot> = {}): Inventory {
  const snaps = names.map((snapshot, i): ZfsSnapshot => ({
    name: `p/x@${snapshot}`,
    dataset: 'p/x',
    snapshot,
    createtxg: i + 1,
    creation: 0,
    used: 0,
    referenced: 0,
    userrefs: 0,
    user: {},
    ...extra,
  }))
  return new Inventory(['p/x'], {datasets: [], snapshots: snaps})
}

const plan = (
  names: string[],
  opts: {
    step?: string
    recorded?: StepDefinition[]
    given?: StepDefinition[]
    allowChanged?: boolean
    force?: boolean
  } = {},
) => {
  const inv = inventory(names)
  return planResume({
    inventory: inv,
    build: inv.build('1')!,
    steps: opts.given ?? steps,
    recorded: opts.recorded ?? steps,
    ...opts,
  })
}

describe('planResume', () => {
  test('rule 1: no STEP resumes at the first step without a checkpoint, rolling back to the one before', () => {
    const p = plan(['dc-1', 'dc-1-a', 'dc-1-b'])
    expect([p.from.name, p.target.name, p.run.map(s => s.name), p.rollback.destroy]).toEqual([
      'c',
      'dc-1-b',
      ['c', 'd'],
      [],
    ])
  })
  test('rule 1: the first step resumes from the baseline', () => {
    expect(plan(['dc-1']).target.name).toBe('dc-1')
  })
  test('rule 1: a completed build is refused (exit 3)', () => {
    expect(() => plan(['dc-1', 'dc-1-a', 'dc-1-b', 'dc-1-c', 'dc-1-d'])).toThrow(
      expect.objectContaining({exitCode: 3, code: 'BUILD_COMPLETED'}),
    )
  })
  test('rule 2: a STEP after the first without a checkpoint is refused naming the latest resumable', () => {
    expect(() => plan(['dc-1', 'dc-1-a'], {step: 'c'})).toThrow(
      expect.objectContaining({exitCode: 3, message: expect.stringContaining('step b before it has no checkpoint')}),
    )
  })
  test('rule 2: an earlier STEP rolls back further and destroys the later checkpoints', () => {
    const p = plan(['dc-1', 'dc-1-a', 'dc-1-b', 'dc-1-c', 'dc-1-d'], {step: 'b'})
    expect(p.rollback.destroy.map(s => s.name)).toEqual(['dc-1-b', 'dc-1-c', 'dc-1-d'])
  })
  test('rule 3: changes before STEP refuse unless allowed; at or after STEP they are fine', () => {
    const given = [steps[0], step('b', 2, 'new'), steps[2], steps[3]]
    expect(() => plan(['dc-1', 'dc-1-a', 'dc-1-b'], {given})).toThrow(
      expect.objectContaining({exitCode: 3, message: expect.stringContaining('b (modified)')}),
    )
    expect(plan(['dc-1', 'dc-1-a', 'dc-1-b'], {given, allowChanged: true}).from.name).toBe('c')
    expect(plan(['dc-1', 'dc-1-a'], {given}).from.name).toBe('b')
  })
  test("rule 3 without a record: the checkpoint's dcsnap:steps hash tells a change", () => {
    const inv = inventory(['dc-1', 'dc-1-a', 'dc-1-b'], {user: {'dcsnap:steps': stepsHash(steps, 2)}})
    const given = [step('a', 1, 'other'), ...steps.slice(1)]
    expect(() => planResume({inventory: inv, build: inv.build('1')!, steps: given})).toThrow(
      expect.objectContaining({code: 'MANIFEST_CHANGED'}),
    )
    expect(planResume({inventory: inv, build: inv.build('1')!, steps}).from.name).toBe('c')
  })
  test('rule 4: manual snapshots after the target are blockers unless forced', () => {
    expect(plan(['dc-1', 'dc-1-a', 'mine', 'dc-1-b'], {step: 'b'}).rollback.blockers).toEqual([
      {snapshot: 'mine', reason: 'manual'},
    ])
    expect(plan(['dc-1', 'dc-1-a', 'mine', 'dc-1-b'], {step: 'b', force: true}).rollback.blockers).toEqual([])
  })
})

test('diffSteps lists modified, added and removed steps by position', () => {
  expect(diffSteps(steps, [steps[0], step('b', 2, 'x'), steps[2]])).toEqual([
    {index: 2, step: 'b', change: 'modified'},
    {index: 4, step: 'd', change: 'removed'},
  ])
})
