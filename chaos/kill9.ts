// kill9: SIGKILL dcsnap (or its process group) at random points of build and resume, inside zfs calls and
// inside a resume's rollback, then resume until done; every checkpoint and the final tree must equal a clean
// build's, and no orphaned step may write after another dcsnap changed the datasets.
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {alive, chaosBin, killOwned, now, sleep} from './exec.js'
import {experimentDir, harness, nextRunId, runDcsnap, startDcsnap, type Harness, type Injection} from './dcsnap.js'
import {createChaosPool, type ChaosPool} from './pool.js'
import {internalErrors, recoverBuild, type RunRecord} from './recover.js'
import type {ExperimentResult, Violation} from './report.js'
import {rng, type Rng} from './rng.js'
import {
  completeCheckpoints,
  headState,
  parseCheckpoint,
  snapshotState,
  snapshotsUnder,
  stateDiff,
  type State,
} from './state.js'
import {readZfsLog} from './zfs-log.js'

/** Options of the experiment. */
export interface Kill9Options {
  trials: number
  seed: number
  /** Run only this trial (reproducing a violation). */
  trial?: number
  log: (line: string) => void
}

const STEPS = ['prepare', 'daemon', 'closefds', 'compute', 'finish']
/** Lines each long-running writer appends, one every 50 ms. */
const WRITES = 40
/** zfs calls a resume's rollback makes (a kill among them is a kill inside the rollback). */
const ROLLBACK_CALLS = '^(rollback|destroy|clone|promote|rename) '

/** The manifest: five steps writing known content; one step's writer calls setsid, another closes its inherited fds. */
function writeManifest(dir: string, proto: string, cache: string): string {
  const writer = join(chaosBin, 'chaos-writer')
  const env = {CHAOS_MARKERS: join(dir, 'markers'), CHAOS_PIDS: join(dir, 'writer.pids')}
  const doc = {
    version: 1,
    name: 'chaos',
    datasets: {proto, cache},
    logs: join(dir, 'logs'),
    steps: [
      {
        name: 'prepare',
        run: 'echo prepare >> "$DCSNAP_PROTO/steps" && seq 1 500 > "$DCSNAP_PROTO/numbers" && echo 1 > "$DCSNAP_DATA_CACHE/counter"',
      },
      {
        name: 'daemon',
        env,
        run: `echo daemon >> "$DCSNAP_PROTO/steps" && setsid -w ${writer} daemon "$DCSNAP_PROTO/daemon.txt" ${WRITES} && echo 2 >> "$DCSNAP_DATA_CACHE/counter"`,
      },
      {
        name: 'closefds',
        env,
        run: `echo closefds >> "$DCSNAP_PROTO/steps" && ${join(chaosBin, 'chaos-closefds')} ${writer} closefds "$DCSNAP_PROTO/closefds.txt" ${WRITES} && echo 3 >> "$DCSNAP_DATA_CACHE/counter"`,
      },
      {
        name: 'compute',
        run: 'echo compute >> "$DCSNAP_PROTO/steps" && cat "$DCSNAP_PROTO/numbers" "$DCSNAP_PROTO/daemon.txt" "$DCSNAP_PROTO/closefds.txt" "$DCSNAP_DATA_CACHE/counter" | cksum > "$DCSNAP_PROTO/sum"',
      },
      {
        name: 'finish',
        run: 'echo finish >> "$DCSNAP_PROTO/steps" && mkdir -p "$DCSNAP_PROTO/out" && cp "$DCSNAP_PROTO/sum" "$DCSNAP_PROTO/steps" "$DCSNAP_PROTO/out/" && echo 4 >> "$DCSNAP_DATA_CACHE/counter"',
      },
    ],
  }
  const file = join(dir, 'dcsnap.yaml')
  writeFileSync(file, stringify(doc))
  return file
}

/** A clean build's states: the head after it, and each checkpoint by step ('' for the baseline). */
interface Reference {
  head: State
  checkpoints: Map<string, State>
  calls: number
  ms: number
}

