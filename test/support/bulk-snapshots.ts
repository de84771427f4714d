// Many snapshots, in order, on OpenZFS in the test VM: ZFS channel programs (`zfs program`) run by a shell in the VM.
//
// A dataset takes at most one snapshot per transaction group (dsl_dataset_snapshot_check_impl: EAGAIN when the dataset
// already has one from this group; verified in the VM: a second zfs.sync.snapshot of a dataset in one program returns
// 11), so N snapshots of a dataset cost N groups, whatever makes them. What bulk creation saves is everything around the
// groups: each step is one channel program that snapshots every dataset and sets the user properties in one group, and
// a shell in the VM keeps two programs in flight, so one zfs process starts while the group of the one before syncs
// (one forwarded call from this machine per chunk instead of one per snapshot). The order is kept: a step waits until
// the previous step's snapshots exist, and tries again when its group turns out to be the previous step's.
import {execa} from 'execa'
import {join} from 'node:path'
import {shellCommand} from '../../src/replication/shell-quote.js'
import {repoRoot} from './paths.js'

/** One step: a snapshot of this name on every dataset, with these user properties. */
export interface BulkSnapshot {
  name: string
  props?: Record<string, string>
}

/** What to make, and where. */
export interface BulkOptions {
  /** Datasets of one pool; each step snapshots all of them in one transaction group. */
  datasets: string[]
  /** In order: each step's snapshots are made after the previous step's (createtxg grows with the list). */
  snapshots: BulkSnapshot[]
  /** Environment of the forwarders (e.g. DCSNAP_VM_RUN for another VM than the test VM). */
  env?: Record<string, string>
  /** Steps per forwarded call (default 500). */
  chunk?: number
  /** Called after each chunk with the number of steps done so far. */
  progress?: (done: number) => void
}

/**
 * The channel program of one step. argv: PREV SNAP N DATASET... [PROPERTY VALUE]...; PREV is `-` for none.
 * Returns 'ok', 'wait' (PREV is not there yet on some dataset) or 'again' (this transaction group already holds a
 * snapshot of a dataset); nothing is changed unless every check passes. Any other failure is a Lua error.
 */
export const STEP_PROGRAM = `-- dcsnap test support (test/support/bulk-snapshots.ts): one step of a bulk snapshot run
local argv = (...)['argv']
local prev, snap, n = argv[1], argv[2], tonumber(argv[3])
if zfs.sync.set_prop == nil then error('zfs.sync.set_prop needs OpenZFS 2.0 or later') end
local names = {}
for j = 1, n do
  local ds = argv[3 + j]
  if prev ~= '-' and not zfs.exists(ds .. '@' .. prev) then return 'wait' end
  names[j] = ds .. '@' .. snap
end
for j = 1, n do
  local e = zfs.check.snapshot(names[j])
  if e == 11 then return 'again' end
  if e ~= 0 then error('snapshot ' .. names[j] .. ': error ' .. e) end
end
for j = 1, n do
  local e = zfs.sync.snapshot(names[j])
  if e ~= 0 then error('snapshot ' .. names[j] .. ': error ' .. e) end
  for k = 4 + n, #argv, 2 do
    e = zfs.sync.set_prop(names[j], argv[k], argv[k + 1])
    if e ~= 0 then error('set ' .. argv[k] .. ' on ' .. names[j] .. ': error ' .. e) end
  end
end
return 'ok'
`

/** Two steps in flight; more only adds retries (measured: 3 and 4 were slower than 2). */
const DEPTH = 2
/** Tries of one step before the run gives up (a step waits only for the one before it). */
const TRIES = 500

let counter = 0

/** Makes the snapshots in the test VM (OpenZFS only: channel programs), in order, chunk by chunk. */
export async function bulkSnapshots(opts: BulkOptions): Promise<void> {
  const pool = opts.datasets[0]?.split('/')[0]
  if (!pool || opts.datasets.some(ds => ds.split('/')[0] !== pool))
    throw new Error('bulkSnapshots: datasets of exactly one pool')
  const env = {...process.env, ...opts.env}
  const dir = `/tmp/dcsnap-bulk-${process.pid}-${++counter}`
  const lua = `${dir}/step.lua`
  await vm(env, ['mkdir', '-p', dir])
  try {
    await vm(env, ['sh', '-c', 'cat > "$1"', 'sh', lua], STEP_PROGRAM)
    const chunk = opts.chunk ?? 500
    for (let from = 0; from < opts.snapshots.length; from += chunk) {
      const steps = opts.snapshots.slice(from, from + chunk)
      const prev = from === 0 ? '-' : opts.snapshots[from - 1].name
      const script = driver(pool, lua, opts.datasets, prev, steps)
      await vm(env, ['sh', '-c', 'cat > "$1"', 'sh', `${dir}/run.sh`], script)
      await vm(env, ['sh', `${dir}/run.sh`])
      opts.progress?.(from + steps.length)
    }
  } finally {
    await vm(env, ['rm', '-rf', dir]).catch(() => {})
  }
}

/** The shell script (busybox sh in the VM) of one chunk. */
function driver(pool: string, lua: string, datasets: string[], prev: string, steps: BulkSnapshot[]): string {
  const lines = [
    // s PREV SNAP ...: runs the step's program until it is done.
    's() {',
    '  t=0',
    '  while :; do',
    `    r=$(zfs program -j ${shellCommand([pool, lua])} "$@") || { echo "bulk snapshot $2: $r" >&2; return 1; }`,
    '    case $r in',
    `      *'"ok"'*) return 0 ;;`,
    `      *'"wait"'* | *'"again"'*) t=$((t + 1)); [ $t -lt ${TRIES} ] || { echo "bulk snapshot $2: gave up: $r" >&2; return 1; } ;;`,
    '      *) echo "bulk snapshot $2: $r" >&2; return 1 ;;',
    '    esac',
    '  done',
    '}',
    // r PREV SNAP ...: starts the step, then waits for the oldest step in flight once DEPTH are; a failed step stops
    // the ones in flight after it.
    'q=',
    'f() { kill $q 2>/dev/null; exit 1; }',
    `r() { s "$@" & q="$q $!"; set -- $q; if [ $# -ge ${DEPTH} ]; then wait "$1" || f; shift; q="$*"; fi; }`,
  ]
  for (const step of steps) {
    const props = Object.entries(step.props ?? {}).flat()
    lines.push(`r ${shellCommand([prev, step.name, String(datasets.length), ...datasets, ...props])}`)
    prev = step.name
  }
  lines.push('for p in $q; do wait "$p" || f; done', '')
  return lines.join('\n')
}

/** Runs a program in the VM (test/vm/exec), with `input` as its stdin; throws with its stderr when it fails. */
async function vm(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<void> {
  const exec = join(repoRoot, 'test', 'vm', 'exec')
  const r = await execa(exec, [...(input === undefined ? [] : ['--stdin']), '--', ...args], {
    env,
    reject: false,
    ...(input === undefined ? {stdin: 'ignore' as const} : {input}),
  })
  if (r.exitCode !== 0)
    throw new Error(`${args.slice(0, 2).join(' ')} in the VM failed (${r.exitCode}): ${String(r.stderr).trim()}`)
}
