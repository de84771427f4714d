// Listing 10,000 snapshots: `dcsnap list --json` (latest build, and --all) against one raw `zfs list -H -r` of
// the same columns; dcsnap's own zfs call timed alone too; exactly one zfs process; peak memory.
import {listProperties} from '../../src/zfs/listing.js'
import {Zfs} from '../../src/zfs/zfs.js'
import type {BenchContext} from '../context.js'
import {cacheHome, countZfsCalls, dcsnapCommand} from '../dcsnap.js'
import {importListPool, LAYOUT_SNAPSHOTS} from '../images.js'
import {alternate, commandContender, peakRssMB} from '../measure.js'
import {ratioRow, type Row} from '../results.js'

/** Times the listings on a copy of the cached 10k-snapshot pool, counts zfs processes, and measures peak RSS. */
export async function list(ctx: BenchContext): Promise<Row[]> {
  const {tier} = ctx
  const runs = ctx.runs ?? (tier.kind === 'openzfs' ? 3 : 7)
  const pool = await importListPool(tier, ctx.version, ctx.log)
  try {
    const datasets = [pool.proto, pool.cache]
    const caps = await new Zfs({
      env: {...process.env, ...tier.env, DCSNAP_ZFS: tier.zfsWords.join(' '), XDG_CACHE_HOME: cacheHome},
    }).capabilities()
    const props = listProperties(caps)
    const raw = [
      ...tier.zfsWords,
      'list',
      '-H',
      ...(caps.parsableList ? ['-p'] : []),
      '-r',
      '-t',
      'filesystem,volume,snapshot',
      '-o',
      props.join(','),
      ...datasets,
    ]
    const variants = {
      'dcsnap list --json': ['list', '--json', ...pool.flags],
      'dcsnap list --all --json': ['list', '--all', '--json', ...pool.flags],
    }
    const calls = await countZfsCalls(tier, variants['dcsnap list --all --json'], {
      warm: variants['dcsnap list --all --json'],
    })
    // Arguments never hold spaces here (property lists are comma-separated), so the logged line splits back into argv.
    const own = calls.length === 1 ? [...tier.zfsWords, ...calls[0].split(' ')] : undefined
    ctx.log(`  dcsnap's zfs call: zfs ${calls.join(' | ')}`)
    const t = await alternate(
      [
        commandContender('raw', {words: raw, env: tier.env}),
        ...Object.entries(variants).map(([name, args]) => commandContender(name, dcsnapCommand(tier, args))),
        ...(own ? [commandContender('own', {words: own, env: tier.env, accept: onlyMissingContainers})] : []),
      ],
      runs,
    )
    const rssRuns = Math.min(runs, 3)
    const rss: number[] = []
    for (let i = 0; i < rssRuns; i++)
      rss.push(await peakRssMB(dcsnapCommand(tier, variants['dcsnap list --all --json'])))
    const notes = [
      `${LAYOUT_SNAPSHOTS} snapshots; baseline: \`zfs ${raw
        .slice(tier.zfsWords.length)
        .join(' ')
        .replace(/ \S+\/proto \S+\/cache$/, ' PROTO CACHE')}\``,
      ...(own && t.own
        ? [`dcsnap's own zfs call (\`zfs ${calls[0].split(' ').slice(0, 6).join(' ')} ...\`) alone: ${t.own.median} s`]
        : []),
    ]
    const rows = Object.keys(variants).map((name, i) =>
      ratioRow({
        id: `list:${name.includes('--all') ? 'all' : 'latest'}`,
        benchmark: `\`${name}\`, ${LAYOUT_SNAPSHOTS} snapshots`,
        baseline: 'one raw `zfs list -H -r`, same columns',
        runs,
        dcsnap: t[name],
        base: t.raw,
        target: '<= 1.3x, 1 zfs process',
        max: 1.3,
        zfsProcesses: calls.length,
        zfsProcessesMax: 1,
        notes: i === 0 ? notes : [],
      }),
    )
    const peak = Math.max(...rss)
    rows.push({
      id: 'list:memory',
      benchmark: `peak RSS of \`dcsnap list --all --json\`, ${LAYOUT_SNAPSHOTS} snapshots`,
      baseline: '',
      runs: rssRuns,
      unit: 'MB',
      dcsnap: {median: [...rss].sort((a, b) => a - b)[rss.length >> 1], min: Math.min(...rss), max: peak, samples: rss},
      target: '<= 150 MB',
      max: 150,
      pass: peak <= 150,
      notes: ['GNU time %M (max RSS of node and the zfs processes it waited for); the largest of the runs counts'],
    })
    return rows
  } finally {
    await pool.destroy()
  }
}

/**
 * What dcsnap takes from its listing call as success: exit 1 when all zfs says is that lines containers
 * (`DATASET.dclines`, made when a line is first kept, so never on this pool) do not exist; it lists the rest.
 */
function onlyMissingContainers(code: number | null, stderr: string): boolean {
  const lines = stderr.split('\n').filter(l => l.trim() !== '')
  return (
    code === 1 && lines.length > 0 && lines.every(l => /^cannot open '[^']+\.dclines': dataset does not exist$/.test(l))
  )
}
