import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stepKey} from '../../../src/cache/key.js'
import {describeMiss, planCache, type CachePlanInputs} from '../../../src/cache/plan.js'
import type {StepDefinition} from '../../../src/manifest/manifest.js'
import {Inventory} from '../../../src/snapshots/inventory.js'
import type {ZfsSnapshot} from '../../../src/zfs/listing.js'

const dir = mkdtempSync(join(tmpdir(), 'dcsnap-plan-'))
const step = (name: string, index: number, over: Partial<StepDefinition> = {}): StepDefinition => ({
  name,
  index,
  run: ['true', name],
  env: {},
  ...over,
})
const steps = ['a', 'b', 'c'].map((n, i) => step(n, i + 1))
const BASE = 'guid:1'

/** The keys of `list` from the base, in order. */
async function keysOf(list: StepDefinition[] = steps): Promise<string[]> {
  const keys: string[] = []
  let parent = BASE
  for (const s of list) {
    parent = (await stepKey({step: s, manifestDir: dir, parent})).key
    keys.push(parent)
  }
  return keys
}

/** An inventory of p/proto and p/cache with these snapshots (name and user properties; the cache's may differ). */
function inventory(
  snaps: Array<{name: string; user?: Record<string, string>; cacheUser?: Record<string, string>; creation?: number}>,
): Inventory {
  const list: ZfsSnapshot[] = []
  snaps.forEach((s, i) => {
    for (const ds of ['p/proto', 'p/cache']) {
      list.push({
        name: `${ds}@${s.name}`,
        dataset: ds,
        snapshot: s.name,
        createtxg: i + 1,
        creation: s.creation ?? 1_000_000,
        used: 0,
        referenced: 0,
        userrefs: 0,
        guid: String(100 + i),
        user: (ds === 'p/cache' ? (s.cacheUser ?? s.user) : s.user) ?? {},
      })
    }
  })
  return new Inventory(['p/proto', 'p/cache'], {datasets: [], snapshots: list})
}

const plan = (inv: Inventory, over: Partial<CachePlanInputs> = {}) =>
  planCache({inventory: inv, steps, manifestDir: dir, baseIdentity: BASE, now: 1_000_000_000, ...over})

test('the longest prefix whose last key has a complete, untainted checkpoint hits; the rest run', async () => {
  const [ka, kb] = await keysOf()
  const inv = inventory([
    {name: 'dc-1'},
    {name: 'dc-1-a', user: {'dcsnap:key': ka}},
    {name: 'dc-1-b', user: {'dcsnap:key': kb}},
  ])
  const p = await plan(inv)
  expect(p.cached).toBe(2)
  expect(p.restore?.name).toBe('dc-1-b')
  expect(p.steps.map(s => s.hit ?? s.miss?.code)).toEqual(['dc-1-a', 'dc-1-b', 'new'])
})

test('a key that differs between the datasets, or a tainted one, never hits', async () => {
  const [ka, kb] = await keysOf()
  const mismatch = inventory([
    {name: 'dc-1-a', user: {'dcsnap:key': ka}},
    {name: 'dc-1-b', user: {'dcsnap:key': kb}, cacheUser: {'dcsnap:key': 'other'}},
  ])
  expect((await plan(mismatch)).restore?.name).toBe('dc-1-a')
  const tainted = inventory([{name: 'dc-1-a', user: {'dcsnap:key': ka, 'dcsnap:tainted': 'built --on-top'}}])
  const p = await plan(tainted)
  expect(p.cached).toBe(0)
  expect(p.steps[0].miss).toEqual({code: 'tainted', checkpoint: 'dc-1-a', why: 'built --on-top'})
})

test('cache: false, --rebuild-from, --no-cache and a missing base force runs, each named', async () => {
  const keys = await keysOf()
  const inv = inventory(keys.map((k, i) => ({name: `dc-1-${'abc'[i]}`, user: {'dcsnap:key': k}})))
  expect((await plan(inv)).cached).toBe(3)
  const noCacheB = await plan(inv, {steps: [steps[0], {...steps[1], cache: false}, steps[2]]})
  expect(noCacheB.steps.map(s => s.hit ?? describeMiss(s.miss!))).toEqual([
    'dc-1-a',
    'cache: false on b',
    'cache: false on b',
  ])
  expect((await plan(inv, {runFrom: {step: 'c', reason: {code: 'rebuild-from', step: 'c'}}})).cached).toBe(2)
  expect((await plan(inv, {noHits: {code: 'no-cache'}})).steps.map(s => s.miss?.code)).toEqual([
    'no-cache',
    'no-cache',
    'no-cache',
  ])
  expect((await plan(inv, {baseIdentity: undefined})).cached).toBe(0)
})

test('max-age: a step whose reused run is too old runs again, from the last step that may be reused', async () => {
  const keys = await keysOf()
  const old = inventory(
    keys.map((k, i) => ({name: `dc-1-${'abc'[i]}`, user: {'dcsnap:key': k}, creation: 1_000_000 - 10})),
  )
  const aged = [steps[0], {...steps[1], cache: {maxAgeMs: 5_000}}, steps[2]]
  const p = await plan(old, {steps: aged, now: 1_000_000 * 1000})
  expect(p.cached).toBe(1)
  expect(describeMiss(p.steps[1].miss!)).toBe('dc-1-b is older than its cache max-age (5s)')
  expect((await plan(old, {steps: aged, now: (1_000_000 - 8) * 1000})).cached).toBe(3)
})

test('a step that misses names the first of its own inputs that differs from the latest build, else "parent missed"', async () => {
  const keys = await keysOf()
  const changed = [steps[0], step('b', 2, {env: {X: '1'}}), steps[2]]
  const previous = (
    await Promise.all(steps.map((s, i) => stepKey({step: s, manifestDir: dir, parent: i === 0 ? BASE : keys[i - 1]})))
  ).map((k, i) => ({
    name: steps[i].name,
    index: i + 1,
    hash: '',
    status: 'done' as const,
    key: k.key,
    keyInputs: k.inputs,
  }))
  const p = await plan(inventory([{name: 'dc-1-a', user: {'dcsnap:key': keys[0]}}]), {steps: changed, previous})
  expect(p.steps.map(s => s.hit ?? describeMiss(s.miss!))).toEqual([
    'dc-1-a',
    'env X was added',
    'the step before it runs (parent missed)',
  ])
})
