// faults: every zfs call of every changing command (build, resume, rollback, rename, snapshot, destroy, prune)
// made to fail, hang, or succeed and then see dcsnap die. A failure must be exit 1 with a two-line message
// (or a success that did the whole job); whatever happened, the next run must recover, with no manual snapshot lost.
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {killOwned, now, sleep} from './exec.js'
import {
  experimentDir,
  harness,
  nextRunId,
  runDcsnap,
  startDcsnap,
  tail,
  twoLineProblem,
  type Harness,
  type Injection,
} from './dcsnap.js'
import {createChaosPool, type ChaosPool} from './pool.js'
import {internalErrors, recoverBuild, type RunRecord} from './recover.js'
import type {ExperimentResult, Violation} from './report.js'
import {rng} from './rng.js'
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
export interface FaultsOptions {
  seed: number
  /** One fault per command (sites and modes drawn from the seed) instead of every site in every mode. */
  small: boolean
  /** Run only this case, e.g. `rename#2:fail`. */
  only?: string
  /** Only these commands (default: all seven). */
  commands?: string[]
  log: (line: string) => void
}

const STEPS = ['s1', 's2', 's3']
const MODES = ['fail', 'hang', 'die'] as const
type Mode = (typeof MODES)[number]

/** One trial's datasets, manifest and harness. */
interface Trial {
  h: Harness
  parent: string
  root: string
  proto: string
  cache: string
  manifest: string
  pool: ChaosPool
  runs: RunRecord[]
}

/** A changing command: the state it starts from, its arguments, how to recover after it, and what must hold then. */
interface FaultCase {
  command: string
  /** Brings a fresh trial to the state the command works on (step s2 fails until `ok` exists). */
  setup(t: Trial): Promise<void>
  args(t: Trial): string[]
  /** After a failure or a kill: '' when the next run(s) recovered, else why not. */
  recover(t: Trial): Promise<string>
  /** The state that must hold at the end ('' when it does). */
  check(t: Trial, ref: Reference): Promise<string>
}

/** A clean build's head and checkpoints, by step ('' for the baseline). */
interface Reference {
  head: State
  checkpoints: Map<string, State>
}

function writeManifest(dir: string, proto: string, cache: string): string {
  const ok = join(dir, 'ok')
  const doc = {
    version: 1,
    name: 'faults',
    datasets: {proto, cache},
    logs: join(dir, 'logs'),
    steps: [
      {name: 's1', run: 'echo one > "$DCSNAP_PROTO/one" && echo 1 > "$DCSNAP_DATA_CACHE/n"'},
      {name: 's2', run: `test -f ${ok} || { echo "s2: not yet" >&2; exit 3; }; echo two > "$DCSNAP_PROTO/two"`},
      {name: 's3', run: 'echo three > "$DCSNAP_PROTO/three" && echo 3 >> "$DCSNAP_DATA_CACHE/n"'},
    ],
  }
  const file = join(dir, 'dcsnap.yaml')
  writeFileSync(file, stringify(doc))
  return file
}

/** Runs a setup command, which must end with `want`. */
async function step(t: Trial, args: string[], want = 0): Promise<void> {
  const id = nextRunId('setup')
  const o = await runDcsnap(t.h, [...args, '-m', t.manifest], {runId: id})
  t.runs.push({id, args, outcome: o})
  if (o.exitCode !== want)
    throw new Error(`setup \`dcsnap ${args.join(' ')}\` exited ${o.exitCode}, not ${want}: ${tail(o)}`)
}

const ok = (t: Trial) => writeFileSync(join(t.h.dir, 'ok'), '')

/**
 * Re-runs the same command until it exits 0 (waiting while another holds the lock), or until it says that what it
 * was asked to do is already done (`done`: e.g. a snapshot whose zfs call finished before dcsnap died).
 */
async function rerun(t: Trial, args: string[], done?: RegExp, tries = 3): Promise<string> {
  let last = ''
  for (let i = 0; i < tries; i++) {
    const id = nextRunId('rerun')
    const o = await runDcsnap(t.h, args, {runId: id})
    t.runs.push({id, args, outcome: o})
    if (o.exitCode === 0 || (done && o.exitCode === 2 && done.test(o.stderr))) return ''
    last = `exit ${o.exitCode}: ${tail(o, 2)}`
    if (o.exitCode !== 4 && o.exitCode !== 1) break
    await sleep(500)
  }
  return `re-running \`dcsnap ${args.join(' ')}\` did not recover (${last})`
}

