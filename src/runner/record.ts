// dcsnap's record of a build, kept in the data cache (so each checkpoint holds it) and beside the logs.
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

/** What happened to one step. */
export interface StepRecord {
  name: string
  index: number
  /** sha256 of the step's definition (name, run, env, timeout). */
  hash: string
  status: 'pending' | 'running' | 'done' | 'failed' | 'timed-out' | 'interrupted'
  exitCode?: number | null
  startedAt?: string
  finishedAt?: string
  log?: string
}

/** The record of one build. */
export interface BuildRecord {
  build: string
  name: string
  manifestPath: string
  manifestHash: string
  cache: 'zfs' | 'tmp'
  steps: StepRecord[]
}

/** The record's files in a directory: record.json and manifest.yaml (the manifest the build runs with). */
export const RECORD_DIR = '.dcsnap'

/** Writes the record, and the manifest text when given (it does not change during a run), into `<dir>/.dcsnap/`, atomically per file. */
export async function writeRecord(dir: string, record: BuildRecord, manifestText?: string): Promise<void> {
  const d = join(dir, RECORD_DIR)
  if (manifestText !== undefined) await mkdir(d, {recursive: true})
  await atomicWrite(join(d, 'record.json'), JSON.stringify(record, null, 2) + '\n')
  if (manifestText !== undefined) await atomicWrite(join(d, 'manifest.yaml'), manifestText)
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

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text)
  await rename(tmp, path)
}
