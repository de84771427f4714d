// Replication: `dcsnap push` against the raw `zfs send -p` into `zfs receive` of the same snapshots, in the same run: the
// first push of a build with 1 GiB in the proto area, and one new 8 MiB checkpoint after it (with 10 and with 200
// earlier builds on the datasets), into a replica in another pool; on zfs-fuse also over ssh to 127.0.0.1.
import type {BenchContext} from '../context.js'
import {dcsnapCommand} from '../dcsnap.js'
import {alternate, pairedDifference, timeCommand, type Contender} from '../measure.js'
import {createPool, type BenchPool} from '../pool.js'
import {ratioRow, type Row} from '../results.js'
import {execOk, zfsOk, type Tier} from '../tier.js'
import {startSshd, type TestSshd} from '../../test/support/sshd.js'

/** Writes `mib` MiB of random data into $1 as 1 MiB files. */
const fill = (mib: number) =>
  `set -e; i=0; while [ $i -lt ${mib} ]; do head -c 1048576 /dev/urandom > "$1/f$i"; i=$((i+1)); done`

/** `count` earlier builds (a baseline and five checkpoints each) of both datasets, in one shell. */
const earlierBuilds = (pool: BenchPool, count: number) => `set -e; b=1000; while [ $b -lt ${1000 + count} ]; do
for ds in ${pool.proto} ${pool.cache}; do zfs snapshot -o dcsnap:build=$b -o dcsnap:index=0 $ds@dc-$b
i=1; for s in a b c d e; do zfs snapshot -o dcsnap:build=$b -o dcsnap:step=$s -o dcsnap:index=$i $ds@dc-$b-$s; i=$((i+1)); done; done
b=$((b+1)); done`

/** Every replication row of a tier. */
export async function replication(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [await firstPush(ctx)]
  let sshd: TestSshd | undefined
  if (ctx.tier.kind === 'zfs-fuse') sshd = await startSshd()
  try {
    // In the benchmark VM (TCG) making 200 builds' snapshots and sending past them takes hours: 10 there.
    const counts = ctx.tier.kind === 'zfs-fuse' && !ctx.quick ? [10, 200] : [10]
    if (counts.length === 1)
      ctx.log(
        `  replication: the 200-build case is skipped (${ctx.quick ? '--quick' : 'hours under TCG; zfs-fuse only'})`,
      )
    for (const builds of counts) rows.push(...(await newCheckpoint(ctx, builds, sshd)))
  } finally {
    await sshd?.stop()
  }
  return rows
}

/** The same streams dcsnap sends, raw: full of the first snapshot, then -I to the last, per dataset. */
function rawStreams(
  datasets: Array<[string, string]>,
  first: string,
  last: string,
  receive: (ds: string) => string,
): string {
  return datasets
    .map(
      ([src, dst]) =>
        `zfs send -p ${src}@${first} | ${receive(dst)} && zfs send -p -I ${src}@${first} ${src}@${last} | ${receive(dst)}`,
    )
    .join(' && ')
}

function sh(tier: Tier, script: string): string[] {
  return [...tier.execWords, 'sh', '-c', script]
}

async function firstPush(ctx: BenchContext): Promise<Row> {
  const {tier} = ctx
  const runs = ctx.runs ?? 3
  const a = await createPool(tier, '3G')
  const b = await createPool(tier, '6G')
  try {
    ctx.log('  replication: a build with 1 GiB in the proto area')
    await execOk(tier, ['sh', '-c', fill(1024), 'sh', `${a.mountpoint}/proto`])
    await execOk(tier, [
      'sh',
      '-c',
      `set -e; for ds in ${a.proto} ${a.cache}; do zfs snapshot -o dcsnap:build=1 -o dcsnap:index=0 $ds@dc-1; zfs snapshot -o dcsnap:build=1 -o dcsnap:step=fill -o dcsnap:index=1 $ds@dc-1-fill; done`,
    ])
    const gone = (ds: string) => async () => void (await zfsOk(tier, ['destroy', '-r', ds]))
    const push: Contender = {
      name: 'dcsnap',
      run: () => timeCommand(dcsnapCommand(tier, ['push', `${b.name}/rep`, ...a.flags])),
      after: gone(`${b.name}/rep`),
    }
    const raw: Contender = {
      name: 'raw',
      run: async () => {
        await zfsOk(tier, ['create', '-o', 'readonly=on', '-o', 'mountpoint=none', `${b.name}/raw`])
        const datasets: Array<[string, string]> = [
          [a.proto, `${b.name}/raw/proto`],
          [a.cache, `${b.name}/raw/cache`],
        ]
        return timeCommand({
          words: sh(
            tier,
            rawStreams(datasets, 'dc-1', 'dc-1-fill', ds => `zfs receive ${ds}`),
          ),
          env: tier.env,
        })
      },
      after: gone(`${b.name}/raw`),
    }
    const t = await alternate([raw, push], runs)
    return ratioRow({
      id: 'push-1G',
      benchmark: '`dcsnap push` of a build with 1 GiB in the proto area into a new replica in another pool',
      baseline: 'raw `zfs send -p` into `zfs receive` of the same streams (full, then -I), same pools',
      runs,
      dcsnap: t.dcsnap,
      base: t.raw,
      target: '<= 1.1x',
      max: 1.1,
      notes: [],
    })
  } finally {
    await a.destroy()
    await b.destroy()
  }
}