async function snapshotsOf(t: Trial): Promise<{proto: string[]; cache: string[]}> {
  const s = await snapshotsUnder(t.root)
  return {proto: s.get(t.proto) ?? [], cache: s.get(t.cache) ?? []}
}

/** '' when every build dataset has each of `names` (and none of `gone`). */
async function expectSnapshots(t: Trial, names: string[], gone: string[] = []): Promise<string> {
  const s = await snapshotsOf(t)
  const problems: string[] = []
  for (const ds of ['proto', 'cache'] as const) {
    for (const n of names) if (!s[ds].includes(n)) problems.push(`${ds}@${n} missing`)
    for (const n of gone) if (s[ds].includes(n)) problems.push(`${ds}@${n} still there`)
  }
  return problems.join(', ')
}

const head = (t: Trial) =>
  headState(join(t.pool.mountpoint, t.parent, 'proto'), join(t.pool.mountpoint, t.parent, 'cache'))

/**
 * Build 1's checkpoints and the head equal the clean build's, and the `keep` snapshots are there. (A second
 * build starts from the head as the first left it, so its baseline and early checkpoints differ by design.)
 */
async function checkBuilt(t: Trial, ref: Reference, keep = ['keep-me']): Promise<string> {
  const problems = [await expectSnapshots(t, keep)]
  const s = await snapshotsUnder(t.root)
  for (const name of completeCheckpoints(s, [t.proto, t.cache])) {
    const c = parseCheckpoint(name)!
    const expected = c.build === '1' ? ref.checkpoints.get(c.step) : undefined
    const d =
      expected && stateDiff(expected, await snapshotState(t.pool.name, t.pool.mountpoint, t.proto, t.cache, name))
    if (d) problems.push(`checkpoint ${name}: ${d}`)
  }
  const d = stateDiff(ref.head, head(t))
  if (d) problems.push(`head: ${d}`)
  return problems.filter(Boolean).join('; ')
}

const recoverResume = async (t: Trial) => {
  const r = await recoverBuild(
    t.h,
    {manifest: t.manifest, root: t.root, datasets: [t.proto, t.cache], steps: STEPS},
    'rec',
  )
  t.runs.push(...r.runs)
  return r.ok ? '' : r.why
}

/** Two complete builds with keep-me taken between them, on one line (--on-top): destroy and prune cut a straight history. */
async function twoBuilds(t: Trial): Promise<void> {
  ok(t)
  await step(t, ['build'])
  await step(t, ['snapshot', 'keep-me'])
  await step(t, ['build', '--on-top'])
}

const CASES: FaultCase[] = [
  {
    command: 'build',
    setup: async t => {
      ok(t)
      await step(t, ['snapshot', 'keep-me'])
    },
    args: t => ['build', '-m', t.manifest],
    recover: recoverResume,
    check: (t, ref) => checkBuilt(t, ref),
  },
  {
    command: 'resume',
    setup: async t => {
      await step(t, ['snapshot', 'keep-me'])
      await step(t, ['build'], 1)
      ok(t)
    },
    args: t => ['resume', '-m', t.manifest, '--yes'],
    recover: recoverResume,
    check: (t, ref) => checkBuilt(t, ref),
  },
  {
    command: 'rollback',
    setup: async t => {
      ok(t)
      await step(t, ['snapshot', 'keep-me'])
      await step(t, ['build'])
    },
    args: t => ['rollback', 's1', '--yes', '-m', t.manifest],
    recover: t => rerun(t, ['rollback', 's1', '--yes', '-m', t.manifest]),
    check: async (t, ref) => {
      const d = stateDiff(ref.checkpoints.get('s1')!, head(t))
      return [await expectSnapshots(t, ['keep-me', 'dc-1', 'dc-1-s1']), d && `head is not s1's state: ${d}`]
        .filter(Boolean)
        .join('; ')
    },
  },
  {
    command: 'rename',
    setup: async t => {
      ok(t)
      await step(t, ['build'])
      await step(t, ['snapshot', 'keep-me'])
    },
    args: t => ['rename', 'keep-me', 'kept', '-m', t.manifest],
    recover: t => rerun(t, ['rename', 'keep-me', 'kept', '-m', t.manifest]),
    check: (t, ref) =>
      checkBuilt(t, ref, ['kept']).then(async p =>
        [p, await expectSnapshots(t, [], ['keep-me'])].filter(Boolean).join('; '),
      ),
  },
  {
    command: 'snapshot',
    setup: async t => {
      ok(t)
      await step(t, ['build'])
      await step(t, ['snapshot', 'keep-me'])
    },
    args: t => ['snapshot', 'snap2', '-m', t.manifest],
    // Exit 2 "already exists" on every dataset is the answer when the killed run had finished its zfs calls;
    // the check below then verifies that snap2 is whole.
    recover: t =>
      rerun(
        t,
        ['snapshot', 'snap2', '-m', t.manifest],
        /"snap2" already exists on \S+\/proto, \S+\/cache: no snapshot was taken/,
      ),
    check: (t, ref) => checkBuilt(t, ref, ['keep-me', 'snap2']),
  },
  {
    command: 'destroy',
    setup: twoBuilds,
    args: t => ['destroy', '--whole-build', '1', '-m', t.manifest],
    recover: t => rerun(t, ['destroy', '--whole-build', '1', '-m', t.manifest]),
    check: (t, ref) => checkGone(t, ref),
  },
  {
    command: 'prune',
    setup: twoBuilds,
    args: t => ['prune', '--keep', '1', '-m', t.manifest],
    recover: t => rerun(t, ['prune', '--keep', '1', '-m', t.manifest]),
    check: (t, ref) => checkGone(t, ref, true),
  },
]

