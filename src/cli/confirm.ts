// Asks before destroying: on a terminal a y/N question, elsewhere a refusal that names --yes.
import {createInterface} from 'node:readline/promises'
import {RefusedError} from '../errors.js'

/** Resolves when the user agrees (or `yes` is set); throws a refusal (exit 3) otherwise, Ctrl-C and end of input included. */
export async function confirmOrRefuse(question: string, yes: boolean): Promise<void> {
  if (yes) return
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new RefusedError(
      'CONFIRMATION_NEEDED',
      `${question.replace(/\?$/, '')}: not confirmed (no terminal to ask on)`,
      'Check the plan with --dry-run, then pass --yes to proceed.',
    )
  }
  const answer = await ask(`${question} [y/N] `)
  if (answer === undefined || !/^y(es)?$/i.test(answer.trim())) throw notConfirmed()
}

/** Asks a question on the terminal; undefined when the user pressed Ctrl-C or ended the input (Ctrl-D). */
export async function ask(question: string): Promise<string | undefined> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    return await rl.question(question)
  } catch (error) {
    if (isAbortError(error)) {
      process.stderr.write('\n')
      return undefined
    }
    throw error
  } finally {
    rl.close()
  }
}

/** The refusal of a question answered no, or left with Ctrl-C (exit 3). */
export function notConfirmed(): RefusedError {
  return new RefusedError('NOT_CONFIRMED', 'not confirmed: nothing was changed', 'Answer y to proceed, or pass --yes.')
}

/** Whether an error is the AbortError that readline/promises rejects with on Ctrl-C or a closed input. */
export function isAbortError(error: unknown): boolean {
  const e = error as {name?: string; code?: string} | null
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR'
}