async function newCheckpoint(ctx: BenchContext, builds: number, sshd: TestSshd | undefined): Promise<Row[]> {
  const {tier} = ctx
  const runs = ctx.runs ?? 5
  const a = await createPool(tier, '2G')
  const b = await createPool(tier, '2G')
  try {
    ctx.log(`  replication: one new 8 MiB checkpoint, ${builds} earlier builds`)
    await execOk(tier, ['sh', '-c', earlierBuilds(a, builds)])
    let n = 0
    /** A new 8 MiB checkpoint on both datasets (untimed). */
    const checkpoint = async () => {
      n++
      await execOk(tier, ['sh', '-c', `head -c 8388608 /dev/urandom > ${a.mountpoint}/proto/new${n}`])
      for (const ds of [a.proto, a.cache])
        await zfsOk(tier, [
          'snapshot',
          '-o',
          'dcsnap:build=2',
          '-o',
          `dcsnap:step=s${n}`,
          '-o',
          `dcsnap:index=${n}`,
          `${ds}@dc-2-s${n}`,
        ])
    }
    await checkpoint()
    const rows: Row[] = []
    for (const over of sshd ? ['local', 'ssh'] : ['local']) {
      const host = over === 'ssh' ? `${sshd!.host}:` : ''
      const env: Record<string, string> = over === 'ssh' ? {DCSNAP_SSH: sshd!.sshCommand} : {}
      const rep = `${b.name}/rep-${over}`
      const raw = `${b.name}/raw-${over}`
      const receive = (ds: string) =>
        over === 'ssh' ? `${sshd!.sshCommand} ${sshd!.host} -- zfs receive ${ds}` : `zfs receive ${ds}`
      // Both replicas up to date first: each timed round sends exactly the one new checkpoint.
      await timeCommand(dcsnapCommand(tier, ['push', `${host}${rep}`, '--all', ...a.flags], {env}))
      await zfsOk(tier, ['create', '-o', 'readonly=on', '-o', 'mountpoint=none', raw])
      const first = `dc-1000`
      await timeCommand({
        words: sh(
          tier,
          rawStreams(
            [
              [a.proto, `${raw}/proto`],
              [a.cache, `${raw}/cache`],
            ],
            first,
            `dc-2-s${n}`,
            receive,
          ),
        ),
        env: tier.env,
      })
      await checkpoint()
      const prev = () => `dc-2-s${n - 1}`
      const t = await alternate(
        [
          {
            name: 'raw',
            run: () =>
              timeCommand({
                words: sh(
                  tier,
                  [
                    [a.proto, `${raw}/proto`],
                    [a.cache, `${raw}/cache`],
                  ]
                    .map(([s, d]) => `zfs send -p -I ${s}@${prev()} ${s}@dc-2-s${n} | ${receive(d)}`)
                    .join(' && '),
                ),
                env: tier.env,
              }),
          },
          {
            name: 'dcsnap',
            run: () => timeCommand(dcsnapCommand(tier, ['push', `${host}${rep}`, '--all', ...a.flags], {env})),
            after: checkpoint,
          },
        ],
        runs,
        0,
      )
      const diff = t.dcsnap.median - t.raw.median
      rows.push({
        ...ratioRow({
          id: `push-8M-${builds}-${over}`,
          benchmark: `\`dcsnap push\` of one new 8 MiB checkpoint, ${builds} earlier builds, ${over === 'ssh' ? 'over ssh to 127.0.0.1' : 'into another local pool'}`,
          baseline: `raw \`zfs send -p -I\` into \`${over === 'ssh' ? 'ssh zfs receive' : 'zfs receive'}\` of the same snapshot`,
          runs,
          dcsnap: t.dcsnap,
          base: t.raw,
          target: 'at most 0.5 s more than raw',
          notes: [
            `dcsnap - raw: ${diff.toFixed(2)} s (medians); ${pairedDifference(t.dcsnap, t.raw).toFixed(2)} s (median of each round's difference)`,
          ],
        }),
        pass: diff <= 0.5,
      })
    }
    return rows
  } finally {
    await a.destroy()
    await b.destroy()
  }
}