/** Build 1 is gone (but its baseline when it is the base prune keeps), build 2 and keep-me are whole. */
async function checkGone(t: Trial, ref: Reference, baseKept = false): Promise<string> {
  const build1 = [...(baseKept ? [] : ['dc-1']), ...STEPS.map(s => `dc-1-${s}`)]
  const build2 = ['dc-2', ...STEPS.map(s => `dc-2-${s}`)]
  return [
    await expectSnapshots(t, ['keep-me', ...build2, ...(baseKept ? ['dc-1'] : [])], build1),
    await checkBuilt(t, ref, []),
  ]
    .filter(Boolean)
    .join('; ')
}

async function newTrial(
  pool: ChaosPool,
  dir: string,
  name: string,
  cacheHome: string,
  lockDir: string,
): Promise<Trial> {
  const h = harness(dir, name, cacheHome, lockDir)
  const parent = name.replace(/[^A-Za-z0-9]/g, '_')
  const [proto, cache] = await pool.datasets(parent, ['proto', 'cache'])
  return {
    h,
    parent,
    root: `${pool.name}/${parent}`,
    proto,
    cache,
    manifest: writeManifest(h.dir, proto, cache),
    pool,
    runs: [],
  }
}

async function reference(pool: ChaosPool, dir: string, cacheHome: string, lockDir: string): Promise<Reference> {
  const t = await newTrial(pool, dir, 'ref', cacheHome, lockDir)
  ok(t)
  await step(t, ['build'])
  const checkpoints = new Map<string, State>()
  for (const name of completeCheckpoints(await snapshotsUnder(t.root), [t.proto, t.cache])) {
    checkpoints.set(
      parseCheckpoint(name)!.step,
      await snapshotState(pool.name, pool.mountpoint, t.proto, t.cache, name),
    )
  }
  const r = {head: head(t), checkpoints}
  await pool.drop(t.parent)
  return r
}

/** How many zfs calls the command makes from its state, as the wrapper counts them. */
async function countCalls(
  c: FaultCase,
  pool: ChaosPool,
  dir: string,
  cacheHome: string,
  lockDir: string,
): Promise<number> {
  const t = await newTrial(pool, dir, `count-${c.command}`, cacheHome, lockDir)
  try {
    await c.setup(t)
    const id = nextRunId('count')
    const o = await runDcsnap(t.h, c.args(t), {runId: id})
    if (o.exitCode !== 0)
      throw new Error(`\`dcsnap ${c.args(t).join(' ')}\` failed without a fault (exit ${o.exitCode}): ${tail(o)}`)
    return readZfsLog(t.h.log).calls.filter(x => x.run === id).length
  } finally {
    await pool.drop(t.parent)
  }
}

const injection = (mode: Mode, at: number): Injection => ({
  action: mode === 'die' ? 'kill-after' : mode,
  at,
  kill: 'pid',
})

