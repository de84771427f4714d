// dcsnap's record of a build, kept in the data cache (so each checkpoint holds it) and beside the logs.
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {ensurePrivateDir} from '../fs/private-dir.js'
import {writeFileAtomic} from '../fs/safe-open.js'
import type {KeyInput} from '../cache/key.js'

/** What happened to one step. */
export interface StepRecord {
  name: string
  index: number
  /** sha256 of the step's definition (name, run, env, timeout). */
  hash: string
  status: 'pending' | 'running' | 'done' | 'cached' | 'failed' | 'timed-out' | 'interrupted'
  /** For a cached step: the checkpoint its result was reused from (`LINE:` first on a kept line). */
  cachedFrom?: string
  exitCode?: number | null
  startedAt?: string
  finishedAt?: string
  /** The log of its latest attempt. */
  log?: string
  /** Which attempt that was (1 is the first; each has its own log). */
  attempt?: number
  /** The step's cache key (SPEC 6) and what went into it, so `why` can name what differs. */
  key?: string
  keyInputs?: KeyInput[]
  /** Why the key can never be a cache hit (hand changes, --on-top, --keep-changes, --allow-changed). */
  tainted?: string
}

/** A step's attempt that ended without success: the build stopped in it. */
export function stoppedIn(status: StepRecord['status']): boolean {
  return status === 'failed' || status === 'timed-out' || status === 'interrupted'
}

/** The record of one build. */
export interface BuildRecord {
  build: string
  name: string
  manifestPath: string
  manifestHash: string
  cache: 'zfs' | 'tmp'
  steps: StepRecord[]
  /** The identity of the base the build started from (the first step's parent key). */
  baseIdentity?: string
  /** The checkpoint the build paused at (--pause-after/--pause-before), until a run goes on from it. */
  pausedAt?: string
  /** The checkpoints after which the build went on from the head as it was, hand changes included (rule 6). */
  handChangedAfter?: string[]
}

/** The record's files in a directory: record.json and manifest.yaml (the manifest the build runs with). */
export const RECORD_DIR = '.dcsnap'

/**
 * Writes the record, and the manifest text when given (it does not change during a run), into `<dir>/.dcsnap/`
 * (a private directory, checked before each write), atomically per file, 0600.
 */
export async function writeRecord(dir: string, record: BuildRecord, manifestText?: string): Promise<void> {
  const d = await ensurePrivateDir(
    join(dir, RECORD_DIR),
    'Remove it, or point `logs:` (or the cache dataset mountpoint) at a directory of your own.',
  )
  await writeFileAtomic(join(d, 'record.json'), JSON.stringify(record, null, 2) + '\n')
  if (manifestText !== undefined) await writeFileAtomic(join(d, 'manifest.yaml'), manifestText)
}

/** Reads a record and its manifest text from `<dir>/.dcsnap/`, if there is one. */
export async function readRecord(dir: string): Promise<{record: BuildRecord; manifestText: string} | undefined> {
  try {
    const d = join(dir, RECORD_DIR)
    const record = JSON.parse(await readFile(join(d, 'record.json'), 'utf8')) as BuildRecord
    return {record, manifestText: await readFile(join(d, 'manifest.yaml'), 'utf8')}
  } catch {
    return undefined
  }
}
