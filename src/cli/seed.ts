// `dcsnap resume --from REPLICA`: the build datasets become clones of the replica's checkpoint, then resume goes on.
import type {DcsnapCommand} from './base-command.js'
import type {Runner} from '../runner/runner.js'
import {planSeed, seedFromReplica} from '../replication/seed.js'
import {UsageError} from '../errors.js'

/** Seeds the runner's build datasets from a replica (or, with dryRun, says what it would clone). */
export async function seedCommand(
  cmd: DcsnapCommand,
  runner: Runner,
  root: string,
  opts: {build?: string; step?: string; dryRun?: boolean},
): Promise<{build: string; from: string; into: string[]; dryRun?: boolean}> {
  let step: {name: string; index: number} | undefined
  if (opts.step !== undefined) {
    const def = runner.manifest.steps.find(s => s.name === opts.step)
    if (!def)
      throw new UsageError(
        'NO_SUCH_STEP',
        `the manifest has no step "${opts.step}"`,
        `Its steps: ${runner.manifest.steps.map(s => s.name).join(', ')}.`,
      )
    step = {name: def.name, index: def.index}
  }
  if (opts.dryRun) {
    const plan = await planSeed(runner.session, root, {build: opts.build, step})
    if (!cmd.jsonEnabled())
      cmd.log(
        `clones ${plan.checkpoint.members.map(m => m.name).join(', ')} into ${runner.session.datasets.join(', ')} (build ${plan.build.id}), then resumes`,
      )
    return {build: plan.build.id, from: plan.checkpoint.name, into: runner.session.datasets, dryRun: true}
  }
  const r = await seedFromReplica(runner.session, root, {build: opts.build, step, logs: runner.manifest.logs})
  if (r.cloned) cmd.logger.info(`build ${r.build}: the build datasets are clones of ${root}'s ${r.checkpoint}`)
  return {build: r.build, from: r.checkpoint, into: runner.session.datasets}
}
