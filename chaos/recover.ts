// After a kill or a fault: `resume` (or a new `build` when there is nothing to resume) until the build is complete.
import {sleep, type Outcome} from './exec.js'
import {nextRunId, runDcsnap, tail, type Harness} from './dcsnap.js'
import {buildComplete, latestBuild, snapshotsUnder} from './state.js'

/** One dcsnap run of a trial, for the orphan check and for the report. */
export interface RunRecord {
  id: string
  args: string[]
  outcome: Outcome & {timedOut?: boolean}
}

/** How the recovery went. */
export interface Recovery {
  ok: boolean
  /** Why it did not recover. */
  why: string
  runs: RunRecord[]
  /** Whether `dcsnap stop` exists (it answered other than "unknown command"). */
  stopExists?: boolean
}

/** What a build's datasets and steps are. */
export interface BuildTarget {
  manifest: string
  /** The parent dataset of the build datasets (listed recursively). */
  root: string
  /** proto first, then cache. */
  datasets: string[]
  steps: string[]
}

/** Runs `resume` until the latest build has every checkpoint (a new `build` when none can be resumed). */
export async function recoverBuild(
  h: Harness,
  t: BuildTarget,
  label: string,
  opts: {maxRuns?: number; maxBusyMs?: number} = {},
): Promise<Recovery> {
  const runs: RunRecord[] = []
  let stopExists: boolean | undefined
  let busySince: number | undefined
  let refusedResume = false
  const maxRuns = opts.maxRuns ?? 8
  const go = async (args: string[]) => {
    const id = nextRunId(label)
    const outcome = await runDcsnap(h, args, {runId: id})
    runs.push({id, args, outcome})
    return outcome
  }
  for (let n = 0; ;) {
    const snaps = await snapshotsUnder(t.root)
    const latest = latestBuild(snaps, t.datasets)
    if (latest !== undefined && buildComplete(snaps, t.datasets, latest, t.steps))
      return {ok: true, why: '', runs, stopExists}
    if (n >= maxRuns) {
      const last = runs.at(-1)
      return {
        ok: false,
        why: `not complete after ${n} runs; last: ${last ? `${last.args[0]} exit ${last.outcome.exitCode}: ${tail(last.outcome)}` : 'none'}`,
        runs,
        stopExists,
      }
    }
    // A new build runs every step (--no-cache): the checks compare each step's checkpoint with the clean build's, and
    // a build that reused steps has none of its own for them. Reuse itself is a line move, which lines.test kills.
    const args =
      latest === undefined || refusedResume
        ? ['build', '--no-cache', '-m', t.manifest]
        : ['resume', '-m', t.manifest, '--yes']
    const o = await go(args)
    if (o.exitCode === 4) {
      // Busy: an orphaned step still holds the datasets. `dcsnap stop` ends it where it exists; else wait.
      busySince ??= Date.now()
      if (Date.now() - busySince > (opts.maxBusyMs ?? 30_000))
        return {ok: false, why: `still busy after ${opts.maxBusyMs ?? 30_000} ms: ${tail(o)}`, runs, stopExists}
      if (stopExists !== false) {
        const s = await go(['stop', '-m', t.manifest])
        stopExists = !(s.exitCode === 2 && /unknown command/.test(s.stderr))
      }
      await sleep(500)
      continue
    }
    busySince = undefined
    n++
    if (args[0] === 'build' && (o.exitCode === 0 || o.exitCode === 1)) refusedResume = false
    if (o.exitCode === 0) continue
    if (o.exitCode === 2 || o.exitCode === 3) {
      if (args[0] === 'resume') refusedResume = true
      else return {ok: false, why: `build refused (exit ${o.exitCode}): ${tail(o)}`, runs, stopExists}
      continue
    }
    if (o.exitCode === 1) {
      await sleep(300)
      continue
    }
    return {
      ok: false,
      why: `${args[0]} exited ${o.exitCode ?? o.signal}${o.timedOut ? ' (timed out)' : ''}: ${tail(o)}`,
      runs,
      stopExists,
    }
  }
}

/** Runs of a trial that printed "This is a dcsnap bug" or a stack trace. */
export function internalErrors(runs: RunRecord[]): string[] {
  return runs
    .filter(r => /dcsnap bug|^\s+at \S+ \(/m.test(r.outcome.stderr))
    .map(r => `${r.args[0]} (${r.id}): ${tail(r.outcome, 2)}`)
}
