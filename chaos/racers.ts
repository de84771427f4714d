// racers: many dcsnap processes at once, each snapshotting a set of datasets drawn from A, B, C, D; sets overlap.
// At most one may change a dataset at a time, racers on disjoint sets must still run side by side (a pair on datasets
// of their own meets at a barrier inside zfs in every round), losers exit 4 and leave nothing behind.
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {experimentDir, harness, nextRunId, startDcsnap, tail, type Harness} from './dcsnap.js'
import type {Outcome} from './exec.js'
import {createChaosPool} from './pool.js'
import type {ExperimentResult, Violation} from './report.js'
import {rng, type Rng} from './rng.js'
import {snapshotsUnder} from './state.js'
import {readZfsLog} from './zfs-log.js'

/** Options of the experiment. */
export interface RacersOptions {
  count: number
  seed: number
  /** Racers started at once (the rest follow in further rounds). */
  perRound?: number
  log: (line: string) => void
}

const NAMES = ['A', 'B', 'C', 'D']
/** Two datasets of a pair of racers that must run side by side: no other racer uses them. */
const PAIR = ['E', 'F']
/** Seconds the wrapper waits before each changing zfs call, so that unserialized racers overlap visibly. */
const DELAY = '0.3'

interface Racer {
  id: string
  name: string
  set: string[]
  outcome?: Outcome
  /** From its first changing zfs call's start to its last one's end (ms), if it made any. */
  window?: [number, number]
}

function drawSet(r: Rng): string[] {
  const size = r.pick([1, 1, 2, 2, 3])
  const pool = [...NAMES]
  const set: string[] = []
  while (set.length < size) set.push(pool.splice(r.int(0, pool.length - 1), 1)[0])
  return set.sort()
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1]

async function round(
  n: number,
  size: number,
  o: RacersOptions,
  h: Harness,
  poolName: string,
  create: (p: string) => Promise<string[]>,
): Promise<{racers: Racer[]; violations: Violation[]}> {
  const r = rng(o.seed, 'racers', n)
  const parent = `r${n}`
  const datasets = await create(parent)
  const ds = (x: string) => datasets[[...NAMES, ...PAIR].indexOf(x)]
  const racers: Racer[] = [...Array(size).keys()].map(i => ({
    id: nextRunId(`race${n}`),
    name: `r${i}`,
    set: drawSet(r),
  }))
  // The pair meet at a barrier inside their changing zfs calls: both get there only if their locks let them run at once.
  const pair: Racer[] = PAIR.map((d, i) => ({id: nextRunId(`pair${n}`), name: `p${i}`, set: [d]}))
  const barrier = {CHAOS_BARRIER: `${join(h.dir, `barrier-${n}`)}:2`}
  const running = [
    ...racers.map(x =>
      startDcsnap(h, ['snapshot', x.name, ...x.set.flatMap(s => ['-d', ds(s)])], {
        runId: x.id,
        env: {CHAOS_DELAY: DELAY},
      }),
    ),
    ...pair.map(x => startDcsnap(h, ['snapshot', x.name, '-d', ds(x.set[0])], {runId: x.id, env: barrier})),
  ]
  const watchdog = setTimeout(() => running.forEach(p => p.kill(true)), 300_000)
  const outcomes = await Promise.all(running.map(p => p.done))
  clearTimeout(watchdog)
  ;[...racers, ...pair].forEach((x, i) => (x.outcome = outcomes[i]))
  const calls = readZfsLog(h.log).calls.filter(c => c.changing)
  for (const x of [...racers, ...pair]) {
    const mine = calls.filter(c => c.run === x.id)
    if (mine.length > 0)
      x.window = [Math.min(...mine.map(c => c.start)), Math.max(...mine.map(c => c.end ?? x.outcome!.end))]
  }
  const violations: Violation[] = []
  const repro = `npm run chaos -- --only racers --seed ${o.seed} --trials ${o.count}`
  const snaps = await snapshotsUnder(`${poolName}/${parent}`)
  const [p0, p1] = pair
  if (
    p0.outcome!.exitCode !== 0 ||
    p1.outcome!.exitCode !== 0 ||
    !p0.window ||
    !p1.window ||
    !overlaps(p0.window, p1.window)
  ) {
    violations.push({
      trial: `${n}/pair`,
      what: `two snapshots on disjoint datasets {E} and {F} did not run side by side (exits ${p0.outcome!.exitCode}, ${p1.outcome!.exitCode}): commands on disjoint datasets must`,
      repro,
    })
  }
  for (const x of racers) {
    const code = x.outcome!.exitCode
    const made = x.set.filter(s => (snaps.get(ds(s)) ?? []).includes(x.name))
    if (code !== 0 && code !== 4)
      violations.push({
        trial: `${n}/${x.name}`,
        what: `snapshot of {${x.set.join(',')}} exited ${code ?? x.outcome!.signal}, not 0 or 4: ${tail(x.outcome!, 2)}`,
        repro,
      })
    else if (code === 0 && made.length !== x.set.length)
      violations.push({
        trial: `${n}/${x.name}`,
        what: `snapshot of {${x.set.join(',')}} exited 0 but made it on {${made.join(',')}} only`,
        repro,
      })
    else if (code === 4 && made.length > 0)
      violations.push({
        trial: `${n}/${x.name}`,
        what: `snapshot of {${x.set.join(',')}} lost (exit 4) but left it on {${made.join(',')}}`,
        repro,
      })
  }
  for (let i = 0; i < racers.length; i++) {
    for (let j = i + 1; j < racers.length; j++) {
      const [a, b] = [racers[i], racers[j]]
      const shared = a.set.filter(s => b.set.includes(s))
      if (shared.length > 0 && a.window && b.window && overlaps(a.window, b.window)) {
        violations.push({
          trial: `${n}/${a.name}+${b.name}`,
          what: `{${a.set.join(',')}} and {${b.set.join(',')}} changed ${shared.join(',')} at the same time (${Math.round(Math.min(a.window[1], b.window[1]) - Math.max(a.window[0], b.window[0]))} ms overlap)`,
          repro,
        })
      }
    }
  }
  return {racers, violations}
}

