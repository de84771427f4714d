// Which steps of a new build are cache hits (SPEC 6): the longest prefix whose keys match complete, untainted
// checkpoints on the head or a kept line, and for every other step why it runs, down to the input that differs.
import type {StepDefinition} from '../manifest/manifest.js'
import type {StepRecord} from '../runner/record.js'
import {HEAD_LINE} from '../lines/names.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {diffKeyInputs, stepKey, type KeyDifference, type StepKey} from './key.js'

/** Why a step runs instead of being reused. */
export type MissReason =
  /** Its key is new: this input differs from the latest build that ran the step. */
  | {code: 'input'; difference: KeyDifference}
  /** The step before it runs, so what it starts from is new. */
  | {code: 'parent'}
  /** No earlier build ran it (or none left a record to compare with). */
  | {code: 'new'}
  /** Checkpoints with its key exist, but every one is older than `cache: {max-age}`. */
  | {code: 'expired'; checkpoint: string; maxAgeMs: number}
  /** Checkpoints with its key exist, but every one is tainted (hand changes, --on-top, ...). */
  | {code: 'tainted'; checkpoint: string; why: string}
  /** `cache: false` on this step, or on an earlier one. */
  | {code: 'cache-false'; step: string}
  | {code: 'no-cache'}
  | {code: 'rebuild-from'; step: string}
  /** `--pause-before`/`--pause-after` named this step or an earlier one: it runs so the pause has something to stop at. */
  | {code: 'pause'; step: string}
  | {code: 'on-top'}
  /** The data cache is a temporary directory, which no clone can restore. */
  | {code: 'tmp-data-cache'}

/** One step of the plan: reused from a checkpoint, or run and why. */
export interface StepCachePlan {
  step: string
  index: number
  key: StepKey
  /** The checkpoint the step's result is reused from (`LINE:` first when not on the head's line). */
  hit?: string
  /** That checkpoint: in the history of the one the build starts from, so on the head's line once the head is there. */
  hitSet?: SnapshotSet
  miss?: MissReason
}

/** A build's cache plan: every step, and the checkpoint the build starts from when a prefix hits. */
export interface CachePlan {
  steps: StepCachePlan[]
  /** The checkpoint holding the state after the last reused step. */
  restore?: SnapshotSet
  /** How many steps are reused. */
  cached: number
}

/** What a plan is made from. */
export interface CachePlanInputs {
  inventory: Inventory
  steps: StepDefinition[]
  manifestDir: string
  /** The base's identity, the first step's parent (undefined before a first build: nothing can hit). */
  baseIdentity?: string
  /** The latest build's record, to name what differs for a step that misses. */
  previous?: StepRecord[]
  /** A reason no step may hit (--no-cache, --on-top, a temp-dir data cache). */
  noHits?: MissReason
  /** This step and every one after it run (--rebuild-from, a pause). */
  runFrom?: {step: string; reason: MissReason}
  /** Milliseconds since the epoch (for `max-age`). */
  now?: number
}

/** Plans which steps hit; reads each program and input once, changes nothing. */
export async function planCache(i: CachePlanInputs): Promise<CachePlan> {
  const keys: StepKey[] = []
  let parent = i.baseIdentity ?? 'unknown'
  for (const step of i.steps) {
    const k = await stepKey({step, manifestDir: i.manifestDir, inputs: step.inputs, parent})
    keys.push(k)
    parent = k.key
  }
  // Steps at or after `limit` run whatever the cache holds.
  let limit = i.steps.length
  const forced = new Map<number, MissReason>()
  const force = (at: number, reason: MissReason) => {
    if (at < limit) limit = at
    for (let n = at; n < i.steps.length; n++) if (!forced.has(n)) forced.set(n, reason)
  }
  if (i.noHits || i.baseIdentity === undefined) force(0, i.noHits ?? {code: 'new'})
  if (i.runFrom)
    force(
      Math.max(
        0,
        i.steps.findIndex(s => s.name === i.runFrom!.step),
      ),
      i.runFrom.reason,
    )
  i.steps.forEach((s, n) => {
    if (s.cache === false) force(n, {code: 'cache-false', step: s.name})
  })
  const byKey = candidatesByKey(i.inventory)
  const now = i.now ?? Date.now()
  let restore: SnapshotSet | undefined
  let cached = 0
  for (let k = limit - 1; k >= 0 && !restore; k--) {
    for (const c of byKey.get(keys[k].key) ?? []) {
      if (i.steps.slice(0, k + 1).every((s, j) => fresh(i.inventory, c, keys[j].key, s, now))) {
        restore = c
        cached = k + 1
        break
      }
    }
  }
  const steps = i.steps.map((step, n): StepCachePlan => {
    const entry = {step: step.name, index: step.index, key: keys[n]}
    if (restore && n < cached) {
      const from = sourceOf(i.inventory, restore, keys[n].key) ?? restore
      return {...entry, hit: qualified(from), hitSet: from}
    }
    return {...entry, miss: forced.get(n) ?? whyMiss(i, byKey, step, keys[n], n === cached, now)}
  })
  return {steps, restore, cached}
}

