// Step logs, one file per attempt under `<logs>/<build>/`: `3-compile.log` for the first, `3-compile.2.log` after.
import {copyFile, readdir} from 'node:fs/promises'
import {basename, join} from 'node:path'
import {ensurePrivateDir} from '../fs/private-dir.js'

/** One attempt's log of a step. */
export interface StepLog {
  attempt: number
  path: string
}

/** The log file of a step's attempt (1 is the first). */
export function stepLogPath(logs: string, build: string, step: {index: number; name: string}, attempt: number): string {
  return join(
    logs,
    build,
    attempt === 1 ? `${step.index}-${step.name}.log` : `${step.index}-${step.name}.${attempt}.log`,
  )
}

/** Every attempt's log of a step that exists, first attempt first. */
export async function stepLogs(logs: string, build: string, step: {index: number; name: string}): Promise<StepLog[]> {
  let names: string[]
  try {
    names = await readdir(join(logs, build))
  } catch {
    return []
  }
  const prefix = `${step.index}-${step.name}.`
  const found: StepLog[] = []
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.log')) continue
    const middle = n.slice(prefix.length, -'.log'.length)
    const attempt = middle === '' ? 1 : /^[1-9]\d*$/.test(middle) ? Number(middle) : undefined
    if (attempt !== undefined) found.push({attempt, path: join(logs, build, n)})
  }
  return found.sort((a, b) => a.attempt - b.attempt)
}

/** The log file of a step's next attempt: after every one that exists. */
export async function nextStepLog(logs: string, build: string, step: {index: number; name: string}): Promise<StepLog> {
  const attempt = ((await stepLogs(logs, build, step)).at(-1)?.attempt ?? 0) + 1
  return {attempt, path: stepLogPath(logs, build, step, attempt)}
}

/** Where a data cache keeps copies of its build's logs (`.dcsnap/logs/<build>/`): each checkpoint then carries them. */
export function cachedLogsDir(cacheDir: string, build: string): string {
  return join(cacheDir, '.dcsnap', 'logs', build)
}

/** Copies an attempt's log into the data cache (a private directory), so that checkpoints and replicas carry it. */
export async function keepLogInCache(cacheDir: string, build: string, log: string): Promise<void> {
  const dir = await ensurePrivateDir(
    cachedLogsDir(cacheDir, build),
    'Remove it: dcsnap keeps copies of the logs there.',
  )
  await copyFile(log, join(dir, basename(log)))
}
