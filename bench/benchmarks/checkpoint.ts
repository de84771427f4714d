// Checkpoint overhead: `dcsnap build` of 50 no-op steps (51 checkpoints with the baseline) against running the
// same steps and raw `zfs snapshot`s of the same datasets; zfs processes per checkpoint.
import type {BenchContext} from '../context.js'
import {countZfsCalls, dcsnapCommand} from '../dcsnap.js'
import {writeManifest} from '../manifest.js'
import {alternate, timeCommand, type Contender} from '../measure.js'
import {createPool, destroySnapshots} from '../pool.js'
import {ratioRow, type Row} from '../results.js'

const STEPS = 50

/** Times whole builds and the hand-made equivalent; reports per checkpoint. */
export async function checkpoint(ctx: BenchContext): Promise<Row[]> {
  const {tier} = ctx
  const runs = ctx.runs ?? 5
  const pool = await createPool(tier, '512M')
  try {
    const datasets = [pool.proto, pool.cache]
    const steps = Array.from({length: STEPS}, (_, i) => ({
      name: `step${String(i + 1).padStart(2, '0')}`,
      run: ['true'],
    }))
    const m = writeManifest(pool, steps)
    const build = ['build', '-q', '-m', m.file]
    const reset = () => destroySnapshots(tier, datasets)
    const dcsnap: Contender = {
      name: 'dcsnap',
      run: () => timeCommand(dcsnapCommand(tier, build, {cwd: m.dir})),
      after: reset,
    }
    const raw: Contender = {
      name: 'raw',
      async run() {
        let seconds = 0
        for (let i = 0; i <= STEPS; i++) {
          if (i > 0) seconds += await timeCommand({words: ['true'], cwd: m.dir})
          const names = datasets.map(d => `${d}@raw-${i}`)
          for (const group of tier.multiSnapshot ? [names] : names.map(n => [n])) {
            seconds += await timeCommand({words: [...tier.zfsWords, 'snapshot', ...group], env: tier.env})
          }
        }
        return seconds
      },
      after: reset,
    }
    const t = await alternate([raw, dcsnap], runs)
    const calls = await countZfsCalls(tier, build, {cwd: m.dir, warm: ['list', ...pool.flags]})
    await reset()
    const snapshotCalls = calls.filter(c => c.startsWith('snapshot ')).length
    const per = (x: typeof t.raw) => ({
      ...x,
      median: round(x.median / (STEPS + 1)),
      min: round(x.min / (STEPS + 1)),
      max: round(x.max / (STEPS + 1)),
      samples: x.samples.map(s => round(s / (STEPS + 1))),
    })
    const expected = tier.multiSnapshot ? 1 : datasets.length
    return [
      ratioRow({
        id: 'checkpoint',
        benchmark: `checkpoint in \`dcsnap build\` of ${STEPS} no-op steps (per checkpoint)`,
        baseline: `the steps, then raw \`zfs snapshot\` of proto and cache (${tier.multiSnapshot ? 'one call' : 'one call each'})`,
        runs,
        dcsnap: per(t.dcsnap),
        base: per(t.raw),
        target: `<= 1.3x; ${expected} zfs process${expected > 1 ? 'es' : ''} per checkpoint`,
        max: 1.3,
        zfsProcesses: round(snapshotCalls / (STEPS + 1)),
        zfsProcessesMax: expected,
        notes: [
          `${STEPS + 1} checkpoints (baseline + ${STEPS} steps); times are whole runs / ${STEPS + 1}, dcsnap's start-up included`,
          `zfs processes in one build: ${calls.length} (${countBy(calls)})`,
          ...(tier.multiSnapshot
            ? []
            : ['this ZFS takes one snapshot per call: atomic multi-dataset snapshots need OpenZFS or illumos']),
        ],
      }),
    ]
  } finally {
    await pool.destroy()
  }
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000
}

/** `list: 1, snapshot: 102` from zfs argument lines. */
export function countBy(calls: string[]): string {
  const n = new Map<string, number>()
  for (const c of calls) n.set(c.split(' ')[0], (n.get(c.split(' ')[0]) ?? 0) + 1)
  return [...n].map(([k, v]) => `${k}: ${v}`).join(', ')
}
