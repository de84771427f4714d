// The step cache: a 5-step build where only the last (quick) step changed. `dcsnap build` (4 steps reused: the head
// goes to their checkpoint by a rollback or line move, then the last step runs) against a clean build (--no-cache) and
// against restoring the cached prefix by `cp -a` from a copy and running the last step; at 100 MiB and 1 GiB in the
// proto area, and with 10 and 200 earlier builds on the datasets.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import type {BenchContext} from '../context.js'
import {countZfsCalls, dcsnapCommand} from '../dcsnap.js'
import {alternate, summarise, timeCommand, type Contender} from '../measure.js'
import {createPool, type BenchPool} from '../pool.js'
import {ratioRow, type Row} from '../results.js'
import {execOk, zfsOk} from '../tier.js'
import {countBy} from './checkpoint.js'

/** Writes `mib` MiB into $1 as 256 KiB files of random data, 64 to a directory. */
const fill = (mib: number) => `set -e; head -c 262144 /dev/urandom > "$1/.seed"; n=0; d=0
while [ $n -lt ${mib * 4} ]; do [ $((n % 64)) -eq 0 ] && { d=$((n / 64)); mkdir "$1/d$d"; }; cp "$1/.seed" "$1/d$d/f$n"; n=$((n+1)); done; rm "$1/.seed"`

/** Snapshots `count` fake earlier builds (baseline and five checkpoints, no keys) of both datasets, in one shell. */
const earlierBuilds = (pool: BenchPool, count: number) => `set -e; b=1000; while [ $b -lt ${1000 + count} ]; do
for ds in ${pool.proto} ${pool.cache}; do zfs snapshot -o dcsnap:build=$b -o dcsnap:index=0 $ds@dc-$b
i=1; for s in fill modify three four last; do zfs snapshot -o dcsnap:build=$b -o dcsnap:step=$s -o dcsnap:index=$i $ds@dc-$b-$s; i=$((i+1)); done; done
b=$((b+1)); done`

/** Times the three ways at each size and builds count; every row reports, the restore's target is <= 2 s and constant zfs calls. */
export async function cache(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = []
  for (const [mib, builds] of [
    [100, 10],
    [1024, 10],
    [100, 200],
  ] as const)
    rows.push(await measure(ctx, mib, builds))
  return rows
}

async function measure(ctx: BenchContext, mib: number, builds: number): Promise<Row> {
  const {tier} = ctx
  const runs = ctx.runs ?? 3
  const pool = await createPool(tier, mib > 512 ? '8G' : '3G')
  try {
    const proto = join(pool.mountpoint, 'proto')
    const copy = join(pool.mountpoint, 'copy')
    await zfsOk(tier, ['create', `${pool.name}/copy`])
    const run = (...args: string[]) => [...tier.execWords, ...args]
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bench-manifest-'))
    const file = join(dir, 'dcsnap.yaml')
    let version = 0
    // Only the last step's env changes from one build to the next: its key, and no other, is new.
    const manifest = () =>
      writeFileSync(
        file,
        stringify({
          version: 1,
          name: 'bench',
          datasets: {proto: pool.proto, cache: pool.cache},
          logs: join(dir, 'logs'),
          steps: [
            {name: 'fill', run: run('sh', '-c', fill(mib), 'sh', proto)},
            {name: 'modify', run: run('dd', 'if=/dev/zero', `of=${proto}/modify.out`, 'bs=1048576', 'count=8')},
            {name: 'three', run: run('true')},
            {name: 'four', run: run('true')},
            {name: 'last', run: run('true'), env: {VERSION: String(++version)}},
          ],
        }),
      )
    const dcsnap = (...args: string[]) => timeCommand(dcsnapCommand(tier, [...args, '-q', '-m', file], {cwd: dir}))
    ctx.log(`  ${mib} MiB, ${builds} earlier builds: first build and a copy of its tree`)
    manifest()
    await dcsnap('build')
    await execOk(tier, ['cp', '-a', `${proto}/.`, `${copy}/`])
    await execOk(tier, ['sh', '-c', earlierBuilds(pool, builds - 1)])
    manifest()
    await dcsnap('build')
    const clean = summarise([
      await (async () => {
        manifest()
        return dcsnap('build', '--no-cache')
      })(),
    ])
    const viaCache: Contender = {
      name: 'dcsnap',
      run: async () => {
        manifest()
        return dcsnap('build')
      },
    }
    const byCopy: Contender = {
      name: 'cp',
      async run() {
        let seconds = await timeCommand({
          words: run('find', proto, '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '{}', '+'),
          env: tier.env,
        })
        seconds += await timeCommand({words: run('cp', '-a', `${copy}/.`, `${proto}/`), env: tier.env})
        return seconds + (await timeCommand({words: run('true'), env: tier.env}))
      },
      // Untimed: drop the copied tree (back to the head's newest snapshot), or the next build would keep it as hand changes.
      after: async () => {
        const newest = (
          await zfsOk(tier, ['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'createtxg', '-d', '1', pool.proto])
        )
          .trim()
          .split('\n')
          .at(-1)!
        await zfsOk(tier, ['rollback', newest])
      },
    }
    const t = await alternate([byCopy, viaCache], runs)
    manifest()
    const calls = await countZfsCalls(tier, ['build', '-q', '-m', file], {cwd: dir, warm: ['list', ...pool.flags]})
    return ratioRow({
      id: `cache-${mib}M-${builds}`,
      benchmark: `\`dcsnap build\` reusing 4 of 5 steps, ${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`} in the proto area, ${builds} earlier builds`,
      baseline: "restore the reused steps' tree with `cp -a` from a copy, run the last step",
      runs,
      dcsnap: t.dcsnap,
      base: t.cp,
      target: 'the whole build (restore included) <= 2 s, a constant number of zfs processes; report the ratios',
      zfsProcesses: calls.length,
      notes: [
        `a clean build (--no-cache) of the same steps: ${clean.median.toFixed(2)} s; dcsnap build reusing 4 steps: ${t.dcsnap.median.toFixed(2)} s (${(t.dcsnap.median / clean.median).toFixed(2)}x the clean build)`,
        `restore within 2 s: ${t.dcsnap.median <= 2 ? 'yes' : 'no'}`,
        `zfs processes in one build: ${countBy(calls)}`,
        `each build changes only the last step's env; the reused checkpoint is the previous build's baseline, which the head leaves for a kept line`,
      ],
    })
  } finally {
    await pool.destroy()
  }
}