async function reference(pool: ChaosPool, dir: string, cacheHome: string, lockDir: string): Promise<Reference> {
  const h = harness(dir, 'ref', cacheHome, lockDir)
  const [proto, cache] = await pool.datasets('ref', ['proto', 'cache'])
  const manifest = writeManifest(h.dir, proto, cache)
  // Capability detection first, so that its calls are not counted among the build's.
  await runDcsnap(h, ['list', '-m', manifest], {runId: nextRunId('warm')})
  const runId = nextRunId('ref')
  const o = await runDcsnap(h, ['build', '-m', manifest], {runId})
  if (o.exitCode !== 0)
    throw new Error(
      `the clean reference build failed (exit ${o.exitCode}): ${o.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    )
  const calls = readZfsLog(h.log).calls.filter(c => c.run === runId).length
  const checkpoints = new Map<string, State>()
  for (const name of completeCheckpoints(await snapshotsUnder(`${pool.name}/ref`), [proto, cache])) {
    checkpoints.set(parseCheckpoint(name)!.step, await snapshotState(pool.name, pool.mountpoint, proto, cache, name))
  }
  const head = headState(join(pool.mountpoint, 'ref', 'proto'), join(pool.mountpoint, 'ref', 'cache'))
  await pool.drop('ref')
  return {head, checkpoints, calls, ms: o.end - o.start}
}

/** Where and how a run is killed. */
type KillPlan = {kind: 'delay'; ms: number; group: boolean} | {kind: 'zfs'; inject: Injection}

function describePlan(p: KillPlan): string {
  if (p.kind === 'delay') return `kill -9 ${p.group ? 'group' : 'pid'} after ${p.ms} ms`
  return `${p.inject.action} ${p.inject.kill} at zfs call ${p.inject.at}${p.inject.match ? ` matching ${p.inject.match.trim()}` : ''}`
}

function buildPlan(r: Rng, ref: Reference): KillPlan {
  const group = r.chance(0.5)
  if (r.chance(0.35)) return {kind: 'delay', ms: r.int(300, Math.round(ref.ms)), group}
  return {
    kind: 'zfs',
    inject: {
      action: r.pick(['kill-before', 'kill-after'] as const),
      at: r.int(1, ref.calls),
      kill: group ? 'group' : 'pid',
    },
  }
}

function resumePlan(r: Rng, ref: Reference): KillPlan {
  const group = r.chance(0.5)
  if (r.chance(0.6))
    return {
      kind: 'zfs',
      inject: {
        action: r.pick(['kill-before', 'kill-after'] as const),
        at: r.int(1, 2),
        match: ROLLBACK_CALLS,
        kill: group ? 'group' : 'pid',
      },
    }
  return {kind: 'delay', ms: r.int(200, Math.round(ref.ms)), group}
}

/** Runs dcsnap with a kill plan; true when it was killed. */
async function runKilled(h: Harness, args: string[], plan: KillPlan, runs: RunRecord[]): Promise<boolean> {
  const id = nextRunId('k9')
  const p = startDcsnap(h, args, {runId: id, inject: plan.kind === 'zfs' ? plan.inject : undefined})
  const timer = plan.kind === 'delay' ? setTimeout(() => p.kill(plan.group), plan.ms) : undefined
  const watchdog = setTimeout(() => p.kill(true), 180_000)
  const outcome = await p.done
  clearTimeout(timer)
  clearTimeout(watchdog)
  runs.push({id, args, outcome})
  return outcome.signal === 'SIGKILL'
}

/** Marker lines of orphaned writers written after a later dcsnap run had changed the datasets. */
function orphanWrites(h: Harness, runs: RunRecord[]): string[] {
  const file = join(h.dir, 'markers')
  if (!existsSync(file)) return []
  const changes = readZfsLog(h.log).calls.filter(c => c.changing)
  const found: string[] = []
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [tag, s0, t] = line.split(' ')
    const started = Number(s0) / 1e6
    const wrote = Number(t) / 1e6
    const owner = runs.reduce((o, r, i) => (r.outcome.start <= started ? i : o), -1)
    if (owner < 0) continue
    const later = new Set(runs.slice(owner + 1).map(r => r.id))
    const change = changes.find(c => later.has(c.run) && c.start < wrote)
    if (change) {
      found.push(
        `${tag} of ${runs[owner].args[0]} (${runs[owner].id}) wrote ${Math.round(wrote - change.start)} ms after ${change.run}'s zfs ${change.args.join(' ')}`,
      )
    }
  }
  // One line per writer is enough.
  return [...new Map(found.map(f => [f.split(' wrote ')[0], f])).values()]
}

/** Waits for the trial's writers to end on their own (an orphan's last write counts), then kills what is left. */
async function settleWriters(h: Harness, maxMs: number): Promise<void> {
  const file = join(h.dir, 'writer.pids')
  const pids = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [])
  const until = now() + maxMs
  while (now() < until && pids().some(alive)) await sleep(100)
  killOwned(pids(), /chaos-writer/)
}

