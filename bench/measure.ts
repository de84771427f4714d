// Timing: runs contenders in alternation, several times, and summarises each by its median.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** A command line to time: program words, environment additions, working directory. */
export interface Command {
  words: string[]
  env?: Record<string, string>
  cwd?: string
  /** Whether a non-zero exit counts as done (by its code and stderr); by default only 0 does. */
  accept?: (code: number | null, stderr: string) => boolean
}

/** Something measured in alternation with the others of its benchmark. */
export interface Contender {
  name: string
  /** One timed run; returns seconds (so it can time just a part). */
  run(): Promise<number>
  /** Untimed, after each timed run (e.g. putting the datasets back in the state the next run expects). */
  after?(): Promise<void>
}

/** The samples and median of one contender, in seconds. */
export interface Timing {
  median: number
  min: number
  max: number
  samples: number[]
}

/** Runs `cmd` with stdout to /dev/null (as `> /dev/null` would) and returns its wall time in seconds; throws if it fails. */
export function timeCommand(cmd: Command): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(cmd.words[0], cmd.words.slice(1), {
      cwd: cmd.cwd,
      env: {...process.env, ...cmd.env},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', chunk => (stderr += chunk))
    child.on('error', reject)
    child.on('close', code => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      if (code === 0 || cmd.accept?.(code, stderr)) resolve(seconds)
      else reject(new Error(`${cmd.words.join(' ')} exited ${code}: ${stderr.trim().slice(-2000)}`))
    })
  })
}

/** A contender that times one command line. */
export function commandContender(name: string, cmd: Command, after?: () => Promise<void>): Contender {
  return {name, run: () => timeCommand(cmd), after}
}

/** Runs every contender `runs` times in turn (A B A B ...) after `warmup` untimed rounds; returns their timings by name. */
export async function alternate(contenders: Contender[], runs: number, warmup = 1): Promise<Record<string, Timing>> {
  const samples = new Map<string, number[]>(contenders.map(c => [c.name, []]))
  for (let round = -warmup; round < runs; round++) {
    for (const c of contenders) {
      const seconds = await c.run()
      if (round >= 0) samples.get(c.name)!.push(seconds)
      await c.after?.()
    }
  }
  return Object.fromEntries([...samples].map(([name, xs]) => [name, summarise(xs)]))
}

/** The median of each round's own difference, a - b: rounds run side by side, so this is steadier under drifting load. */
export function pairedDifference(a: Timing, b: Timing): number {
  return summarise(a.samples.map((x, i) => x - b.samples[i])).median
}

/** Median, min and max of samples (rounded to the millisecond for the results). */
export function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  const ms = (x: number) => Math.round(x * 1000) / 1000
  return {median: ms(median), min: ms(sorted[0]), max: ms(sorted.at(-1)!), samples: samples.map(ms)}
}

/** Peak resident set size of `cmd` in MB (10^6 bytes), from GNU time's %M (KiB; max RSS of the process and the children it waited for). */
export async function peakRssMB(cmd: Command): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bench-rss-'))
  try {
    const out = join(dir, 'rss')
    await timeCommand({...cmd, words: ['/usr/bin/time', '-f', '%M', '-o', out, ...cmd.words]})
    return Math.round((Number(readFileSync(out, 'utf8').trim().split('\n').at(-1)) * 1024) / 1e5) / 10
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
