// The SPEC's resume rules 1-5 as a pure plan: where to resume, what is rolled back and destroyed, what runs.
import {RefusedError, UsageError} from '../errors.js'
import type {StepDefinition} from '../manifest/manifest.js'
import {stepIdentity, stepsHash} from '../manifest/manifest.js'
import {planRollback, type RollbackPlan} from '../operations/rollback.js'
import type {KeyDifference} from '../cache/key.js'
import {describeMiss} from '../cache/plan.js'
import type {Build, Inventory, SnapshotSet} from '../snapshots/inventory.js'

/** A difference between the recorded step definitions and the manifest given now. */
export interface StepChange {
  index: number
  step: string
  change: 'modified' | 'added' | 'removed'
  /** For a step whose key changed: the first of its own inputs that differs (a script, an input, an env var). */
  input?: KeyDifference
}

/** What a resume will do. */
export interface ResumePlan {
  build: string
  /** The step it resumes at. */
  from: StepDefinition
  /** The checkpoint rolled back to (the baseline when resuming at the first step). */
  target: SnapshotSet
  rollback: RollbackPlan
  /** Steps that will run, in order. */
  run: StepDefinition[]
  /** Every difference between the recorded steps and the given ones. */
  changes: StepChange[]
  /** The build goes on from the head as it is (after a pause, or --keep-changes): nothing is rolled back (rule 6). */
  continueAsIs?: boolean
}

/** What the plan is made from. */
export interface ResumeInputs {
  inventory: Inventory
  build: Build
  /** The steps that will run: the given manifest's, or the recorded one's. */
  steps: StepDefinition[]
  /** The step definitions recorded with the build, when the record is there. */
  recorded?: StepDefinition[]
  step?: string
  allowChanged?: boolean
  force?: boolean
  /** For steps the build reused from a cache (SPEC 6): the checkpoint holding the state after each. */
  cached?: ReadonlyMap<string, SnapshotSet>
  /** For a build that reused steps: the state before its first step (its base; its own baseline holds the reused steps' result). */
  start?: SnapshotSet
  /** Steps whose recorded key differs from their key now (a script or input edited), found by the caller. */
  keyChanges?: StepChange[]
}

/** Plans a resume, or throws the refusal (exit 3) or input error (exit 2) the SPEC asks for. */
export function planResume(i: ResumeInputs): ResumePlan {
  const {inventory, build, steps} = i
  const checkpoint = (s: StepDefinition) =>
    build.checkpoints.find(c => c.step === s.name && c.complete) ?? i.cached?.get(s.name)
  const firstMissing = steps.findIndex(s => !checkpoint(s))
  let k: number
  if (i.step === undefined) {
    if (firstMissing < 0) {
      throw new RefusedError(
        'BUILD_COMPLETED',
        `build ${build.id} completed: all ${steps.length} steps have checkpoints`,
        `Name a step to re-run from, e.g. \`dcsnap resume ${steps.at(-1)!.name}\`.`,
      )
    }
    k = firstMissing
  } else {
    k = steps.findIndex(s => s.name === i.step)
    if (k < 0)
      throw new UsageError(
        'NO_SUCH_STEP',
        `no step "${i.step}" in the manifest`,
        `Steps: ${steps.map(s => s.name).join(', ')}.`,
      )
    if (firstMissing >= 0 && k > firstMissing) {
      throw new RefusedError(
        'RESUME_TOO_LATE',
        `cannot resume build ${build.id} at ${i.step}: step ${steps[firstMissing].name} before it has no checkpoint`,
        `The latest step to resume at is ${steps[firstMissing].name}: \`dcsnap resume ${steps[firstMissing].name}\`.`,
      )
    }
  }
  const from = steps[k]
  const changes = mergeChanges(i.recorded ? diffSteps(i.recorded, steps) : [], i.keyChanges ?? [])
  const before = changes.filter(c => c.index < from.index)
  // A build that reused steps has a baseline holding their result: before its first step is its start, the base.
  const target =
    k === 0
      ? (i.start ?? (build.baseline?.user['dcsnap:cached'] === undefined ? build.baseline : undefined))
      : checkpoint(steps[k - 1])
  if (!target || !target.complete) {
    throw new RefusedError(
      'NO_CHECKPOINT',
      `build ${build.id} has no complete ${k === 0 ? 'baseline' : `checkpoint of ${steps[k - 1].name}`} to resume from`,
      'Start a new build with `dcsnap build`.',
    )
  }
  if (!i.allowChanged) {
    if (before.length > 0) {
      throw new RefusedError(
        'MANIFEST_CHANGED',
        `steps before ${from.name} changed since build ${build.id} ran: ${before.map(c => `${c.step} (${c.input ? describeMiss({code: 'input', difference: c.input}) : c.change})`).join(', ')}`,
        `Resume at the first changed step (\`dcsnap resume ${before[0].step}\`), or pass --allow-changed to keep their old results.`,
        {changes: before},
      )
    }
    const recordedHash = target.user['dcsnap:steps']
    if (!i.recorded && k > 0 && recordedHash && recordedHash !== stepsHash(steps, k)) {
      throw new RefusedError(
        'MANIFEST_CHANGED',
        `the steps up to ${steps[k - 1].name} differ from those recorded on ${target.name}`,
        'Resume at an earlier step, or pass --allow-changed to keep their old results.',
      )
    }
  }
  const rollback = planRollback(inventory, target, {force: i.force})
  return {build: build.id, from, target, rollback, run: steps.slice(k), changes}
}

/** Position by position, how the given steps differ from the recorded ones. */
export function diffSteps(recorded: readonly StepDefinition[], given: readonly StepDefinition[]): StepChange[] {
  const changes: StepChange[] = []
  for (let n = 0; n < Math.max(recorded.length, given.length); n++) {
    const r = recorded[n]
    const g = given[n]
    if (!r) changes.push({index: n + 1, step: g.name, change: 'added'})
    else if (!g) changes.push({index: n + 1, step: r.name, change: 'removed'})
    else if (JSON.stringify(keyedIdentity(r)) !== JSON.stringify(keyedIdentity(g)))
      changes.push({index: n + 1, step: g.name, change: 'modified'})
  }
  return changes
}

/** What of a definition goes into its cache key (SPEC 6): not its description or timeout. */
function keyedIdentity(s: StepDefinition): unknown {
  return {...(stepIdentity(s) as Record<string, unknown>), timeoutMs: undefined}
}

/** The definition changes and the key changes, one per step (a key change names the input). */
function mergeChanges(definitions: StepChange[], keys: StepChange[]): StepChange[] {
  const byIndex = new Map(definitions.map(c => [c.index, c]))
  for (const k of keys) {
    const d = byIndex.get(k.index)
    if (!d || d.change === 'modified') byIndex.set(k.index, k.input || !d ? k : d)
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index)
}
