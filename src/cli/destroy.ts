// The shared body of `dcsnap destroy` and `dcsnap prune`: print the plan, then carry it out unless --dry-run.
import {executeDestroy, type DestroyPlan} from '../operations/destroy.js'
import type {Session} from '../operations/session.js'
import type {DcsnapCommand} from './base-command.js'

/** Prints exactly what a plan destroys (and keeps), then destroys it unless dryRun. */
export async function runDestroyPlan(cmd: DcsnapCommand, session: Session, plan: DestroyPlan, dryRun: boolean) {
  const names = plan.destroy.flatMap(s => s.members.map(m => m.name))
  const result = {destroy: names, kept: plan.kept, dryRun, destroyed: false}
  const human = !cmd.jsonEnabled()
  if (human) {
    cmd.log(
      names.length > 0
        ? `${dryRun ? 'would destroy' : 'destroying'} ${names.length} snapshot(s):\n${names.map(n => `  ${n}`).join('\n')}`
        : 'nothing to destroy',
    )
    for (const k of plan.kept)
      cmd.log(
        `keeping ${k.snapshot} (${k.reason === 'clones' ? `has clones: ${k.detail}` : k.reason === 'cache-source' ? 'a kept build reused its step' : k.reason})`,
      )
  }
  if (dryRun || names.length === 0) return result
  await executeDestroy(session, plan)
  return {...result, destroyed: true}
}
