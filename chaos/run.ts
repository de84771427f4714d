#!/usr/bin/env node
// npm run chaos: kill -9, fault injection, racers and (when chaos/fuzz-manifests.ts exists) fuzzed manifests
// against the built dcsnap on pools of the suite's own; one line per experiment, exit 1 on any violation.
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'
import {faults} from './faults.js'
import {kill9} from './kill9.js'
import {racers} from './racers.js'
import {summaryLine, violationLines, type ExperimentResult, type Violation} from './report.js'

const EXPERIMENTS = ['kill9', 'faults', 'racers', 'fuzz'] as const
type Experiment = (typeof EXPERIMENTS)[number]

const USAGE = `usage: npm run chaos -- [--only ${EXPERIMENTS.join(',')}] [--trials N] [--seed S] [--trial N] [--small]
  --only    experiments to run (default: all)
  --trials  kill9 trials (default 300; --small: 6), racers (default 50; --small: 10), fuzzed manifests (default 2000; --small: 100)
  --seed    seed of every random choice (default: from the clock; printed, so a run can be replayed)
  --trial   run only this trial of kill9, or this case of faults (e.g. rename#2:fail), to reproduce a violation
  --small   the CI round: a few kill9 trials, one fault per command, one round of racers`

const log = (line: string): void => void process.stderr.write(`${line}\n`)

/** The manifest fuzzer another part of the suite provides; absent until chaos/fuzz-manifests.ts is written. */
async function fuzz(count: number, seed: number): Promise<ExperimentResult | undefined> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'fuzz-manifests.js')
  if (!existsSync(file)) return undefined
  const t0 = Date.now()
  const mod = (await import(pathToFileURL(file).href)) as {
    fuzzManifests: (o: {count: number; seed: number}) => Promise<{trials: number; violations: unknown[]}>
  }
  const r = await mod.fuzzManifests({count, seed})
  const violations: Violation[] = r.violations.map((v, i) => {
    const o = (typeof v === 'object' && v !== null ? v : {}) as {
      trial?: unknown
      what?: unknown
      message?: unknown
      repro?: unknown
    }
    // What the fuzzer put in a field, as text (JSON unless a string); `otherwise` when it put nothing there.
    const text = (field: unknown, otherwise: string): string =>
      field === undefined || field === null ? otherwise : typeof field === 'string' ? field : JSON.stringify(field)
    return {
      trial: text(o.trial, String(i)),
      what: text(o.what ?? o.message, JSON.stringify(v)),
      repro: text(o.repro, `npm run chaos -- --only fuzz --seed ${seed} --trials ${count}`),
    }
  })
  return {name: 'fuzz', trials: r.trials, violations, notes: [`seed ${seed}`], ms: Date.now() - t0}
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: {
      only: {type: 'string'},
      trials: {type: 'string'},
      seed: {type: 'string'},
      trial: {type: 'string'},
      small: {type: 'boolean'},
      help: {type: 'boolean', short: 'h'},
    },
  })
  if (values.help) {
    log(USAGE)
    return 0
  }
  const only = (values.only ? values.only.split(',') : [...EXPERIMENTS]) as Experiment[]
  const unknown = only.filter(e => !EXPERIMENTS.includes(e))
  if (unknown.length > 0) {
    log(`unknown experiment ${unknown.join(', ')}\n${USAGE}`)
    return 2
  }
  const int = (s: string | undefined, name: string): number | undefined => {
    if (s === undefined) return undefined
    const n = Number(s)
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} takes a non-negative integer\n${USAGE}`)
    return n
  }
  const small = values.small === true
  const trials = int(values.trials, '--trials')
  const seed = int(values.seed, '--seed') ?? Date.now() % 1_000_000
  const trial = values.trial
  log(`chaos: seed ${seed}${small ? ' (small round)' : ''}`)

  const results: ExperimentResult[] = []
  const report = (r: ExperimentResult) => {
    results.push(r)
    process.stdout.write(`${summaryLine(r)}\n`)
    for (const l of violationLines(r)) process.stdout.write(`${l}\n`)
  }
  if (only.includes('kill9')) {
    report(await kill9({trials: trials ?? (small ? 6 : 300), seed, trial: int(trial, '--trial'), log}))
  }
  if (only.includes('faults')) report(await faults({seed, small, only: trial, log}))
  if (only.includes('racers')) report(await racers({count: trials ?? (small ? 10 : 50), seed, log}))
  if (only.includes('fuzz')) {
    const r = await fuzz(trials ?? (small ? 100 : 2000), seed)
    if (r) report(r)
    else process.stdout.write('fuzz: skipped (chaos/fuzz-manifests.ts is not there yet)\n')
  }
  const bad = results.reduce((n, r) => n + r.violations.length, 0)
  process.stdout.write(`chaos: ${bad === 0 ? 'no violations' : `${bad} violations`} (seed ${seed})\n`)
  return bad === 0 ? 0 : 1
}

main().then(
  code => {
    process.exitCode = code
  },
  error => {
    log(`chaos: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 2
  },
)