/** Runs the command under test with one fault; returns what broke ('' when nothing did). */
async function runCase(c: FaultCase, k: number, mode: Mode, t: Trial, ref: Reference): Promise<string> {
  await c.setup(t)
  const id = nextRunId('fault')
  const args = c.args(t)
  const p = startDcsnap(t.h, args, {runId: id, inject: injection(mode, k)})
  let hung = false
  if (mode === 'hang') {
    // Once zfs hangs, dcsnap is killed as a user would kill it; the hung zfs goes too.
    const poll = setInterval(() => {
      const hangs = readZfsLog(t.h.log).hangs.filter(x => x.run === id)
      if (hangs.length > 0) {
        hung = true
        p.kill(false)
        killOwned(
          hangs.map(x => x.pid),
          /sleep/,
        )
      }
    }, 100)
    void p.done.finally(() => clearInterval(poll))
  }
  const watchdog = setTimeout(() => p.kill(true), 120_000)
  const o = await p.done
  clearTimeout(watchdog)
  t.runs.push({id, args, outcome: o})
  const problems: string[] = []
  const injected = readZfsLog(t.h.log)
  const hit =
    mode === 'fail'
      ? injected.fails.some(x => x.run === id)
      : mode === 'hang'
        ? hung
        : injected.kills.some(x => x.run === id)
  if (mode === 'fail' && hit) {
    if (o.exitCode === 1) {
      const why = twoLineProblem(o)
      if (why) problems.push(`failing call: exit 1 but ${why}: ${tail(o, 3)}`)
    } else if (o.exitCode !== 0) {
      problems.push(`failing call: exit ${o.exitCode ?? o.signal}, not 1: ${tail(o, 2)}`)
    }
  }
  // A command that did the whole job before it failed or died needs no next run: a user would see it done (`dcsnap list`).
  const rec = (await c.check(t, ref)) === '' ? '' : await c.recover(t)
  if (rec) problems.push(`next run: ${rec}`)
  const state = await c.check(t, ref)
  if (state) problems.push(`final state: ${state}`)
  for (const e of internalErrors(t.runs)) problems.push(`internal error: ${e}`)
  return problems.join('\n')
}

/** Runs the fault-injection experiment on a pool of its own. */
export async function faults(o: FaultsOptions): Promise<ExperimentResult> {
  const t0 = Date.now()
  const dir = experimentDir('faults')
  const pool = await createChaosPool('faults')
  const cacheHome = join(dir, 'xdg-cache')
  const lockDir = join(dir, 'locks')
  const violations: Violation[] = []
  let trials = 0
  const r = rng(o.seed, 'faults')
  try {
    const ref = await reference(pool, dir, cacheHome, lockDir)
    for (const c of CASES) {
      if (o.only && !o.only.startsWith(`${c.command}#`)) continue
      if (o.commands && !o.commands.includes(c.command)) continue
      const n = await countCalls(c, pool, dir, cacheHome, lockDir)
      const all = [...Array(n).keys()].flatMap(i => MODES.map(m => ({k: i + 1, mode: m})))
      const chosen = o.only
        ? all.filter(x => `${c.command}#${x.k}:${x.mode}` === o.only)
        : o.small
          ? [r.pick(all)]
          : all
      o.log(`faults: ${c.command} makes ${n} zfs calls; ${chosen.length} cases`)
      for (const {k, mode} of chosen) {
        const name = `${c.command}#${k}:${mode}`
        const started = now()
        const t = await newTrial(pool, dir, `${c.command}-${k}-${mode}`, cacheHome, lockDir)
        let what: string
        try {
          what = await runCase(c, k, mode, t, ref)
        } catch (error) {
          what = `harness: ${error instanceof Error ? error.message : String(error)}`
        }
        await pool.drop(t.parent)
        trials++
        const call = readZfsLog(t.h.log).calls.filter(x => x.run.startsWith('fault.'))[k - 1]
        const site = call ? `zfs ${call.args.slice(0, 2).join(' ')}` : `call ${k}`
        o.log(
          `faults ${name} (${site}): ${what ? what.split('\n')[0] : 'ok'} in ${Math.round((now() - started) / 1000)} s`,
        )
        if (what)
          violations.push({
            trial: name,
            what: `${site}: ${what}`,
            repro: `npm run chaos -- --only faults --seed ${o.seed} --trial '${name}'`,
          })
      }
    }
  } finally {
    await pool.destroy()
    // Logs and wrapper records stay for a look when something broke.
    if (violations.length === 0) rmSync(dir, {recursive: true, force: true})
    else o.log(`faults: logs of the trials are in ${dir}`)
  }
  return {
    name: 'faults',
    trials,
    violations,
    notes: [o.small ? 'one fault per command' : `every call site x ${MODES.join('/')}`],
    ms: Date.now() - t0,
  }
}
