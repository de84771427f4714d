// What `dcsnap build` and `dcsnap resume` share: the runner from -m, signals, step output, failure reports, --interactive.
import {DcsnapError, ExitCode, RefusedError, UsageError} from '../errors.js'
import type {Logger} from '../logger.js'
import {loadManifest} from '../manifest/manifest.js'
import {Runner, type RunResult} from '../runner/runner.js'
import {Zfs} from '../zfs/zfs.js'
import {ask, confirmOrRefuse} from './confirm.js'
import {formatDuration, paint} from './format.js'
import {interruptSignal} from './signals.js'

/** A runner for the manifest of -m (default ./dcsnap.yaml), stopping the running step on SIGINT, SIGTERM or SIGHUP. */
export async function runnerFromFlags(flags: {manifest?: string; quiet?: boolean}, logger: Logger): Promise<Runner> {
  const arg = flags.manifest ?? 'dcsnap.yaml'
  const manifest = await loadManifest(arg)
  return new Runner({
    manifest,
    manifestArg: arg,
    zfs: new Zfs({debug: line => logger.debug(line)}),
    logger,
    signal: interruptSignal(logger),
    onOutput: flags.quiet ? undefined : chunk => process.stderr.write(chunk),
  })
}

/** Turns a run that did not complete into the error the CLI reports (exit 1), or returns it. */
export function checkRun(runner: Runner, r: RunResult): RunResult {
  if (r.status === 'completed' || r.status === 'paused') return r
  const step = runner.manifest.steps.find(s => s.name === r.step)!
  const why =
    r.status === 'timed-out'
      ? `timed out after ${formatDuration((step.timeoutMs ?? 0) / 1000)} (its timeout)`
      : r.status === 'interrupted'
        ? 'was interrupted'
        : `failed with exit code ${r.exitCode}`
  throw new DcsnapError(
    r.status === 'failed' ? 'STEP_FAILED' : r.status === 'timed-out' ? 'STEP_TIMED_OUT' : 'INTERRUPTED',
    r.log === undefined
      ? `build ${r.build} was interrupted before step ${step.name} (${step.index} of ${runner.manifest.steps.length}), after its checkpoints were complete`
      : `build ${r.build}: step ${step.name} (${step.index} of ${runner.manifest.steps.length}) ${why}; log: ${r.log}`,
    `${r.status === 'interrupted' ? 'Go on with' : 'Fix it, then run'}: ${r.resumeCommand}`,
    ExitCode.failed,
    r,
  )
}

/**
 * --interactive: after a failure on a terminal, offer retry / resume from an earlier checkpoint / stop, in this process.
 * A resume here follows the same rules as `dcsnap resume` (changed steps before it are refused, destroying asks y/N);
 * a refusal is shown and the question asked again. Ctrl-C or end of input at the question stops, reporting the failure.
 */
export async function interactiveLoop(runner: Runner, first: RunResult, build: string): Promise<RunResult> {
  let r = first
  while (r.status === 'failed' || r.status === 'timed-out') {
    const names = runner.manifest.steps.map(s => s.name)
    const answer = (
      await ask(`step ${r.step} failed (log: ${r.log}). [r]etry it, resume at an [e]arlier step, or [s]top? `)
    )
      ?.trim()
      .toLowerCase()
    let step: string | undefined
    if (answer?.startsWith('r')) step = r.step
    else if (answer?.startsWith('e'))
      step = (await ask(`resume at which step (${names.slice(0, names.indexOf(r.step!) + 1).join(', ')})? `))?.trim()
    if (step === undefined) return r
    if (step === '') continue
    try {
      r = await runner.resume({
        build,
        step,
        retry: true,
        confirm: plan =>
          confirmOrRefuse(
            `Destroy ${plan.rollback.destroy.length} snapshot(s) (${plan.rollback.destroy.map(s => s.name).join(', ')}) and resume at ${plan.from.name}?`,
            false,
          ),
      })
    } catch (error) {
      if (!(error instanceof RefusedError || error instanceof UsageError)) throw error
      process.stderr.write(
        `${paint.red(error instanceof RefusedError ? 'refused:' : 'error:')} ${error.message}\n${error.hint}\n`,
      )
    }
  }
  return r
}

/** Prints how a run ended (stdout) unless --json. */
export function describeRun(r: RunResult): string {
  if (r.status === 'paused') return `build ${r.build} paused at ${r.step}\ncontinue with: ${r.resumeCommand}`
  const cached =
    r.cached && r.cached.length > 0 ? `cached ${r.cached.map(c => `${c.step} (${c.from})`).join(', ')}` : ''
  const ran = r.ran.length > 0 ? `ran ${r.ran.join(', ')}` : ''
  const what = [ran, cached].filter(Boolean).join('; ')
  return `build ${r.build} completed${what ? ` (${what})` : ''}${r.pruned.length > 0 ? `; pruned ${r.pruned.join(', ')}` : ''}`
}
