// Asks before destroying: on a terminal a y/N question, elsewhere a refusal that names --yes.
import {createInterface} from 'node:readline/promises'
import {RefusedError} from '../errors.js'

/** Resolves when the user agrees (or `yes` is set); throws a refusal (exit 3) otherwise. */
export async function confirmOrRefuse(question: string, yes: boolean): Promise<void> {
  if (yes) return
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new RefusedError('CONFIRMATION_NEEDED', `${question.replace(/\?$/, '')}: not confirmed (no terminal to ask on)`, 'Check the plan with --dry-run, then pass --yes to proceed.')
  }
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await rl.question(`${question} [y/N] `)
    if (!/^y(es)?$/i.test(answer.trim())) throw new RefusedError('NOT_CONFIRMED', 'not confirmed: nothing was changed', 'Answer y to proceed, or pass --yes.')
  } finally {
    rl.close()
  }
}
