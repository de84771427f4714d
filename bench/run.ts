#!/usr/bin/env node
// npm run bench: runs the benchmarks on zfs-fuse and, where asked or running, on OpenZFS in the test VM;
// writes bench/results/<date>-<zfs kind>.json and regenerates the table in docs/performance.md.
import {loadavg} from 'node:os'
import {parseArgs} from 'node:util'
import {cache} from './benchmarks/cache.js'
import {checkpoint} from './benchmarks/checkpoint.js'
import {list} from './benchmarks/list.js'
import {replication} from './benchmarks/replication.js'
import {resume} from './benchmarks/resume.js'
import {startup} from './benchmarks/startup.js'
import type {BenchContext} from './context.js'
import {ensureListImage} from './images.js'
import {describeMachine} from './machine.js'
import {saveResults, updateDoc} from './report.js'
import type {Row, RunResults} from './results.js'
import {makeTier, run, runOk, vmRunDir, vmRunning, vmTool, zfsVersion, type Tier} from './tier.js'

const BENCHMARKS = {startup, list, checkpoint, resume, cache, replication} as const

const USAGE = `usage: npm run bench -- [--only ${Object.keys(BENCHMARKS).join(',')}] [--runs N] [--tier zfs-fuse|openzfs]... [--openzfs] [--quick] [--no-save] [--report]
  --only      benchmarks to run (default: all)
  --runs      timed runs per side (default: each benchmark's own)
  --tier      ZFS to run on (repeatable; default: zfs-fuse, plus openzfs when the benchmark VM is running)
  --openzfs   also OpenZFS: starts the benchmark VM (DCSNAP_BENCH_VM_RUN, default /run/dcsnap-vm-bench) if needed, stops it after
  --no-save   print the rows only; write no results and leave docs/performance.md alone
  --report    only regenerate docs/performance.md from bench/results/
  --quick     skip the slow cases (replication with 200 earlier builds); their earlier rows stay in the results
  --prepare   only make (and cache) the 10,000-snapshot pool of each tier, untimed: the slow part of a first run`

const log = (line: string): void => void process.stderr.write(`${line}\n`)

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      only: {type: 'string'},
      runs: {type: 'string'},
      tier: {type: 'string', multiple: true},
      openzfs: {type: 'boolean'},
      'no-save': {type: 'boolean'},
      report: {type: 'boolean'},
      prepare: {type: 'boolean'},
      quick: {type: 'boolean'},
      help: {type: 'boolean', short: 'h'},
    },
  })
  if (values.help) return log(USAGE)
  if (values.report) return updateDoc()
  const only = values.only ? values.only.split(',') : Object.keys(BENCHMARKS)
  const unknown = only.filter(b => !(b in BENCHMARKS))
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}\n${USAGE}`)
  const runs = values.runs === undefined ? undefined : Number(values.runs)
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0))
    throw new Error(`--runs takes a positive integer\n${USAGE}`)
  const tiers = values.tier ?? ['zfs-fuse']
  for (const k of tiers) if (k !== 'zfs-fuse' && k !== 'openzfs') throw new Error(`unknown tier ${k}\n${USAGE}`)
  const kinds = new Set(tiers as Tier['kind'][])
  if (values.openzfs || (!values.tier && vmRunning())) kinds.add('openzfs')

  let startedVm = false
  try {
    for (const kind of kinds) {
      if (kind === 'openzfs' && !vmRunning()) startedVm = await startVm()
      const tier = makeTier(kind)
      const zfs = await zfsVersion(tier)
      const load = loadavg()[0]
      log(`== ${zfs.detail}`)
      if (values.prepare) {
        log(`10,000-snapshot pool: ${await ensureListImage(tier, zfs.version, log)}`)
        continue
      }
      if (load > 0.5) log(`warning: load average ${load.toFixed(2)}: other work on this machine skews the medians`)
      const ctx: BenchContext = {tier, version: zfs.version, runs, quick: values.quick, log}
      const rows: Row[] = []
      for (const name of only) {
        log(`-- ${name}`)
        for (const row of await BENCHMARKS[name as keyof typeof BENCHMARKS](ctx)) {
          rows.push(row)
          log(
            `  ${row.id}: dcsnap ${row.dcsnap.median}${row.unit}${row.base ? `, baseline ${row.base.median}${row.unit}, ratio ${row.ratio}x` : ''}` +
              `${row.zfsProcesses === undefined ? '' : `, zfs processes ${row.zfsProcesses}`}, target ${row.target}: ${row.pass === null ? 'reported' : row.pass ? 'pass' : 'MISS'}`,
          )
        }
      }
      const results: RunResults = {
        date: new Date().toISOString(),
        zfs,
        machine: describeMachine(),
        loadAverage: Math.round(load * 100) / 100,
        rows,
      }
      if (!values['no-save']) log(`wrote ${saveResults(results)}`)
    }
    if (!values['no-save'] && !values.prepare) updateDoc()
  } finally {
    if (startedVm) await run(vmTool('stop'), [], {DCSNAP_VM_RUN: vmRunDir()})
  }
}

/** Boots the benchmark's own VM, with room for the 1 GiB resume benchmark (its pool lives in the VM's RAM). */
async function startVm(): Promise<boolean> {
  log(`starting the benchmark VM in ${vmRunDir()}`)
  await runOk(vmTool('start'), [], {
    DCSNAP_VM_RUN: vmRunDir(),
    DCSNAP_VM_MEM: process.env.DCSNAP_VM_MEM ?? '8192',
    DCSNAP_VM_TMP_SIZE: process.env.DCSNAP_VM_TMP_SIZE ?? '7g',
  })
  return true
}

main().catch(error => {
  log(`bench: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