/** Runs the racers experiment on a pool of its own. */
export async function racers(o: RacersOptions): Promise<ExperimentResult> {
  const t0 = Date.now()
  const dir = experimentDir('racers')
  const pool = await createChaosPool('racers')
  const h = harness(dir, 'racers', join(dir, 'xdg-cache'), join(dir, 'locks'))
  const per = o.perRound ?? 10
  const violations: Violation[] = []
  let disjointTogether = 0
  let won = 0
  let busy = 0
  try {
    for (let n = 0, left = o.count; left > 0; n++, left -= per) {
      const res = await round(n, Math.min(per, left), o, h, pool.name, p => pool.datasets(p, [...NAMES, ...PAIR]))
      violations.push(...res.violations)
      const rs = res.racers
      won += rs.filter(x => x.outcome?.exitCode === 0).length
      busy += rs.filter(x => x.outcome?.exitCode === 4).length
      for (let i = 0; i < rs.length; i++) {
        for (let j = i + 1; j < rs.length; j++) {
          const [a, b] = [rs[i], rs[j]]
          if (!a.set.some(s => b.set.includes(s)) && a.window && b.window && overlaps(a.window, b.window))
            disjointTogether++
        }
      }
      o.log(
        `racers round ${n}: ${rs.map(x => `${x.name}{${x.set.join('')}}→${x.outcome?.exitCode}`).join(' ')}; ${res.violations.length} violations`,
      )
      await pool.drop(`r${n}`)
    }
  } finally {
    await pool.destroy()
    // Logs and wrapper records stay for a look when something broke.
    if (violations.length === 0) rmSync(dir, {recursive: true, force: true})
    else o.log(`racers: logs of the trials are in ${dir}`)
  }
  return {
    name: 'racers',
    trials: o.count,
    violations,
    notes: [`${won} won, ${busy} busy`, `${disjointTogether} disjoint pairs ran at once`],
    ms: Date.now() - t0,
  }
}
