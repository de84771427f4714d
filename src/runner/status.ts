// `dcsnap status`: each manifest step in order, done / failed / pending, resumable or not, and who holds the lock.
import {selectBuild} from '../snapshots/resolve.js'
import type {LockHolder} from '../lock/lock-file.js'
import type {Orphan} from '../lock/orphans.js'
import {probeLocks} from '../lock/probe.js'
import {diffSteps, planResume} from './resume-plan.js'
import type {Runner} from './runner.js'

/** One step's line in the status. */
export interface StepStatus {
  index: number
  name: string
  description: string | null
  state: 'done' | 'cached' | 'failed' | 'timed-out' | 'interrupted' | 'running' | 'orphaned' | 'pending'
  /** `dcsnap resume <step>` would be accepted (no flag needed). */
  resumable: boolean
  /** Its checkpoint; for a cached step, the checkpoint its result was reused from. */
  checkpoint: string | null
  /** The step's definition differs from the one recorded with the build. */
  changed: boolean
  log: string | null
  /** How long its latest attempt ran (a step that ran in this build), in seconds. */
  durationSeconds: number | null
}

/** The whole status of a build. */
export interface BuildStatus {
  build: string | null
  datasets: string[]
  steps: StepStatus[]
  lock: LockHolder | null
  /** What still runs of a dcsnap that died (its step, a zfs call): `dcsnap stop` ends it. */
  orphan: Orphan | null
  completed: boolean
  resumeCommand: string | null
  /** The build's line: `head`, or the kept line that holds it. */
  line: string
  /** Checkpoints after which the build went on from a hand-changed head (rule 6). */
  handChangedAfter: string[]
  /** The steps' run time in this build, added up (reused steps count 0), in seconds. */
  totalSeconds: number
}

/** Reads the status of the latest build (or `build`) of a runner's manifest. */
export async function buildStatus(runner: Runner, opts: {build?: string} = {}): Promise<BuildStatus> {
  const inventory = await runner.loadInventory()
  const report = probeLocks(runner.session.datasets, runner.session.env)
  const lock = report.orphan ? null : (report.holder ?? null)
  const orphan = report.orphan ?? null
  const steps = runner.manifest.steps
  const datasets = [...runner.session.datasets]
  if (inventory.builds().length === 0 && opts.build === undefined) {
    return {
      build: null,
      datasets,
      lock,
      orphan,
      completed: false,
      resumeCommand: null,
      line: 'head',
      handChangedAfter: [],
      totalSeconds: 0,
      steps: steps.map(s => ({
        index: s.index,
        name: s.name,
        description: s.description ?? null,
        state: 'pending',
        resumable: false,
        checkpoint: null,
        changed: false,
        log: null,
        durationSeconds: null,
      })),
    }
  }
  const build = selectBuild(inventory, opts.build)
  const recorded = await runner.recordedSteps(build.id, inventory)
  const context = await runner.resumeContext(inventory, build, recorded?.record)
  const resumable = (step: string) => {
    try {
      const plan = planResume({inventory, build, steps, recorded: recorded?.steps, step, ...context})
      // A temp-dir data cache died with the process that made it (status always runs in a new one).
      return plan.target.user['dcsnap:cache'] !== 'tmp' || process.env.DCSNAP_UNSUPPORTED_TMP_RESUME === '1'
    } catch {
      return false
    }
  }
  const changes = [...(recorded ? diffSteps(recorded.steps, steps) : []), ...(context.keyChanges ?? [])]
  const rows = steps.map((s): StepStatus => {
    const cp = build.checkpoints.find(c => c.step === s.name && c.complete)
    const rec = recorded?.record.steps.find(r => r.name === s.name)
    let state: StepStatus['state'] = cp ? 'done' : rec && rec.status !== 'done' ? rec.status : 'pending'
    if (rec?.status === 'cached' && !cp) state = 'cached'
    // "running" in the record is only true while a dcsnap runs it; else it died, and the step was cut short or
    // still runs unsupervised.
    if (state === 'running' && orphan?.holder.step?.name === s.name) state = 'orphaned'
    else if (state === 'running' && !lock) state = 'interrupted'
    return {
      index: s.index,
      name: s.name,
      description: s.description ?? null,
      state,
      resumable: resumable(s.name),
      checkpoint: cp?.name ?? (state === 'cached' ? (rec?.cachedFrom ?? null) : null),
      changed: changes.some(c => c.index === s.index),
      log: rec?.log ?? null,
      durationSeconds:
        rec?.startedAt && rec.finishedAt
          ? Math.max(0, (Date.parse(rec.finishedAt) - Date.parse(rec.startedAt)) / 1000)
          : null,
    }
  })
  const completed = rows.every(r => r.state === 'done' || r.state === 'cached')
  // A build with nothing to resume from (e.g. an incomplete baseline) is not advertised as resumable.
  // While a live dcsnap holds the lock, a resume would only wait for it (exit 4): none is suggested.
  const resumeCommand = completed || lock || !rows.some(r => r.resumable) ? null : runner.resumeCommand(build.id)
  const totalSeconds = rows.reduce((t, r) => t + (r.durationSeconds ?? 0), 0)
  return {
    build: build.id,
    datasets,
    lock,
    orphan,
    completed,
    steps: rows,
    resumeCommand,
    line: build.line,
    handChangedAfter: recorded?.record.handChangedAfter ?? [],
    totalSeconds,
  }
}