/** Complete checkpoints (and cache-hit baselines) whose every member carries the same untainted key, head first, then newest first. */
function candidatesByKey(inventory: Inventory): Map<string, SnapshotSet[]> {
  const seen = new Set<string>()
  const byKey = new Map<string, SnapshotSet[]>()
  // The head's line, the kept lines, then the replica's (a hit there is cloned, never promoted).
  for (const view of inventory.withUpstream()) {
    for (const s of [...view.snapshots].reverse()) {
      const key = s.user['dcsnap:key']
      if (!key || !s.complete || seen.has(s.members[0].name)) continue
      seen.add(s.members[0].name)
      if (!s.members.every(m => m.user['dcsnap:key'] === key && m.user['dcsnap:tainted'] === undefined)) continue
      let list = byKey.get(key)
      if (!list) byKey.set(key, (list = []))
      list.push(s)
    }
  }
  return byKey
}

/** Every key's sets including tainted or mismatched ones (to say why a key that exists does not hit). */
function anyWithKey(inventory: Inventory, key: string): SnapshotSet[] {
  return inventory.withUpstream().flatMap(v => v.snapshots.filter(s => s.user['dcsnap:key'] === key))
}

/** The checkpoint where a step last ran in the history of `restore` (its line's lineage, up to it). */
function sourceOf(inventory: Inventory, restore: SnapshotSet, key: string): SnapshotSet | undefined {
  const view = inventory.viewOf(restore) ?? inventory
  return [...view.snapshots]
    .reverse()
    .find(s => s.txg <= restore.txg && s.kind === 'checkpoint' && s.user['dcsnap:key'] === key)
}

/** A step's reused result is young enough for its `max-age` (steps without one always are). */
function fresh(inventory: Inventory, restore: SnapshotSet, key: string, step: StepDefinition, now: number): boolean {
  if (step.cache === undefined || step.cache === false) return true
  const ran = sourceOf(inventory, restore, key)
  return ran !== undefined && now - ran.creation * 1000 <= step.cache.maxAgeMs
}

function whyMiss(
  i: CachePlanInputs,
  byKey: Map<string, SnapshotSet[]>,
  step: StepDefinition,
  key: StepKey,
  firstMiss: boolean,
  now: number,
): MissReason {
  const matching = byKey.get(key.key) ?? []
  if (firstMiss && matching.length > 0 && step.cache !== undefined && step.cache !== false) {
    const newest = matching.reduce((a, b) => (a.creation >= b.creation ? a : b))
    if (now - newest.creation * 1000 > step.cache.maxAgeMs)
      return {code: 'expired', checkpoint: qualified(newest), maxAgeMs: step.cache.maxAgeMs}
  }
  if (firstMiss && matching.length === 0) {
    const tainted = anyWithKey(i.inventory, key.key).find(s =>
      s.members.some(m => m.user['dcsnap:tainted'] !== undefined),
    )
    if (tainted)
      return {
        code: 'tainted',
        checkpoint: qualified(tainted),
        why: tainted.members.find(m => m.user['dcsnap:tainted'])!.user['dcsnap:tainted'],
      }
  }
  const before = i.previous?.find(r => r.name === step.name)?.keyInputs
  const own = before ? diffKeyInputs(before, key.inputs).filter(d => d.kind !== 'parent') : []
  if (own.length > 0) return {code: 'input', difference: own[0]}
  if (!firstMiss) return {code: 'parent'}
  return before ? {code: 'parent'} : {code: 'new'}
}

/** A snapshot's name as a user names it: `dc-1-configure`, or `k1:dc-1-configure` on a kept line. */
export function qualified(s: SnapshotSet): string {
  return s.line === HEAD_LINE ? s.name : `${s.line}:${s.name}`
}

/** One line saying why a step runs. */
export function describeMiss(m: MissReason): string {
  switch (m.code) {
    case 'input': {
      const d = m.difference
      const what =
        d.kind === 'env'
          ? `env ${d.name}`
          : d.kind === 'definition'
            ? `its ${d.name}`
            : d.kind === 'scheme'
              ? 'the key scheme'
              : d.name
      return `${what} ${d.change === 'changed' ? 'changed' : d.change === 'appeared' ? (d.kind === 'env' ? 'was added' : 'appeared') : d.kind === 'env' ? 'was removed' : 'went'}`
    }
    case 'parent':
      return 'the step before it runs (parent missed)'
    case 'new':
      return 'no earlier build ran it with these inputs'
    case 'expired':
      return `${m.checkpoint} is older than its cache max-age (${formatAge(m.maxAgeMs)})`
    case 'tainted':
      return `${m.checkpoint} has its key but is tainted: ${m.why}`
    case 'cache-false':
      return m.step === '' ? 'cache: false' : `cache: false on ${m.step}`
    case 'no-cache':
      return '--no-cache'
    case 'rebuild-from':
      return `--rebuild-from ${m.step}`
    case 'pause':
      return `the pause at ${m.step}`
    case 'on-top':
      return '--on-top builds on the head as it is'
    case 'tmp-data-cache':
      return 'the data cache is a temporary directory (datasets.cache is not set), which cannot be restored by clone'
  }
}

function formatAge(ms: number): string {
  const units: Array<[string, number]> = [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${ms / n}${u}`
  return `${ms / 1000}s`
}
