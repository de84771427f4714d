// Resume with 1 GiB in the proto area: `dcsnap resume` (roll back, run the rest) against restoring the same
// tree with `cp -a` from a copy and running the same steps by hand. Reports the ratio.
import {join} from 'node:path'
import type {BenchContext} from '../context.js'
import {countZfsCalls, dcsnapCommand} from '../dcsnap.js'
import {writeManifest} from '../manifest.js'
import {alternate, timeCommand, type Contender} from '../measure.js'
import {createPool} from '../pool.js'
import {ratioRow, type Row} from '../results.js'
import {execOk, zfsOk} from '../tier.js'
import {countBy} from './checkpoint.js'

/** The proto tree: 64 directories of 64 files of 256 KiB = 1 GiB. */
const TREE = {dirs: 64, files: 64, fileKiB: 256}

// Writes the tree into $1 from one random 256 KiB file copied (no compression, no dedup: every block is written).
const FILL = `set -e; head -c ${TREE.fileKiB * 1024} /dev/urandom > "$1/.seed"
d=0; while [ $d -lt ${TREE.dirs} ]; do mkdir "$1/d$d"; f=0
  while [ $f -lt ${TREE.files} ]; do cp "$1/.seed" "$1/d$d/f$f"; f=$((f+1)); done; d=$((d+1)); done; rm "$1/.seed"`

/** Sets up a completed 3-step build over 1 GiB, then times resuming at its second step against cp -a + the steps. */
export async function resume(ctx: BenchContext): Promise<Row[]> {
  const {tier} = ctx
  const runs = ctx.runs ?? 3
  const pool = await createPool(tier, '6G')
  try {
    const proto = join(pool.mountpoint, 'proto')
    const copy = join(pool.mountpoint, 'copy')
    await zfsOk(tier, ['create', `${pool.name}/copy`])
    // Steps act where the datasets are mounted (in the VM on the OpenZFS tier), through the tier's exec words.
    const run = (...args: string[]) => [...tier.execWords, ...args]
    const steps = [
      {name: 'fill', run: run('sh', '-c', FILL, 'sh', proto)},
      {name: 'modify', run: run('dd', 'if=/dev/zero', `of=${proto}/modify.out`, 'bs=1048576', 'count=8')},
      {name: 'finish', run: run('true')},
    ]
    const m = writeManifest(pool, steps)
    const dcsnap = (...args: string[]) => timeCommand(dcsnapCommand(tier, [...args, '-q', '-m', m.file], {cwd: m.dir}))
    ctx.log('  writing 1 GiB into the proto area and a copy of it')
    await dcsnap('build', '--pause-after', 'fill')
    await execOk(tier, ['cp', '-a', `${proto}/.`, `${copy}/`])
    await dcsnap('resume')
    const resumeArgs = ['resume', 'modify', '--yes']
    const viaDcsnap: Contender = {name: 'dcsnap', run: () => dcsnap(...resumeArgs)}
    const byHand: Contender = {
      name: 'cp',
      async run() {
        let seconds = await timeCommand({
          words: run('find', proto, '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '{}', '+'),
          env: tier.env,
        })
        seconds += await timeCommand({words: run('cp', '-a', `${copy}/.`, `${proto}/`), env: tier.env})
        for (const s of steps.slice(1)) seconds += await timeCommand({words: s.run, cwd: m.dir, env: tier.env})
        return seconds
      },
      // Untimed: put the datasets back as a dcsnap resume leaves them, so each side starts from the same state.
      after: async () => void (await dcsnap(...resumeArgs)),
    }
    const t = await alternate([byHand, viaDcsnap], runs)
    const calls = await countZfsCalls(tier, [...resumeArgs, '-q', '-m', m.file], {
      cwd: m.dir,
      warm: ['list', ...pool.flags],
    })
    return [
      ratioRow({
        id: 'resume',
        benchmark: '`dcsnap resume modify` of a build with 1 GiB in the proto area',
        baseline: 'delete the tree, `cp -a` it back from a copy, run the same steps',
        runs,
        dcsnap: t.dcsnap,
        base: t.cp,
        target: 'report the ratio',
        zfsProcesses: calls.length,
        notes: [
          `proto: ${TREE.dirs * TREE.files} files of ${TREE.fileKiB} KiB; steps fill (1 GiB), modify (writes 8 MiB), finish (no-op); resume at modify rolls back to dc-1-fill`,
          `zfs processes in one resume: ${countBy(calls)}`,
          `the copy lives in a dataset of the same pool`,
        ],
      }),
    ]
  } finally {
    await pool.destroy()
  }
}
