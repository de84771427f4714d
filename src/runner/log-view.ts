// `dcsnap log`: which step's log of which build and attempt, its text, and following a step that runs.
import {open, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {UsageError} from '../errors.js'
import {splitLineTarget} from '../lines/names.js'
import {parseSnapshotName} from '../snapshots/names.js'
import {selectBuild} from '../snapshots/resolve.js'
import {stepLogs, type StepLog} from './logs.js'
import {readRecord, stoppedIn, type StepRecord} from './record.js'
import type {Runner} from './runner.js'

/** One log as `dcsnap log` shows it. */
export interface StepLogView {
  build: string
  step: string
  attempt: number
  /** Every attempt's log of the step, first first. */
  attempts: StepLog[]
  path: string
  /** The step's state in the build's record, when there is one. */
  status: StepRecord['status'] | null
  text: string
}

/** Which log: a step (default: where the build stopped, or its last step that ran), a build, an attempt. */
export interface LogQuery {
  step?: string
  build?: string
  attempt?: number
}

/** Finds a step's log and reads it; a step with no log (not run, or reused from the cache) is an error that says why. */
export async function stepLogView(runner: Runner, q: LogQuery): Promise<StepLogView> {
  const inventory = await runner.loadInventory()
  const build = selectBuild(inventory, q.build).id
  const record = (await runner.recordedSteps(build, inventory))?.record
  const steps =
    record?.steps ?? runner.manifest.steps.map(s => ({name: s.name, index: s.index, status: 'pending' as const}))
  let rec: (Pick<StepRecord, 'name' | 'index' | 'status'> & Partial<StepRecord>) | undefined
  if (q.step !== undefined) {
    const defined = runner.manifest.steps.find(s => s.name === q.step)
    rec =
      steps.find(s => s.name === q.step) ??
      (defined ? {name: defined.name, index: defined.index, status: 'pending'} : undefined)
    if (!rec)
      throw new UsageError(
        'NO_SUCH_STEP',
        `no step "${q.step}" in build ${build}`,
        `Steps: ${steps.map(s => s.name).join(', ')}.`,
      )
  } else {
    rec =
      steps.find(s => stoppedIn(s.status) || s.status === 'running') ??
      [...steps].reverse().find(s => s.status === 'done')
    if (!rec)
      throw new UsageError(
        'NO_LOG',
        `no step of build ${build} has run yet`,
        'Name a step of a build that ran it: `dcsnap log STEP --build ID`.',
      )
  }
  const attempts = await stepLogs(runner.manifest.logs, build, rec)
  if (attempts.length === 0) {
    const from =
      rec.status === 'cached' && rec.cachedFrom ? parseSnapshotName(splitLineTarget(rec.cachedFrom).name) : undefined
    if (from && from.kind !== 'manual') {
      throw new UsageError(
        'NO_LOG',
        `step ${rec.name} did not run in build ${build}: it was reused from ${rec.cachedFrom}`,
        `Its log is build ${from.build}'s: \`dcsnap log ${rec.name} --build ${from.build}\`.`,
      )
    }
    throw new UsageError(
      'NO_LOG',
      `step ${rec.name} has no log in build ${build}: it has not run`,
      '`dcsnap status` shows which steps ran.',
    )
  }
  const chosen = q.attempt === undefined ? attempts.at(-1)! : attempts.find(a => a.attempt === q.attempt)
  if (!chosen) {
    throw new UsageError(
      'NO_SUCH_ATTEMPT',
      `step ${rec.name} of build ${build} has no attempt ${q.attempt}`,
      `Attempts: ${attempts.map(a => a.attempt).join(', ')}.`,
    )
  }
  return {
    build,
    step: rec.name,
    attempt: chosen.attempt,
    attempts,
    path: chosen.path,
    status: rec.status ?? null,
    text: await readFile(chosen.path, 'utf8'),
  }
}

/** Writes the log's text, then what the step adds to it, until the build's record says the step no longer runs. */
export async function followLog(
  runner: Runner,
  view: StepLogView,
  write: (chunk: Buffer) => void,
  pollMs = 250,
): Promise<void> {
  const file = await open(view.path, 'r')
  try {
    let at = 0
    const drain = async () => {
      const buf = Buffer.alloc(64 * 1024)
      for (;;) {
        const {bytesRead} = await file.read(buf, 0, buf.length, at)
        if (bytesRead === 0) return
        at += bytesRead
        write(buf.subarray(0, bytesRead))
      }
    }
    for (;;) {
      await drain()
      const rec = (await readRecord(join(runner.manifest.logs, view.build)))?.record.steps.find(
        s => s.name === view.step,
      )
      if (rec?.status !== 'running' || (rec.attempt ?? 1) !== view.attempt) {
        await drain()
        return
      }
      await sleep(pollMs)
    }
  } finally {
    await file.close()
  }
}