async function trial(
  i: number,
  o: Kill9Options,
  pool: ChaosPool,
  dir: string,
  cacheHome: string,
  lockDir: string,
  ref: Reference,
): Promise<Violation[]> {
  const t0 = now()
  const r = rng(o.seed, 'kill9', i)
  const h = harness(dir, `t${i}`, cacheHome, lockDir)
  const parent = `t${i}`
  const [proto, cache] = await pool.datasets(parent, ['proto', 'cache'])
  const manifest = writeManifest(h.dir, proto, cache)
  const runs: RunRecord[] = []
  const plans: string[] = []
  const a = buildPlan(r, ref)
  plans.push(`build: ${describePlan(a)}`)
  const killed = await runKilled(h, ['build', '-m', manifest], a, runs)
  if (killed && r.chance(0.5)) {
    const b = resumePlan(r, ref)
    plans.push(`resume: ${describePlan(b)}`)
    await runKilled(h, ['resume', '-m', manifest, '--yes'], b, runs)
  }
  const rec = await recoverBuild(
    h,
    {manifest, root: `${pool.name}/${parent}`, datasets: [proto, cache], steps: STEPS},
    'k9r',
  )
  runs.push(...rec.runs)
  await settleWriters(h, 5000)
  const what: string[] = []
  if (!rec.ok) what.push(`did not recover: ${rec.why}`)
  const orphans = orphanWrites(h, runs)
  if (orphans.length > 0)
    what.push(`orphaned step wrote after another dcsnap changed the datasets: ${orphans.join('; ')}`)
  for (const e of internalErrors(runs)) what.push(`internal error: ${e}`)
  const snaps = await snapshotsUnder(`${pool.name}/${parent}`)
  for (const name of completeCheckpoints(snaps, [proto, cache])) {
    const step = parseCheckpoint(name)!.step
    const expected = ref.checkpoints.get(step)
    if (!expected) continue
    const d = stateDiff(expected, await snapshotState(pool.name, pool.mountpoint, proto, cache, name))
    if (d) what.push(`checkpoint ${name} differs from the clean build's: ${d}`)
  }
  if (rec.ok) {
    const d = stateDiff(
      ref.head,
      headState(join(pool.mountpoint, parent, 'proto'), join(pool.mountpoint, parent, 'cache')),
    )
    if (d) what.push(`final tree differs from the clean build's: ${d}`)
  }
  await pool.drop(parent)
  const story = runs.map(x => `${x.args[0]}→${x.outcome.exitCode ?? x.outcome.signal}`).join(' ')
  o.log(
    `kill9 trial ${i}: ${plans.join(', ')} [${story}] ${what.length === 0 ? 'ok' : `${what.length} problem(s)`} in ${Math.round((now() - t0) / 1000)} s`,
  )
  if (what.length === 0) return []
  return [
    {
      trial: String(i),
      what: [`${what.length} problem(s) after ${plans.join(', ')} [${story}]`, ...what].join('\n'),
      repro: `npm run chaos -- --only kill9 --seed ${o.seed} --trial ${i}`,
    },
  ]
}

/** Runs the kill -9 experiment on a pool of its own. */
export async function kill9(o: Kill9Options): Promise<ExperimentResult> {
  const t0 = Date.now()
  const dir = experimentDir('kill9')
  const pool = await createChaosPool('kill9')
  const violations: Violation[] = []
  const trials = o.trial === undefined ? [...Array(o.trials).keys()] : [o.trial]
  try {
    const ref = await reference(pool, dir, join(dir, 'xdg-cache'), join(dir, 'locks'))
    o.log(`kill9: clean build ${Math.round(ref.ms)} ms, ${ref.calls} zfs calls; ${trials.length} trials`)
    for (const i of trials) {
      const v = await trial(i, o, pool, dir, join(dir, 'xdg-cache'), join(dir, 'locks'), ref)
      violations.push(...v)
    }
  } finally {
    await pool.destroy()
    // Logs and wrapper records stay for a look when something broke.
    if (violations.length === 0) rmSync(dir, {recursive: true, force: true})
    else o.log(`kill9: logs of the trials are in ${dir}`)
  }
  return {name: 'kill9', trials: trials.length, violations, notes: [`seed ${o.seed}`], ms: Date.now() - t0}
}
